"""The penetration test's password-guessing attacks, replayed: each one is now refused.

Every password check (sign-in, invitation acceptance) goes through one guessing policy
(`pmo_saas.identity.guessing`): per-client, per-(account, client) with a doubling wait, and a
per-account ceiling, each counted before the password is verified.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits.storage import MemoryStorage, RedisStorage
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import guessing as guessing_module
from pmo_saas.identity import security
from pmo_saas.identity import services as identity
from pmo_saas.identity.guessing import Guessing, GuessPolicy, guessing
from pmo_saas.identity.models import Invitation, Membership, SignInTicket, User, UserSession
from pmo_saas.identity.sso_models import SsoConnection
from pmo_saas.kernel.errors import Forbidden, RateLimited, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from tests import factories
from tests.factories import PASSWORD
from tests.identity.test_services import _invite

ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"
WRONG = "not-the-password-0"
REFUSED = r"^Too many attempts; try again in \d+ minutes?\.$"


def _email(ctx) -> str:
    with system_session() as session:
        return session.get(User, ctx.user_id).email


def _count(model, *where) -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def verify_calls(monkeypatch) -> list[str]:
    """Every password verification (the real argon2 check, slowed to widen any race)."""
    calls: list[str] = []
    real = security.verify_password
    lock = threading.Lock()

    def counting(password_hash: str, password: str) -> bool:
        with lock:
            calls.append(password)
        time.sleep(0.02)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    return calls


# ---------------------------------------------------------------- the attacks


def test_guessing_through_an_invitation_is_refused_before_the_right_password(
    org_a, org_b, verify_calls
):
    """Invite the target from your own org, read the token, guess: the 13th (right) is refused."""
    target = _email(org_b)
    token = _invite(org_a, target)
    outcomes = []
    for guess in [f"guess-number-{n:02d}" for n in range(12)] + [PASSWORD]:
        try:
            identity.accept_invitation(token=token, name="", password=guess, client_ip=ATTACKER_IP)
            outcomes.append("signed in")
        except ValidationFailed:
            outcomes.append("wrong")
        except RateLimited as error:
            assert str(error) == "Too many attempts; try again in 1 minute."
            outcomes.append("refused")
    assert outcomes == ["wrong"] * 5 + ["refused"] * 8
    assert len(verify_calls) == 5  # only the first five ever reached the hash
    # The target was not signed in, did not join, and the invitation is still unused.
    assert _count(UserSession) == 0 and _count(SignInTicket) == 0
    assert _count(Membership, Membership.user_id == org_b.user_id) == 1
    with system_session() as session:
        assert session.exec(select(Invitation)).one().accepted_at is None
    # Sign-in shares the counters: that client cannot switch to the sign-in form instead.
    with pytest.raises(RateLimited, match=REFUSED):
        identity.authenticate(email=target, password=PASSWORD, client_ip=ATTACKER_IP)
    # The target, from their own browser, is not affected.
    assert identity.authenticate(email=target, password=PASSWORD, client_ip=OWNER_IP) == (
        org_b.user_id
    )


def test_30_parallel_wrong_guesses_reach_the_password_hash_at_most_5_times(org_a, verify_calls):
    email = _email(org_a)
    barrier = threading.Barrier(30)

    def guess(n: int) -> str:
        barrier.wait()
        try:
            identity.authenticate(email=email, password=f"{WRONG}-{n}", client_ip=ATTACKER_IP)
        except ValidationFailed:
            return "wrong"
        except RateLimited:
            return "refused"
        return "signed in"

    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(pool.map(guess, range(30)))
    assert len(verify_calls) <= 5
    assert outcomes.count("wrong") == len(verify_calls)
    assert outcomes.count("refused") == 30 - len(verify_calls)
    assert "signed in" not in outcomes


def test_16_guesses_over_4_accounts_from_one_client_hit_the_per_client_limit(org_a, verify_calls):
    accounts = [_email(factories.make_member(org_a)) for _ in range(4)]
    outcomes = []
    for round_ in range(4):
        for email in accounts:  # 4 per account: below the per-account limit of 5
            try:
                identity.authenticate(
                    email=email, password=f"{WRONG}-{round_}", client_ip=ATTACKER_IP
                )
            except ValidationFailed:
                outcomes.append("wrong")
            except RateLimited as error:
                assert "Too many attempts; try again in" in str(error)
                outcomes.append("refused")
    limit = get_settings().guess_client_failures
    assert limit < 16
    assert outcomes == ["wrong"] * limit + ["refused"] * (16 - limit)
    assert len(verify_calls) == limit
    # Those people, from their own browsers, sign in as usual.
    for email in accounts:
        identity.authenticate(email=email, password=PASSWORD, client_ip=OWNER_IP)


def test_a_stranger_failing_20_times_does_not_lock_the_owner_out(org_a):
    """Lockout as a weapon: the stranger's failures slow the stranger, not the owner."""
    owner = _email(org_a)
    refused = 0
    for n in range(20):
        try:
            identity.authenticate(email=owner, password=f"{WRONG}-{n}", client_ip=ATTACKER_IP)
        except RateLimited:
            refused += 1
        except ValidationFailed:
            pass
    assert refused == 15  # after 5 failures every attempt from that client waits
    # The owner, from another client, at once, with the right password.
    assert identity.authenticate(email=owner, password=PASSWORD, client_ip=OWNER_IP) == (
        org_a.user_id
    )
    # ... and again after a typo of their own: their own counter is theirs.
    with pytest.raises(ValidationFailed):
        identity.authenticate(email=owner, password="owner-typo-1234", client_ip=OWNER_IP)
    assert identity.authenticate(email=owner, password=PASSWORD, client_ip=OWNER_IP) == (
        org_a.user_id
    )


def test_unknown_emails_are_limited_exactly_like_real_ones(org_a):
    real, unknown = _email(org_a), "nobody-here@example.com"
    for email in (real, unknown):
        messages = []
        for n in range(6):
            try:
                identity.authenticate(email=email, password=f"{WRONG}-{n}", client_ip=f"ip-{email}")
            except (ValidationFailed, RateLimited) as error:
                messages.append(str(error))
        assert messages == ["Wrong email or password."] * 5 + [
            "Too many attempts; try again in 1 minute."
        ]


def test_a_right_password_forgives_that_clients_own_typos(org_a):
    email = _email(org_a)
    for _ in range(2):
        for n in range(4):
            with pytest.raises(ValidationFailed):
                identity.authenticate(email=email, password=f"{WRONG}-{n}", client_ip=OWNER_IP)
        assert identity.authenticate(email=email, password=PASSWORD, client_ip=OWNER_IP)


def test_many_clients_together_meet_the_per_account_ceiling():
    """A botnet is bounded too; the policy is tried small, on its own storage."""
    policy = GuessPolicy(
        account_client_failures=5, account_failures=12, client_failures=10, max_delay_seconds=60
    )
    limiter = Guessing(MemoryStorage(), policy)
    allowed = 0
    for n in range(30):
        try:
            limiter.reserve(account="owner@example.com", client=f"10.0.0.{n % 6}").failed()
            allowed += 1
        except RateLimited:
            pass
    assert allowed == 12
    limiter.forget_account("owner@example.com")  # what a password reset does
    limiter.reserve(account="owner@example.com", client="10.0.0.99").succeeded()


def test_the_wait_doubles_with_each_further_failure():
    """Seconds instead of minutes: 2 failures per 1 s, then 3 per 2 s, then 4 per 4 s."""
    policy = GuessPolicy(account_client_failures=2, first_delay_seconds=1, max_delay_seconds=4)
    assert [(r.amount, r.get_expiry()) for r in policy.ladder()] == [(2, 1), (3, 2), (4, 4)]
    limiter = Guessing(MemoryStorage(), policy)

    def fail() -> bool:
        try:
            limiter.reserve(account="a@example.com", client="c").failed()
        except RateLimited:
            return False
        return True

    start = time.monotonic()
    assert fail() and fail() and not fail()  # two failures, then wait
    time.sleep(max(0.0, 1.1 - (time.monotonic() - start)))
    assert fail() and not fail()  # the third, then wait longer (the 2 s window)
    time.sleep(max(0.0, 2.1 - (time.monotonic() - start)))
    assert fail() and not fail()  # the fourth, then the 4 s window
    # Refused attempts were not counted: each wait is only as long as the failures make it.


def test_default_ladder_doubles_from_one_minute_to_fifteen():
    ladder = GuessPolicy.from_settings().ladder()
    assert [(r.amount, r.get_expiry()) for r in ladder] == [
        (5, 60),
        (6, 120),
        (7, 240),
        (8, 480),
        (9, 900),
    ]


def test_counters_live_in_redis_when_configured_and_never_name_the_email(org_a):
    storage = guessing().storage
    if get_settings().redis_url:
        assert isinstance(storage, RedisStorage)
        email = _email(org_a)
        with pytest.raises(ValidationFailed):
            identity.authenticate(email=email, password=WRONG, client_ip=ATTACKER_IP)
        keys = [k.decode() for k in storage.get_connection().keys(f"{storage.key_prefix}*")]
        assert keys and not any(email in k or ATTACKER_IP in k for k in keys)
        # A second process (another worker) sees the same counters.
        other = guessing_module.make_storage(get_settings().redis_url, get_settings().database_url)
        assert isinstance(other, RedisStorage) and other.key_prefix == storage.key_prefix
    else:
        assert isinstance(storage, MemoryStorage)


# ---------------------------------------------------------------- SSO-required organisations


def _require_sso(ctx) -> None:
    # A row as a saved connection leaves it (the SSO settings service has its own tests).
    with tenant_session(ctx) as session:
        session.add(
            SsoConnection(
                issuer_url="https://idp.example.com",
                client_id="client",
                require_sso=True,
                enabled=True,
            )
        )


def test_an_sso_required_org_refuses_password_acceptance(org_a, org_b, verify_calls):
    _require_sso(org_a)
    for email in ("brand-new@example.com", _email(org_b)):
        token = _invite(org_a, email)
        with pytest.raises(Forbidden, match="requires single sign-on"):
            identity.accept_invitation(
                token=token, name="Someone", password=PASSWORD, client_ip=ATTACKER_IP
            )
    assert verify_calls == []  # refused before any password was looked at
    assert _count(User) == 2 and _count(Membership) == 2


def test_an_account_whose_own_org_requires_sso_cannot_accept_by_password(org_a, org_b):
    """The invitation is no back door around the member's own organisation's SSO rule."""
    member = factories.make_member(org_b, Role.MEMBER)
    _require_sso(org_b)
    token = _invite(org_a, _email(member))
    with pytest.raises(Forbidden, match="requires single sign-on"):
        identity.accept_invitation(token=token, name="", password=PASSWORD, client_ip=OWNER_IP)
    assert _count(Membership, Membership.user_id == member.user_id) == 1


# ---------------------------------------------------------------- the pages


def test_the_sign_in_and_invitation_pages_count_the_browsers_own_address(org_a, org_b):
    """The states pass Reflex's client address; refusals say only how long to wait."""
    from reflex.istate.data import RouterData
    from reflex.state import State

    from pmo_saas.identity.pages.public import InviteState, SignInState
    from tests.state_harness import run

    async def page(cls, path: str, ip: str):
        root = State(_reflex_internal_init=True)
        root.router = RouterData.from_router_data(
            {"headers": {"origin": "http://test"}, "pathname": path, "asPath": path, "ip": ip}
        )
        return await root.get_state(cls)

    owner = _email(org_a)
    token = _invite(org_b, owner)

    async def scenario() -> None:
        attacker = await page(SignInState, "/signin", ATTACKER_IP)
        for n in range(5):
            assert await attacker.submit({"email": owner, "password": f"{WRONG}-{n}"}) is None
            assert attacker.error == "Wrong email or password."
        await attacker.submit({"email": owner, "password": PASSWORD})
        assert attacker.error == "Too many attempts; try again in 1 minute."
        # The invitation form of the same browser is refused the same way.
        invite = await page(InviteState, f"/invite/{token}", ATTACKER_IP)
        await invite.load()
        assert await invite.accept({"name": "", "password": PASSWORD}) is None
        assert invite.error == "Too many attempts; try again in 1 minute."
        # The owner's own browser signs in (a hand-over to the cookie route).
        mine = await page(SignInState, "/signin", OWNER_IP)
        event = await mine.submit({"email": owner, "password": PASSWORD})
        assert mine.error == "" and "/auth/complete?ticket=" in str(event)

    run(scenario())
