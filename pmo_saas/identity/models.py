"""Organisations, people, memberships, teams, invitations, sessions, audit and mail."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from pmo_saas.db import TenantOwned, versions_follow
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.roles import Role


def first_data_version() -> int:
    """A new organisation's first data version: random in 1..2**30 (an int4 column, with
    room for a billion writes), so a reused id never repeats an earlier (id, version) pair."""
    return secrets.randbelow(2**30) + 1


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=60, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Bumped by db.py in the transaction of every write to the organisation's data: a view
    # computed at one version is still true at that version (db.cached_in_tenant). It starts
    # at a random value, not 0: SQLite hands a deleted organisation's id to the next one, and
    # a new organisation counting from 0 again would meet the views cached for the old one.
    data_version: int = Field(
        default_factory=first_data_version, sa_column_kwargs={"server_default": "0"}
    )


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    # Empty for an account that signs in only through single sign-on.
    password_hash: str = Field(default="", max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    # Until set, the person cannot invite anyone or configure SSO (sign-up mails a link).
    email_verified_at: datetime | None = None
    # Reset links issued before this moment are dead.
    password_changed_at: datetime | None = None


# A person's name shows in every view of their organisations: renaming them is a write to each.
versions_follow(
    "user",
    "UPDATE organization SET data_version = data_version + 1"
    " WHERE id IN (SELECT org_id FROM membership WHERE user_id = :id)",
)


class Membership(TenantOwned, table=True):
    __table_args__ = (UniqueConstraint("org_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: Role = Field(default=Role.MEMBER, sa_type=String(16))
    created_at: datetime = Field(default_factory=utcnow)


class Team(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)


class TeamMember(TenantOwned, table=True):
    __table_args__ = (UniqueConstraint("org_id", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")


class Invitation(TenantOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    role: Role = Field(default=Role.MEMBER, sa_type=String(16))
    token_hash: str = Field(max_length=64, unique=True, index=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(TenantOwned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    actor_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=254)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class UserSession(SQLModel, table=True):
    """A signed-in browser. Only the token's hash is stored; the token lives in a cookie."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = Field(default="", max_length=255)


class SignInTicket(SQLModel, table=True):
    """One-time, short-lived hand-over from a verified form to the cookie-setting route."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    next_path: str = Field(default="/", max_length=255)
    expires_at: datetime
    used_at: datetime | None = None
    # SHA-256 of the asking browser's `pmo_bind` cookie: redeemed in another browser, refused.
    browser_binding_hash: str = Field(
        default="", max_length=64, sa_column_kwargs={"server_default": ""}
    )


class PasswordReset(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    expires_at: datetime
    used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class EmailVerification(SQLModel, table=True):
    """A one-time link that proves the person reads mail at the account's address."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class OutboxMessage(TenantOwned, table=True):
    """Every mail sent, kept locally; with no SMTP configured this is the only delivery."""

    # Mail that belongs to no organisation (password reset) has no org_id.
    org_id: int | None = Field(  # type: ignore[assignment]
        default=None, foreign_key="organization.id", index=True, ondelete="CASCADE"
    )
    id: int | None = Field(default=None, primary_key=True)
    to_email: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=255)
    body: str = Field(sa_column=Column(Text, nullable=False))
    sent_via: str = Field(default="outbox", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    # Delivery (pmo_saas/jobs/mail_retry.py): "sent", or "failed" until the retry job
    # delivers it, or "gave_up" after settings.jobs_mail_max_attempts.
    status: str = Field(
        default="sent", max_length=16, index=True, sa_column_kwargs={"server_default": "sent"}
    )
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = None
    last_error: str = Field(default="", max_length=500, sa_column_kwargs={"server_default": ""})
