"""Sign-up, invitation previews and reset links tell nothing and outlive nothing.

Sign-up answers the same for a taken email and a new one, and mails a verification link;
until it is opened the person cannot invite anyone or set up SSO. Invitation previews are the
same for existing and new emails. A reset link dies once the password has changed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from reflex.istate.data import RouterData
from reflex.state import State
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.home.pages import HomeState
from pmo_saas.identity import services as identity
from pmo_saas.identity import sso
from pmo_saas.identity.models import (
    EmailVerification,
    Invitation,
    Organization,
    OutboxMessage,
    SignInTicket,
    User,
)
from pmo_saas.identity.pages.public import InviteState, SignUpState
from pmo_saas.identity.sso_models import SsoIdentity
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, RateLimited
from pmo_saas.settings import get_settings
from tests import factories
from tests.factories import PASSWORD
from tests.identity.test_services import _invite
from tests.state_harness import run, state_for


def _count(model, *where) -> int:
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def _email(ctx) -> str:
    with system_session() as session:
        return session.get(User, ctx.user_id).email


def _mails(to: str) -> list[OutboxMessage]:
    with system_session() as session:
        return list(
            session.exec(
                select(OutboxMessage).where(OutboxMessage.to_email == to).order_by(OutboxMessage.id)  # type: ignore[arg-type]
            ).all()
        )


async def _public_state(cls, *, path: str, ip: str):
    """A page state as the websocket builds it, with the browser's address."""
    root = State(_reflex_internal_init=True)
    root.router = RouterData.from_router_data(
        {"headers": {"origin": "http://test"}, "pathname": path, "asPath": path, "ip": ip}
    )
    return await root.get_state(cls)


def _public_vars(state) -> dict:
    """Every var of the state as it is serialised (what could reach the browser)."""
    return {
        k.removesuffix("_rx_state_"): v
        for k, v in state.dict()[state.get_full_name()].items()
        if k != "router"
    }


# ---------------------------------------------------------------- sign-up


def test_sign_up_of_a_taken_email_answers_exactly_like_a_new_one(org_a):
    taken = _email(org_a)

    async def submit(email: str) -> dict:
        state = await _public_state(SignUpState, path="/signup", ip="192.0.2.10")
        event = await state.submit(
            {"org_name": "Second", "name": "Somebody", "email": email, "password": PASSWORD}
        )
        assert event is None  # no redirect, no sign-in, for either
        return _public_vars(state)

    new_vars = run(submit("fresh-person@example.com"))
    taken_vars = run(submit(taken))
    assert new_vars["error"] == taken_vars["error"] == ""
    assert new_vars["notice"].replace("fresh-person@example.com", "X") == taken_vars[
        "notice"
    ].replace(taken, "X")
    assert {k: v for k, v in new_vars.items() if k != "notice"} == {
        k: v for k, v in taken_vars.items() if k != "notice"
    }
    assert "Check your inbox" in taken_vars["notice"]
    # The taken address got a warning, not a second account or organisation.
    assert _count(User, User.email == taken) == 1
    assert _count(Organization) == 2
    warning = _mails(taken)[-1]
    assert "Someone tried to sign up with your address" in warning.subject
    assert "/signin" in warning.body and "/forgot" in warning.body
    # The new address got its verification link and an unverified account.
    (verification,) = _mails("fresh-person@example.com")
    token = factories.verification_token("fresh-person@example.com")  # as SMTP delivered it
    assert token not in verification.body and "[link hidden" in verification.body
    with system_session() as session:
        fresh = session.exec(select(User).where(User.email == "fresh-person@example.com")).one()
    assert fresh.email_verified_at is None


def test_the_service_answer_is_the_same_for_taken_and_new_emails(org_a):
    answers = [
        identity.register(
            org_name="X", name="Y", email=email, password=PASSWORD, client_ip="192.0.2.11"
        )
        for email in (_email(org_a), "another-new@example.com")
    ]
    assert answers == [None, None]


def test_warnings_to_a_taken_address_are_capped(org_a):
    taken = _email(org_a)
    for n in range(6):
        identity.register(
            org_name="X", name="Y", email=taken, password=PASSWORD, client_ip=f"192.0.2.{n}"
        )
    limit = get_settings().signup_notice_per_email_per_hour
    assert len([m for m in _mails(taken) if "Someone tried" in m.subject]) == limit


def test_sign_up_is_limited_per_client():
    limit = get_settings().signup_per_client_per_hour
    for n in range(limit):
        identity.register(
            org_name=f"Org {n}",
            name="Y",
            email=f"p{n}@example.com",
            password=PASSWORD,
            client_ip="192.0.2.99",
        )
    with pytest.raises(RateLimited, match=r"^Too many attempts; try again in \d+ minutes\.$"):
        identity.register(
            org_name="One more",
            name="Y",
            email="one-more@example.com",
            password=PASSWORD,
            client_ip="192.0.2.99",
        )
    assert _count(User) == limit
    identity.register(  # another client is not affected
        org_name="Elsewhere", name="Y", email="else@example.com", password=PASSWORD, client_ip="x"
    )


# ---------------------------------------------------------------- e-mail verification


def test_an_unverified_workspace_cannot_invite_or_save_sso_until_the_link_is_opened():
    owner = factories.make_org("Fresh", email="fresh@example.com", verified=False)
    with tenant_session(owner) as session, pytest.raises(Forbidden, match="Verify your email"):
        identity.invite_member(session=session, ctx=owner, email="x@example.com", role="member")
    with tenant_session(owner) as session, pytest.raises(Forbidden, match="Verify your email"):
        sso.save_sso_connection(
            session=session,
            ctx=owner,
            issuer_url="https://idp.example.com",
            client_id="client",
            client_secret="secret-value",
            allowed_domains="example.com",
        )
    assert _count(Invitation) == 0

    async def banner() -> bool:
        token = identity.start_session(user_id=owner.user_id)
        state = await state_for(HomeState, token=token, path=f"/o/{owner.org_slug}")
        await state.load()
        return state.email_verified

    assert run(banner()) is False
    path = identity.verify_email(token=factories.verification_token("fresh@example.com"))
    assert path == f"/o/{owner.org_slug}"
    assert run(banner()) is True
    with tenant_session(owner) as session:
        identity.invite_member(session=session, ctx=owner, email="x@example.com", role="member")
    assert _count(Invitation) == 1


def test_verification_links_are_one_time_expire_and_can_be_sent_again():
    owner = factories.make_org("Fresh", email="late@example.com", verified=False)
    token = factories.verification_token("late@example.com")
    clock.freeze(clock.utcnow() + timedelta(hours=49))
    with pytest.raises(Conflict, match="expired"):
        identity.verify_email(token=token)
    clock.freeze(None)
    with pytest.raises(NotFound):
        identity.verify_email(token="guessed-token")
    assert not identity.email_verified(user_id=owner.user_id)
    identity.resend_verification(user_id=owner.user_id)
    identity.verify_email(token=factories.verification_token("late@example.com"))
    assert identity.email_verified(user_id=owner.user_id)
    with pytest.raises(Conflict, match="already verified"):
        identity.resend_verification(user_id=owner.user_id)
    assert _count(EmailVerification, EmailVerification.used_at.is_(None)) == 1  # type: ignore[union-attr]


def test_people_who_join_by_invitation_are_verified_by_it(org_a):
    token = _invite(org_a, "joiner@example.com")
    user_id, _ = identity.accept_invitation(token=token, name="", password=PASSWORD)
    assert identity.email_verified(user_id=user_id)
    with system_session() as session:
        assert session.get(User, user_id).name == "joiner"  # the name may be left empty


def test_people_who_signed_in_through_sso_are_verified_by_it():
    owner = factories.make_org("Idp Org", email="idp-user@example.com", verified=False)
    assert not identity.email_verified(user_id=owner.user_id)
    with tenant_session(owner) as session:  # the link SSO sign-in leaves (see identity/sso.py)
        session.add(
            SsoIdentity(user_id=owner.user_id, issuer="https://idp.example.com", subject="s-1")
        )
    assert identity.email_verified(user_id=owner.user_id)
    with tenant_session(owner) as session:
        identity.invite_member(session=session, ctx=owner, email="y@example.com", role="member")


# ---------------------------------------------------------------- invitation previews


def test_an_invitation_preview_is_the_same_for_existing_and_new_emails(org_a, org_b):
    existing_token = _invite(org_a, _email(org_b))
    new_token = _invite(org_a, "never-seen@example.com")
    existing = identity.preview_invitation(token=existing_token).model_dump()
    new = identity.preview_invitation(token=new_token).model_dump()
    assert existing.pop("email") == _email(org_b) and new.pop("email") == "never-seen@example.com"
    assert existing == new

    async def page(token: str, email: str) -> dict:
        state = await _public_state(InviteState, path=f"/invite/{token}", ip="192.0.2.20")
        await state.load()
        shown = _public_vars(state)
        assert shown.pop("email") == email
        return shown

    assert run(page(existing_token, _email(org_b))) == run(
        page(new_token, "never-seen@example.com")
    )


# ---------------------------------------------------------------- reset links


def _reset_tokens(email: str) -> list[str]:
    return factories.reset_tokens(email)


def test_an_older_reset_link_dies_when_a_newer_one_changed_the_password(org_a):
    email = _email(org_a)
    identity.request_password_reset(email=email)
    clock.freeze(clock.utcnow() + timedelta(minutes=1))
    identity.request_password_reset(email=email)
    older, newer = _reset_tokens(email)
    clock.freeze(clock.utcnow() + timedelta(minutes=1))
    ticket = identity.issue_signin_ticket(user_id=org_a.user_id)
    identity.reset_password(token=newer, password="a-brand-new-password-7")
    with pytest.raises(Conflict, match="before your password was last changed"):
        identity.reset_password(token=older, password="the-attackers-choice-9")
    assert identity.authenticate(email=email, password="a-brand-new-password-7") == org_a.user_id
    # A sign-in hand-over issued before the reset cannot open a session after it.
    with pytest.raises(NotFound):
        identity.redeem_signin_ticket(ticket=ticket)
    assert _count(SignInTicket, SignInTicket.used_at.is_(None)) == 0  # type: ignore[union-attr]


def test_a_reset_request_says_nothing_and_mails_at_most_three_links_an_hour(org_a):
    email = _email(org_a)
    for _ in range(5):
        assert identity.request_password_reset(email=email, client_ip="192.0.2.30") is None
        assert (
            identity.request_password_reset(email="ghost@example.com", client_ip="192.0.2.30")
            is None
        )
    assert len(_reset_tokens(email)) == 3
    assert _mails("ghost@example.com") == []
