"""SSO sign-in end to end: the app's real HTTP routes against real OpenID Connect providers."""

from __future__ import annotations

import secrets

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from pydantic import SecretStr
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, Membership, Organization, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests.factories import make_member
from tests.identity.sso.helpers import (
    STRICT_SECRET,
    authorize_at_idp,
    configure,
    query,
    register_strict_client,
    session_count,
    set_user,
    sign_in,
    start,
    with_query,
)


def _uid(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _membership(email: str) -> dict[str, str]:
    """{org slug: role} for the user with this email."""
    with system_session() as session:
        rows = session.exec(
            select(Organization.slug, Membership.role)
            .join(Membership, Membership.org_id == Organization.id)  # type: ignore[arg-type]
            .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
            .where(User.email == email)
        ).all()
    return {slug: str(role) for slug, role in rows}


def _actions(ctx: TenantContext) -> list[str]:
    with system_session() as session:
        return list(
            session.exec(select(AuditEvent.action).where(AuditEvent.org_id == ctx.org_id)).all()
        )


def assert_refused(outcome, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert outcome.response.status_code == 303
    assert "/signin?error=" in outcome.location, outcome.location
    assert expected in outcome.error, outcome.error
    assert outcome.session_cookie == ""
    assert session_count() == 0


# ------------------------------------------------------------------ two organisations, two IdPs


def test_each_org_signs_in_through_its_own_idp_and_jit_lands_in_the_right_org(
    app_url: str, idp1: str, idp2: str, org_a: TenantContext, org_b: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"], default_role="member")
    configure(org_b, idp2, ["b.example"], default_role="coach")
    alice, bob = _uid("alice"), _uid("bob")
    set_user(idp1, alice, {"email": f"{alice}@a.example", "email_verified": True, "name": "Alice"})
    set_user(idp2, bob, {"email": f"{bob}@b.example", "email_verified": True, "name": "Bob"})

    first = sign_in(app_url, sub=alice, email=f"{alice}@a.example")
    sent = query(first.authorize_url)
    assert first.authorize_url.startswith(idp1 + "/")
    assert sent["code_challenge_method"] == "S256" and sent["code_challenge"]
    assert sent["nonce"] and sent["state"] and sent["client_id"] == f"pmo-{org_a.org_slug}"
    assert first.response.status_code == 303
    assert first.location.endswith(f"/o/{org_a.org_slug}")
    assert first.session_cookie
    assert "httponly" in first.response.headers["set-cookie"].lower()
    user = identity.resolve_session(token=first.session_cookie)
    assert user is not None and user.email == f"{alice}@a.example" and user.name == "Alice"
    assert _membership(user.email) == {org_a.org_slug: "member"}

    second = sign_in(app_url, sub=bob, org=org_b.org_slug)
    assert second.authorize_url.startswith(idp2 + "/")
    assert second.location.endswith(f"/o/{org_b.org_slug}")
    bob_user = identity.resolve_session(token=second.session_cookie)
    assert bob_user is not None
    assert _membership(bob_user.email) == {org_b.org_slug: "coach"}
    assert "sso.signed_in" in _actions(org_a) and "sso.member_provisioned" in _actions(org_b)
    with system_session() as session:
        a_targets = session.exec(
            select(AuditEvent.target).where(AuditEvent.org_id == org_a.org_id)
        ).all()
    assert bob_user.email not in a_targets

    again = sign_in(app_url, sub=alice, email=f"{alice}@a.example")
    assert identity.resolve_session(token=again.session_cookie).user_id == user.user_id  # type: ignore[union-attr]


def test_group_claim_maps_to_a_role(app_url: str, idp1: str, org_a: TenantContext) -> None:
    configure(
        org_a,
        idp1,
        ["a.example"],
        role_claim="groups",
        role_mapping={"pmo-admins": "admin", "coaches": "coach"},
    )
    dana = _uid("dana")
    email = f"{dana}@a.example"
    set_user(idp1, dana, {"email": email, "email_verified": True, "groups": ["staff", "coaches"]})
    assert sign_in(app_url, sub=dana, email=email).session_cookie
    assert _membership(email) == {org_a.org_slug: "coach"}

    set_user(idp1, dana, {"email": email, "email_verified": True, "groups": ["pmo-admins"]})
    assert sign_in(app_url, sub=dana, email=email).session_cookie
    assert _membership(email) == {org_a.org_slug: "admin"}


def test_existing_account_is_never_signed_in_and_its_owner_links_it_themselves(
    app_url: str, idp1: str, org_a: TenantContext, org_b: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"])
    email = f"{_uid('carol')}@a.example"
    carol_in_b = make_member(org_b, Role.MEMBER, email=email)
    sub = _uid("carol-sub")
    set_user(idp1, sub, {"email": email, "email_verified": True})
    refused = sign_in(app_url, sub=sub, email=email)
    assert_refused(refused, "Sign in with your password and link this identity")
    assert _membership(email) == {org_b.org_slug: "member"}
    assert "security.foreign_sso_refused" in _actions(org_b)

    # Carol signs in with her password; she is not in Org A, so she cannot link to its IdP.
    password_session = identity.start_session(user_id=carol_in_b.user_id)  # type: ignore[arg-type]
    cookies = {"pmo_session": password_session}
    not_member = httpx.get(f"{app_url}/sso/link?org={org_a.org_slug}", cookies=cookies)
    assert "was not found" in query(not_member.headers["location"])["error"]

    # Once a member of Org A (an accepted invitation), she links the identity herself.
    with system_session() as session:
        session.add(Membership(org_id=org_a.org_id, user_id=carol_in_b.user_id, role=Role.COACH))
    started = httpx.get(f"{app_url}/sso/link?org={org_a.org_slug}", cookies=cookies)
    assert started.headers["location"].startswith(idp1 + "/")
    callback = authorize_at_idp(started.headers["location"], sub)
    linked = httpx.get(callback, cookies=cookies)
    assert linked.headers["location"].endswith(f"/o/{org_a.org_slug}/account/sso?linked=1")
    assert "pmo_session=" not in linked.headers.get("set-cookie", "")
    assert "sso.identity_linked" in _actions(org_a)

    # From now on SSO opens her own account, and her role in Org A is unchanged.
    again = sign_in(app_url, sub=sub, email=email)
    assert identity.resolve_session(token=again.session_cookie).user_id == carol_in_b.user_id  # type: ignore[union-attr]
    assert _membership(email) == {org_a.org_slug: "coach", org_b.org_slug: "member"}


def test_email_domain_not_allowed_is_refused(app_url: str, idp1: str, org_a: TenantContext) -> None:
    configure(org_a, idp1, ["a.example"])
    by_email = start(app_url, email="eve@elsewhere.example")
    assert "No organisation uses single sign-on for elsewhere.example" in query(
        by_email.headers["location"]
    ).get("error", "")

    eve = _uid("eve")
    set_user(idp1, eve, {"email": f"{eve}@elsewhere.example", "email_verified": True})
    outcome = sign_in(app_url, sub=eve, org=org_a.org_slug)
    assert_refused(outcome, "only addresses at a.example are allowed")
    assert _membership(f"{eve}@elsewhere.example") == {}
    assert "sso.sign_in_refused" in _actions(org_a)


# ------------------------------------------------------------------ state, replay, nonce


def test_tampered_state_is_refused(app_url: str, idp1: str, org_a: TenantContext) -> None:
    configure(org_a, idp1, ["a.example"])
    sub = _uid("t")
    set_user(idp1, sub, {"email": f"{sub}@a.example", "email_verified": True})
    outcome = sign_in(
        app_url,
        sub=sub,
        email=f"{sub}@a.example",
        alter_callback=lambda url: with_query(url, state=query(url)["state"][:-2] + "xx"),
    )
    assert_refused(outcome, "does not match any sign-in started here")


def test_replayed_callback_and_replayed_code_are_refused(
    app_url: str, idp1: str, org_a: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"])
    sub = _uid("r")
    email = f"{sub}@a.example"
    set_user(idp1, sub, {"email": email, "email_verified": True})
    first = sign_in(app_url, sub=sub, email=email)
    assert first.session_cookie
    sessions_before = session_count()

    replay = httpx.get(first.callback_url)
    assert "already used" in query(replay.headers["location"])["error"]
    assert "pmo_session=" not in replay.headers.get("set-cookie", "")

    # The same code under a fresh, genuine state: the IdP has already spent it.
    fresh = start(app_url, email=email).headers["location"]
    spent_code = query(first.callback_url)["code"]
    reuse = httpx.get(f"{app_url}/sso/callback?state={query(fresh)['state']}&code={spent_code}")
    assert "refused the sign-in code" in query(reuse.headers["location"])["error"]
    assert session_count() == sessions_before


def test_nonce_mismatch_is_refused(app_url: str, idp1: str, org_a: TenantContext) -> None:
    configure(org_a, idp1, ["a.example"])
    sub = _uid("n")
    set_user(idp1, sub, {"email": f"{sub}@a.example", "email_verified": True})
    outcome = sign_in(
        app_url,
        sub=sub,
        email=f"{sub}@a.example",
        alter_authorize=lambda url: with_query(url, nonce="attacker-chosen-nonce"),
    )
    assert_refused(outcome, "nonce mismatch")


# ------------------------------------------------------------------ ID-token checks (strict peer)


def _strict_org(org: TenantContext, strict_idp: str, app_url: str, *, secret: str = STRICT_SECRET):
    client_id = f"strict-{org.org_slug}-{secrets.token_hex(3)}"
    register_strict_client(strict_idp, client_id, app_url, STRICT_SECRET)
    configure(org, strict_idp, ["a.example"], client_id=client_id, client_secret=secret)


def _strict_user(strict_idp: str) -> tuple[str, str]:
    sub = _uid("s")
    set_user(strict_idp, sub, {"email": f"{sub}@a.example", "email_verified": True}, strict=True)
    return sub, f"{sub}@a.example"


def test_strict_peer_accepts_a_correct_sign_in(
    app_url: str, strict_idp: str, org_a: TenantContext
) -> None:
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    outcome = sign_in(app_url, sub=sub, email=email)
    assert outcome.session_cookie, outcome.location


def _tamper(strict_idp: str, **switches: object) -> None:
    httpx.put(f"{strict_idp}/_peer/tamper", json=switches).raise_for_status()


def test_id_token_from_the_other_orgs_issuer_is_refused(
    app_url: str, strict_idp: str, idp2: str, org_a: TenantContext, org_b: TenantContext
) -> None:
    configure(org_b, idp2, ["b.example"])
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    _tamper(strict_idp, iss=idp2)
    assert_refused(sign_in(app_url, sub=sub, email=email), "issued by another identity provider")


def test_code_from_the_other_orgs_idp_is_refused(
    app_url: str, idp1: str, idp2: str, org_a: TenantContext, org_b: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"])
    configure(org_b, idp2, ["b.example"])
    sub = _uid("x")
    set_user(idp2, sub, {"email": f"{sub}@a.example", "email_verified": True})
    outcome = sign_in(
        app_url,
        sub=sub,
        email=f"{sub}@a.example",
        alter_authorize=lambda url: url.replace(idp1, idp2),
    )
    assert_refused(outcome, "refused the sign-in code")


def test_wrong_audience_is_refused(app_url: str, strict_idp: str, org_a: TenantContext) -> None:
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    _tamper(strict_idp, aud="some-other-app")
    assert_refused(sign_in(app_url, sub=sub, email=email), "wrong audience")


def test_expired_id_token_is_refused(app_url: str, strict_idp: str, org_a: TenantContext) -> None:
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    _tamper(strict_idp, exp_offset=-3600)
    assert_refused(sign_in(app_url, sub=sub, email=email), "ID token has expired")


def test_wrong_client_secret_is_refused(
    app_url: str, strict_idp: str, org_a: TenantContext
) -> None:
    _strict_org(org_a, strict_idp, app_url, secret="not-the-registered-secret")
    sub, email = _strict_user(strict_idp)
    assert_refused(
        sign_in(app_url, sub=sub, email=email), "did not accept this organisation's client id"
    )


def test_missing_pkce_challenge_is_refused(
    app_url: str, strict_idp: str, org_a: TenantContext
) -> None:
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    outcome = sign_in(
        app_url,
        sub=sub,
        email=email,
        alter_authorize=lambda url: with_query(
            url, code_challenge=None, code_challenge_method=None
        ),
    )
    assert_refused(outcome, "The identity provider did not sign you in")
    assert "code_challenge" in outcome.error


def test_wrong_pkce_verifier_is_refused(
    app_url: str, strict_idp: str, org_a: TenantContext
) -> None:
    _strict_org(org_a, strict_idp, app_url)
    sub, email = _strict_user(strict_idp)
    attacker_challenge = create_s256_code_challenge("attacker-verifier-" + "x" * 40)
    outcome = sign_in(
        app_url,
        sub=sub,
        email=email,
        alter_authorize=lambda url: with_query(url, code_challenge=attacker_challenge),
    )
    assert_refused(outcome, "PKCE check")


# ------------------------------------------------------------------ sign-out


def _post_sign_out(app_url: str, token: str) -> httpx.Response:
    """Sign-out is a POST from the public origin with the browser's CSRF token."""
    from pmo_saas.security_headers import allowed_origins, csrf_token

    return httpx.post(
        f"{app_url}/auth/signout",
        cookies={"pmo_session": token, "pmo_bind": "sso-test-browser"},
        data={"csrf_token": csrf_token("sso-test-browser")},
        headers={"origin": allowed_origins()[0]},
    )


def test_sign_out_ends_the_idp_session_when_advertised(
    app_url: str, idp1: str, strict_idp: str, org_a: TenantContext, org_b: TenantContext
) -> None:
    configure(org_a, idp1, ["a.example"])
    sub = _uid("o")
    set_user(idp1, sub, {"email": f"{sub}@a.example", "email_verified": True})
    token = sign_in(app_url, sub=sub, email=f"{sub}@a.example").session_cookie
    out = _post_sign_out(app_url, token)
    location = out.headers["location"]
    assert location.startswith(f"{idp1}/oauth2/end_session?")
    assert query(location)["id_token_hint"] and query(location)["post_logout_redirect_uri"]
    assert identity.resolve_session(token=token) is None

    # The strict peer advertises no end_session_endpoint: local sign-out only.
    with system_session() as session:
        from pmo_saas.identity.sso_models import SsoDomain

        for row in session.exec(select(SsoDomain).where(SsoDomain.org_id == org_a.org_id)):
            session.delete(row)
    _strict_org(org_b, strict_idp, app_url)
    sub2, email2 = _strict_user(strict_idp)
    token2 = sign_in(app_url, sub=sub2, email=email2).session_cookie
    assert token2
    out2 = _post_sign_out(app_url, token2)
    assert not out2.headers["location"].startswith(strict_idp)
    assert identity.resolve_session(token=token2) is None


# ------------------------------------------------------------------ operator-level social sign-in


def test_social_sign_in_is_off_by_default_and_opens_existing_accounts_only(
    app_url: str, idp1: str, org_a: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pmo_saas.identity import sso_social as sso
    from pmo_saas.settings import get_settings

    off = httpx.get(f"{app_url}/sso/social/google")
    assert "not available here" in query(off.headers["location"])["error"]
    assert sso.social_choices() == []

    settings = get_settings()
    monkeypatch.setattr(settings, "sso_google_client_id", "operator-google-client")
    monkeypatch.setattr(settings, "sso_google_client_secret", SecretStr("operator-secret"))
    monkeypatch.setattr(settings, "sso_google_issuer", idp1)
    assert [c.key for c in sso.social_choices()] == ["google"]

    member = make_member(org_a, Role.MEMBER, email=f"{_uid('g')}@gmail.example")
    sub = _uid("google-sub")

    def social(email: str, verified: bool) -> httpx.Response:
        set_user(idp1, sub, {"email": email, "email_verified": verified})
        started = httpx.get(f"{app_url}/sso/social/google")
        callback = authorize_at_idp(started.headers["location"], sub)
        return httpx.get(callback)

    unknown = social(f"{_uid('g')}@gmail.example", True)
    assert "No account uses" in query(unknown.headers["location"])["error"]
    with system_session() as session:
        email = session.get(User, member.user_id).email  # type: ignore[union-attr]
    assert "has not verified" in query(social(email, False).headers["location"])["error"]
    assert session_count() == 0
    ok = social(email, True)
    token = ok.cookies.get("pmo_session")
    assert token and identity.resolve_session(token=token).user_id == member.user_id  # type: ignore[union-attr]
    with system_session() as session:
        details = session.exec(
            select(AuditEvent.detail).where(
                AuditEvent.org_id == org_a.org_id, AuditEvent.action == "user.signed_in"
            )
        ).all()
    assert "through Google" in details


def test_a_sign_in_left_too_long_is_refused(app_url: str, idp1: str, org_a: TenantContext) -> None:
    from datetime import timedelta

    from pmo_saas.kernel import clock

    configure(org_a, idp1, ["a.example"])
    sub = _uid("slow")
    set_user(idp1, sub, {"email": f"{sub}@a.example", "email_verified": True})
    started = start(app_url, email=f"{sub}@a.example").headers["location"]
    callback = authorize_at_idp(started, sub)
    clock.freeze(clock.utcnow() + timedelta(minutes=11))
    late = httpx.get(callback)
    assert "took too long" in query(late.headers["location"])["error"]
    assert session_count() == 0
