"""Organisation API keys: created and revoked by admins, shown once, stored hashed, rate limited.

Each key acts with the role chosen when it was created (viewer, member, coach or admin, never
above its creator's); keys made before roles were chosen act as coaches, as they always did.

A key is `pmo_` + 43 random URL-safe characters (256 bits), so a plain SHA-256 of it is a safe
stored form (no salt or slow hash is needed for a random secret of that size). The request
counter lives in the database (one row per key per UTC minute, incremented by one atomic
upsert), so the limit holds across every worker and process.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org, system_session
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, Organization, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, Forbidden, RateLimited, ValidationFailed
from pmo_saas.kernel.roles import ROLE_LABELS, Role, at_least
from pmo_saas.rest.models import KEY_ROLES, SCOPES, ApiKey, ApiRateCounter
from pmo_saas.rest.schemas import ApiCaller, ApiKeyRow, CreatedApiKey

KEY_PREFIX = "pmo_"
# Creating a key needs this role; a key lives only while its creator still holds it.
KEY_ROLE = Role.ADMIN
ADMIN_MESSAGE = "Only admins and owners manage API keys."
SCOPE_LABELS = {"read": "Read only", "read_write": "Read and write"}


def rate_limit_per_minute() -> int:
    """Requests per key per minute (PMO_API_RATE_PER_MINUTE overrides the default 120)."""
    try:
        return max(1, int(os.environ.get("PMO_API_RATE_PER_MINUTE", "120")))
    except ValueError:
        return 120


class InvalidApiKey(DomainError):
    """Missing, unknown or revoked key: the API answers 401 for all three alike."""

    def __init__(self) -> None:
        super().__init__("A valid API key is required (Authorization: Bearer <key>).")


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _iso(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[attr-defined]


def _row(key: ApiKey, names: dict[int, str]) -> ApiKeyRow:
    assert key.id is not None
    return ApiKeyRow(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        scope=key.scope,
        role=key.role,
        created_by=names.get(key.created_by_id or 0, ""),
        created_at=_iso(key.created_at),
        last_used_at=_iso(key.last_used_at),
        revoked=key.revoked_at is not None,
    )


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {
        uid: name
        for uid, name in session.exec(
            select(User.id, User.name).where(col(User.id).in_(wanted))
        ).all()
        if uid is not None
    }


def _key_role(ctx: TenantContext, role: str) -> Role:
    """The role a new key acts with: one of KEY_ROLES, never above the creator's own."""
    try:
        wanted = Role(str(role or ""))
    except ValueError:
        raise ValidationFailed("Choose viewer, member, coach or admin.", field="role") from None
    if not at_least(ctx.role, wanted):
        raise Forbidden("A key cannot act with a role above your own.")
    if wanted not in KEY_ROLES:
        raise ValidationFailed("Choose viewer, member, coach or admin.", field="role")
    return wanted


def create_api_key(
    *,
    session: Session,
    ctx: TenantContext,
    name: str,
    scope: str = "read",
    role: str = Role.COACH.value,
) -> CreatedApiKey:
    """A new key; the returned `key` is the only time it is ever seen in clear."""
    ctx.require(KEY_ROLE, ADMIN_MESSAGE)
    key_role = _key_role(ctx, role)
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationFailed("Give the key a name, e.g. the tool that will use it.", field="name")
    if len(name) > 120:
        raise ValidationFailed("The name is longer than 120 characters.", field="name")
    if scope not in SCOPES:
        raise ValidationFailed("Choose read or read and write.", field="scope")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=raw[:12],
        key_hash=hash_key(raw),
        scope=scope,
        role=key_role.value,
        created_by_id=ctx.user_id,
    )
    session.add(key)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="apikey.created",
        target=name,
        detail=f"{SCOPE_LABELS[scope]}, as {ROLE_LABELS[key_role]}",
    )
    return CreatedApiKey(row=_row(key, _names(session, [ctx.user_id])), key=raw)


def list_api_keys(*, session: Session, ctx: TenantContext) -> list[ApiKeyRow]:
    ctx.require(Role.ADMIN, ADMIN_MESSAGE)
    keys = session.exec(select(ApiKey).order_by(col(ApiKey.created_at).desc())).all()
    names = _names(session, [k.created_by_id for k in keys])
    return [_row(k, names) for k in keys]


def revoke_api_key(*, session: Session, ctx: TenantContext, key_id: int) -> None:
    ctx.require(Role.ADMIN, ADMIN_MESSAGE)
    key = get_in_org(session, ApiKey, key_id, "That API key")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.add(key)
        audit.record(session=session, ctx=ctx, action="apikey.revoked", target=key.name)


def _count_request(session: Session, key_id: int, minute: int) -> int:
    """One atomic upsert: this minute's count for the key after this request."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ApiRateCounter.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(key_id=key_id, minute=minute, count=1)
        .on_conflict_do_update(
            index_elements=["key_id", "minute"], set_={"count": table.c.count + 1}
        )
        .returning(table.c.count)
    )
    return int(session.execute(statement).scalar_one())


def _creator_still_entitled(session: Session, key: ApiKey) -> bool:
    """The key's creator is still a member of its organisation, with at least KEY_ROLE."""
    if key.created_by_id is None:
        return False
    role = session.exec(
        select(Membership.role).where(
            Membership.org_id == key.org_id, Membership.user_id == key.created_by_id
        )
    ).first()
    return role is not None and at_least(Role(role), KEY_ROLE)


def authenticate(authorization: str) -> ApiCaller:
    """Check `Authorization: Bearer <key>` and count the request against the key's limit.

    Runs before any organisation is known (like signing in), so it uses a system session.
    A key dies with its creator's membership: creator removed, or demoted below KEY_ROLE,
    the key is revoked here, for good (committed before the 401).
    """
    scheme, _, raw = (authorization or "").partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        raise InvalidApiKey()
    now = utcnow()
    with system_session() as session:
        caller = _authenticate_in(session, raw, now)
    if caller is None:  # after the block: the revocation of an orphaned key is committed
        raise InvalidApiKey()
    return caller


def _authenticate_in(session: Session, raw: str, now: datetime) -> ApiCaller | None:
    found = session.exec(
        select(ApiKey, Organization.slug)
        .join(Organization, col(Organization.id) == ApiKey.org_id)
        .where(ApiKey.key_hash == hash_key(raw))
    ).first()
    if found is None or found[0].revoked_at is not None:
        return None
    key, slug = found
    assert key.id is not None
    if not _creator_still_entitled(session, key):
        key.revoked_at = now
        session.add(key)
        return None
    minute = int(now.timestamp() // 60)
    used = _count_request(session, key.id, minute)
    if used == 1:  # the key's first request this minute: drop its past minutes
        session.exec(
            delete(ApiRateCounter).where(
                col(ApiRateCounter.key_id) == key.id, col(ApiRateCounter.minute) < minute
            )
        )
    if used > rate_limit_per_minute():
        raise RateLimited(
            f"This key made more than {rate_limit_per_minute()} requests this minute; "
            "wait a minute and retry."
        )
    if key.last_used_at is None or (now - as_utc(key.last_used_at)).total_seconds() > 60:
        key.last_used_at = now
        session.add(key)
    return ApiCaller(
        key_id=key.id,
        org_id=key.org_id or 0,
        org_slug=slug,
        scope=key.scope,
        role=key.role,
        created_by_id=key.created_by_id,
    )


def prune_rate_counters(*, older_than_minutes: int = 60) -> int:
    """Delete counters of past minutes (run now and then; they are useless after a minute)."""
    cutoff = int(utcnow().timestamp() // 60) - older_than_minutes
    with system_session() as session:
        rows = session.exec(
            select(func.count()).select_from(ApiRateCounter).where(ApiRateCounter.minute < cutoff)
        ).one()
        session.exec(delete(ApiRateCounter).where(col(ApiRateCounter.minute) < cutoff))
        return int(rows)
