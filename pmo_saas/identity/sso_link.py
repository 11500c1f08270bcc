"""A signed-in member links their own account to their organisation's IdP identity.

`begin_link` starts SSO for an organisation where the caller is a member; on the callback
(`sso_signin.finish_sign_in`) `finish_link` links issuer + subject to that same user, after
checking that the browser is still signed in as them and that the IdP's verified email is
their own address at a domain this organisation proved. No new session is started. This is
the only way an existing account gets an IdP identity: SSO never links one by itself.
"""

from __future__ import annotations

from sqlmodel import Session, select

from pmo_saas.db import tenant_session
from pmo_saas.identity import audit, oidc_gateway
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership
from pmo_saas.identity.sso import SsoRefused, _domain_of
from pmo_saas.identity.sso_models import SsoIdentity
from pmo_saas.identity.sso_signin import (
    SsoSignIn,
    _Attempt,
    _authorization,
    _claimed_email,
    _load_connection,
    _OrgConnection,
    link_page_path,
)
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role


def begin_link(*, session_token: str, org_slug: str, redirect_uri: str) -> str:
    """A signed-in member starts linking their own account to this organisation's IdP; on
    the callback the identity is linked to them (no new session) if the IdP's verified email
    is theirs."""
    signed_in = identity.resolve_session(token=session_token)
    if signed_in is None:
        raise SsoRefused("Sign in first, then link your single sign-on identity.")
    try:
        ctx = identity.workspace_context(user_id=signed_in.user_id, slug=org_slug)
    except NotFound:
        raise SsoRefused("That organisation was not found.") from None
    connection = _load_connection(ctx.org_id, ctx.org_slug)
    email = signed_in.email.lower()
    if _domain_of(email) not in connection.domains:
        raise SsoRefused(
            f"{connection.org_name} has not proven the domain of {email}, so its identity "
            "provider cannot be linked to your account."
        )
    return _authorization(
        connection,
        redirect_uri=redirect_uri,
        next_path=link_page_path(connection.org_slug),
        login_hint=email,
        link_user_id=signed_in.user_id,
    )


def finish_link(
    connection: _OrgConnection,
    person: oidc_gateway.VerifiedIdentity,
    attempt: _Attempt,
    user_id: int,
    session_token: str,
) -> SsoSignIn:
    """Link issuer + subject to the signed-in user who started it, if the IdP's verified
    email is that user's own address (at a domain this organisation proved)."""
    current = identity.resolve_session(token=session_token)
    if current is None or current.user_id != user_id:
        raise SsoRefused(
            "Linking was started by another account than the one signed in here. Sign in "
            "as yourself and start linking again."
        )
    email = _claimed_email(connection, person)
    if email != current.email.lower() or not person.email_verified:
        raise SsoRefused(
            f"The identity provider signed you in as {email}"
            + ("" if person.email_verified else " (not verified)")
            + f", which is not your account's verified address {current.email}: nothing "
            "was linked.",
            email=current.email.lower(),
        )
    ctx = TenantContext(org_id=connection.org_id, user_id=user_id, role=Role.VIEWER)
    with tenant_session(ctx) as session:
        if session.exec(select(Membership.id).where(Membership.user_id == user_id)).first() is None:
            raise SsoRefused("You are not a member of this organisation any more.")
        link = session.exec(
            select(SsoIdentity).where(
                SsoIdentity.issuer == person.issuer, SsoIdentity.subject == person.subject
            )
        ).first()
        if link is not None and link.user_id != user_id:
            raise SsoRefused(
                "This identity is already linked to another account; nothing was changed.",
                email=email,
            )
        if link is None:
            session.add(
                SsoIdentity(
                    user_id=user_id,
                    issuer=person.issuer,
                    subject=person.subject,
                )
            )
            audit.record(
                session=session,
                ctx=ctx,
                action="sso.identity_linked",
                target=email,
                detail=f"issuer {person.issuer}, linked by the account holder",
            )
    return SsoSignIn(
        session_token="",
        next_path=attempt.next_path + "?linked=1",
        user_id=user_id,
        org_slug=connection.org_slug,
        created_user=False,
        linked=True,
    )


def linked_identities(*, session: Session, ctx: TenantContext) -> list[str]:
    """The caller's own linked identities in this organisation (issuers)."""
    return list(
        session.exec(select(SsoIdentity.issuer).where(SsoIdentity.user_id == ctx.user_id)).all()
    )


def unlink_identities(*, session: Session, ctx: TenantContext) -> int:
    """The caller removes their own links in this organisation (audited)."""
    rows = list(session.exec(select(SsoIdentity).where(SsoIdentity.user_id == ctx.user_id)))
    for row in rows:
        session.delete(row)
    if rows:
        audit.record(
            session=session,
            ctx=ctx,
            action="sso.identity_unlinked",
            target=", ".join(row.issuer for row in rows)[:254],
        )
    return len(rows)
