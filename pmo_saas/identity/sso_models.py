"""Tables of single sign-on: one OpenID Connect connection per organisation, its email
domains, the IdP identities linked to users, and the short-lived sign-in attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.roles import Role


class SsoConnection(TenantOwned, table=True):
    """An organisation's identity provider. The client secret is stored encrypted only."""

    __table_args__ = (UniqueConstraint("org_id", name="uq_ssoconnection_org"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer_url: str = Field(max_length=500)
    client_id: str = Field(max_length=255)
    client_secret_encrypted: str = Field(sa_column=Column(Text, nullable=False, default=""))
    default_role: Role = Field(default=Role.MEMBER, sa_type=String(16))
    require_sso: bool = False
    enabled: bool = True
    # Name of an ID-token/userinfo claim (e.g. "groups") and a JSON object {value: role}.
    role_claim: str = Field(default="", max_length=100)
    role_mapping: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


DOMAIN_PENDING = "pending"
DOMAIN_VERIFIED = "verified"


class SsoDomain(TenantOwned, table=True):
    """An email domain the organisation claims for SSO. It counts (sign-in, JIT, linking)
    only once proven (status verified) by a DNS TXT record or a link mailed to an admin
    mailbox at the domain; at most one organisation holds a domain verified at a time."""

    __table_args__ = (
        UniqueConstraint("org_id", "domain"),
        Index(
            "uq_ssodomain_verified_domain",
            "domain",
            unique=True,
            sqlite_where=text("status = 'verified'"),
            postgresql_where=text("status = 'verified'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=253, index=True)
    status: str = Field(default=DOMAIN_PENDING, max_length=16)
    # How it was proven: "dns" or "mail" ("" while pending).
    method: str = Field(default="", max_length=8)
    # Published in public DNS by design (pmo-saas-verification=<token>), so kept readable.
    dns_token: str = Field(default="", max_length=64)
    # The mailed link's one-time token: only its hash, until it is used or expires.
    mail_token_hash: str = Field(default="", max_length=64, index=True)
    mail_token_expires_at: datetime | None = None
    mail_sent_to: str = Field(default="", max_length=320)
    claimed_at: datetime = Field(default_factory=utcnow)
    verified_at: datetime | None = None
    # Who proved it: the admin who ran the DNS check, or the mailbox that confirmed the link.
    verified_by: str = Field(default="", max_length=320)


class SsoIdentity(TenantOwned, table=True):
    """A user's subject at the organisation's IdP, linked on their first SSO sign-in."""

    __table_args__ = (UniqueConstraint("org_id", "issuer", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None


class SsoLoginAttempt(SQLModel, table=True):
    """One authorization request in flight: state (hashed), nonce and PKCE verifier stay on
    the server, used once, within minutes. It precedes sign-in, like SignInTicket."""

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True, index=True)
    # The organisation whose IdP is asked; empty for operator-level social sign-in.
    org_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, ondelete="CASCADE"
    )
    provider: str = Field(default="org", max_length=32)
    # Set when a signed-in user links their own account to an IdP identity (no new session).
    link_user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    nonce: str = Field(max_length=128)
    code_verifier_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    redirect_uri: str = Field(max_length=500)
    next_path: str = Field(default="/", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
    used_at: datetime | None = None


class SsoSessionLink(SQLModel, table=True):
    """Which IdP a session came from, so sign-out can end the IdP session too."""

    id: int | None = Field(default=None, primary_key=True)
    session_token_hash: str = Field(max_length=64, unique=True, index=True)
    org_id: int | None = Field(
        default=None, foreign_key="organization.id", index=True, ondelete="CASCADE"
    )
    provider: str = Field(default="org", max_length=32)
    # Taken from discovery at sign-in, so sign-out needs no call to the IdP.
    end_session_endpoint: str = Field(default="", max_length=500)
    client_id: str = Field(default="", max_length=255)
    id_token_encrypted: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
