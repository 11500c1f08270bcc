"""Whether password sign-in is allowed for a user (an organisation may require SSO).

An organisation whose SSO connection is enabled with "require SSO" refuses passwords for its
members, except its owners: the break-glass way in when the identity provider is down.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pmo_saas.identity.models import Membership, Organization
from pmo_saas.identity.sso_models import SsoConnection
from pmo_saas.kernel.roles import Role


def password_signin_refusal(*, session: Session, user_id: int) -> str | None:
    """A message saying why this user must use SSO instead of a password, or None.

    Called inside sign-in's system session (no organisation is chosen yet).
    """
    rows = session.exec(
        select(Organization.name, Membership.role)
        .join(Membership, col(Membership.org_id) == Organization.id)
        .join(SsoConnection, col(SsoConnection.org_id) == Organization.id)
        .where(
            Membership.user_id == user_id,
            col(SsoConnection.require_sso).is_(True),
            col(SsoConnection.enabled).is_(True),
        )
        .order_by(Organization.name)
    ).all()
    names = [name for name, role in rows if Role(role) != Role.OWNER]
    if not names:
        return None
    return (
        f"{' and '.join(names)} requires single sign-on: choose “Sign in with SSO” and "
        "enter your work email."
    )
