"""The penetration test's cross-organisation account takeover through SSO, reproduced step by
step against the real HTTP routes and a real IdP, and refused at every step."""

from __future__ import annotations

import secrets

import httpx
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, Membership, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.identity.sso.helpers import (
    authorize_at_idp,
    configure,
    query,
    session_count,
    set_user,
    sign_in,
    start,
)

FOREIGN = "SSO sign-in to your account from another organisation's identity provider was refused"


def _events(org_id: int, action: str) -> list[tuple[str, str]]:
    with system_session() as session:
        return [
            (t, d)
            for t, d in session.exec(
                select(AuditEvent.target, AuditEvent.detail).where(
                    AuditEvent.org_id == org_id, AuditEvent.action == action
                )
            ).all()
        ]


def _victim() -> tuple[TenantContext, str]:
    """The victim company: its owner's existing account (password sign-up)."""
    email = f"ceo-{secrets.token_hex(3)}@victim.example"
    return factories.make_org("Victim Corp", email=email), email


def _memberships(user_id: int) -> set[int]:
    with system_session() as session:
        return set(
            session.exec(select(Membership.org_id).where(Membership.user_id == user_id)).all()
        )


def test_unproven_foreign_domain_gives_no_session_and_warns_the_victim(
    app_url: str, idp1: str
) -> None:
    victim, victim_email = _victim()
    attacker = factories.make_org("Mallory Ltd")
    # The attacker saves its own IdP and lists the victim's domain: the claim stays pending.
    configure(attacker, idp1, ["victim.example"], prove=False)

    # By email, the victim's domain leads to no organisation at all (no IdP is contacted).
    by_email = start(app_url, email=victim_email)
    assert by_email.status_code == 303
    assert "No organisation uses single sign-on for victim.example" in query(
        by_email.headers["location"]
    ).get("error", "")

    # By the attacker's address, its IdP says email=<victim>, email_verified=true: refused.
    sub = f"evil-{secrets.token_hex(3)}"
    set_user(idp1, sub, {"email": victim_email, "email_verified": True})
    outcome = sign_in(app_url, sub=sub, org=attacker.org_slug)
    assert outcome.session_cookie == "" and session_count() == 0
    assert "cannot sign in to Mallory Ltd" in outcome.error
    assert "it has not proven any email domain yet" in outcome.error
    assert victim.user_id is not None
    assert _memberships(victim.user_id) == {victim.org_id}

    # Audited in the attacker's org, and a security event in the victim's own org.
    assert [t for t, _ in _events(attacker.org_id, "sso.sign_in_refused")] == [victim_email]
    warned = _events(victim.org_id, "security.foreign_sso_refused")
    assert len(warned) == 1 and warned[0][0] == victim_email
    assert warned[0][1].startswith(FOREIGN) and "Mallory Ltd" in warned[0][1]

    # Just-in-time creation is refused too, for a new address at the unproven domain.
    newcomer = f"new-{secrets.token_hex(3)}@victim.example"
    set_user(idp1, sub, {"email": newcomer, "email_verified": True})
    assert sign_in(app_url, sub=sub, org=attacker.org_slug).session_cookie == ""
    with system_session() as session:
        assert session.exec(select(User).where(User.email == newcomer)).first() is None


def test_proven_domain_still_never_opens_an_existing_account(app_url: str, idp1: str) -> None:
    victim, victim_email = _victim()
    attacker = factories.make_org("Mallory Ltd")
    # Simulate the worst case: the attacker somehow verified the victim's email domain.
    configure(attacker, idp1, ["victim.example"])

    sub = f"evil-{secrets.token_hex(3)}"
    set_user(idp1, sub, {"email": victim_email, "email_verified": True, "name": "Not the CEO"})
    for who in ({"email": victim_email}, {"org": attacker.org_slug}):
        outcome = sign_in(app_url, sub=sub, **who)
        assert outcome.response.status_code == 303 and outcome.session_cookie == ""
        assert "Sign in with your password and link this identity" in outcome.error
    assert session_count() == 0
    assert victim.user_id is not None
    assert _memberships(victim.user_id) == {victim.org_id}  # not added to the attacker's org
    with system_session() as session:
        user = session.get(User, victim.user_id)
        assert user is not None and user.name == "Victim Corp Owner"
    assert len(_events(attacker.org_id, "sso.sign_in_refused")) == 2
    assert len(_events(victim.org_id, "security.foreign_sso_refused")) == 2
    assert _events(attacker.org_id, "sso.signed_in") == []

    # The victim can still sign in with the password, as before.
    assert identity.authenticate(email=victim_email, password=factories.PASSWORD)


def test_linking_is_only_for_the_signed_in_owner_of_the_address(
    app_url: str, idp1: str, org_a: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"])
    dora = factories.make_member(org_a, Role.MEMBER, email=f"dora-{secrets.token_hex(3)}@a.example")
    eve = factories.make_member(org_a, Role.MEMBER, email=f"eve-{secrets.token_hex(3)}@a.example")
    with system_session() as session:
        dora_email = session.get(User, dora.user_id).email  # type: ignore[union-attr]
    dora_cookie = {"pmo_session": identity.start_session(user_id=dora.user_id)}  # type: ignore[arg-type]
    eve_cookie = {"pmo_session": identity.start_session(user_id=eve.user_id)}  # type: ignore[arg-type]
    sub = f"dora-{secrets.token_hex(3)}"

    def link(cookies: dict[str, str], claims: dict[str, object], *, back: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        set_user(idp1, sub, claims)
        started = httpx.get(f"{app_url}/sso/link?org={org_a.org_slug}", cookies=cookies)
        callback = authorize_at_idp(started.headers["location"], sub)
        return httpx.get(callback, cookies=back if back is not None else cookies)

    # Not signed in: nothing to link to.
    anonymous = httpx.get(f"{app_url}/sso/link?org={org_a.org_slug}")
    assert "Sign in first" in query(anonymous.headers["location"])["error"]
    # The IdP says someone else: refused.
    other = link(
        dora_cookie, {"email": f"x-{secrets.token_hex(2)}@a.example", "email_verified": True}
    )
    assert "/account/sso?error=" in other.headers["location"]  # back to the account page
    assert "not your account's verified address" in query(other.headers["location"])["error"]
    # Not verified by the IdP: refused.
    unverified = link(dora_cookie, {"email": dora_email, "email_verified": False})
    assert "not verified" in query(unverified.headers["location"])["error"]
    # Started by Dora, finished in Eve's browser: refused (no linking someone else's IdP).
    swapped = link(dora_cookie, {"email": dora_email, "email_verified": True}, back=eve_cookie)
    assert "another account than the one signed in" in query(swapped.headers["location"])["error"]
    assert _events(org_a.org_id, "sso.identity_linked") == []
    # Right person, right address: linked, and then SSO opens Dora's own account.
    done = link(dora_cookie, {"email": dora_email, "email_verified": True})
    assert done.headers["location"].endswith("account/sso?linked=1")
    assert len(_events(org_a.org_id, "sso.identity_linked")) == 1
    signed = sign_in(app_url, sub=sub, email=dora_email)
    assert identity.resolve_session(token=signed.session_cookie).user_id == dora.user_id  # type: ignore[union-attr]


def test_linking_needs_a_domain_the_org_proved(
    app_url: str, idp1: str, org_a: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"], prove=False)
    fay = factories.make_member(org_a, Role.MEMBER, email=f"fay-{secrets.token_hex(3)}@a.example")
    cookies = {"pmo_session": identity.start_session(user_id=fay.user_id)}  # type: ignore[arg-type]
    refused = httpx.get(f"{app_url}/sso/link?org={org_a.org_slug}", cookies=cookies)
    location = refused.headers["location"]
    assert f"/o/{org_a.org_slug}/account/sso?error=" in location
    assert "has not proven the domain" in query(location)["error"]


def test_a_link_planted_before_the_fix_never_opens_the_foreign_account(
    app_url: str, idp1: str
) -> None:
    from pmo_saas.db import tenant_session
    from pmo_saas.identity.sso_models import SsoIdentity

    victim, _ = _victim()
    attacker = factories.make_org("Mallory Ltd")
    configure(attacker, idp1, ["mallory.example"])  # its own domain, genuinely proven
    sub = f"planted-{secrets.token_hex(3)}"
    with tenant_session(attacker) as session:  # as the old JIT linking left it
        session.add(SsoIdentity(user_id=victim.user_id or 0, issuer=idp1, subject=sub))
    set_user(idp1, sub, {"email": "anyone@mallory.example", "email_verified": True})
    outcome = sign_in(app_url, sub=sub, org=attacker.org_slug)
    assert outcome.session_cookie == "" and session_count() == 0
    assert "linked to an account whose address Mallory Ltd has not proven" in outcome.error
    assert len(_events(victim.org_id, "security.foreign_sso_refused")) == 1


def test_linking_cannot_be_started_from_another_site(app_url: str, org_a: TenantContext) -> None:
    cookies = {"pmo_session": identity.start_session(user_id=org_a.user_id)}  # type: ignore[arg-type]
    forged = httpx.get(
        f"{app_url}/sso/link?org={org_a.org_slug}",
        cookies=cookies,
        headers={"sec-fetch-site": "cross-site"},
    )
    assert "Start linking from your account page" in query(forged.headers["location"])["error"]
