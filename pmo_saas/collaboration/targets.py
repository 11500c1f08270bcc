"""What comments can be about: a registry of kinds of object, filled by the domains that own
them (portfolio/comment_targets.py and the like, loaded by pmo_saas.models), so collaboration
imports none of them and they may import collaboration.

Each kind says whether a context may see one of its objects (the object's own rules: a team's
coaching plan only to that team, coaches and viewers), what to call it and where it lives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from pmo_saas.identity.models import Membership
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.kernel.roles import Role

CanSee = Callable[[Session, TenantContext, int], bool]
# (its title, the workspace path of its page: "/dashboard/governance/12")
Describe = Callable[[Session, int], tuple[str, str]]


@dataclass(frozen=True, slots=True)
class TargetKind:
    kind: str
    label: str  # "initiative", as in "Comments on this initiative"
    can_see: CanSee  # may ctx see object `id`? (False for a missing one too)
    describe: Describe  # asked only once can_see said yes
    # Every member of the organisation sees it when it exists (the portfolio): one check
    # answers for a whole list of people.
    open_to_members: bool = False


_KINDS: dict[str, TargetKind] = {}


def register_target(
    kind: str,
    *,
    label: str,
    can_see: CanSee,
    describe: Describe,
    open_to_members: bool = False,
) -> None:
    """Called by the domain owning `kind` at import (idempotent)."""
    _KINDS[kind] = TargetKind(kind, label, can_see, describe, open_to_members)


def registered_kinds() -> list[str]:
    return sorted(_KINDS)


def target_kind(kind: str) -> TargetKind:
    found = _KINDS.get(kind)
    if found is None:
        raise NotFound("That item")
    return found


def require_visible(session: Session, ctx: TenantContext, kind: str, target_id: int) -> TargetKind:
    """The kind, once ctx may see the object; the same NotFound for missing and hidden."""
    found = target_kind(kind)
    if not isinstance(target_id, int) or not found.can_see(session, ctx, target_id):
        raise NotFound(f"That {found.label}")
    return found


def member_contexts(
    session: Session, ctx: TenantContext, user_ids: Iterable[int]
) -> dict[int, TenantContext]:
    """The contexts these people would act with in ctx's organisation (members only)."""
    ids = {u for u in user_ids if isinstance(u, int) and 0 < u < 2**31}
    if not ids:
        return {}
    rows = session.exec(
        select(Membership.user_id, Membership.role).where(col(Membership.user_id).in_(ids))
    ).all()
    return {
        uid: TenantContext(org_id=ctx.org_id, user_id=uid, role=Role(role), org_slug=ctx.org_slug)
        for uid, role in rows
    }


def who_can_see(
    session: Session, ctx: TenantContext, kind: str, target_id: int, user_ids: Iterable[int]
) -> set[int]:
    """Those of `user_ids`, members of ctx's organisation, who may see the object."""
    found = target_kind(kind)
    members = member_contexts(session, ctx, user_ids)
    if found.open_to_members and members:
        first = next(iter(members.values()))
        return set(members) if found.can_see(session, first, target_id) else set()
    return {uid for uid, other in members.items() if found.can_see(session, other, target_id)}


def path_if_visible(session: Session, ctx: TenantContext, kind: str, target_id: int) -> str | None:
    """The object's workspace path ("/dashboard/governance/12") if ctx may see it, else None."""
    found = _KINDS.get(kind)
    if found is None or not found.can_see(session, ctx, target_id):
        return None
    return found.describe(session, target_id)[1]
