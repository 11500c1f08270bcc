"""The portfolio's notifications (collaboration's `notify`, imported plainly: the arrow points
portfolio -> collaboration, never back): who owns an initiative, and the funding changes a
published plan brings to their owners.

An initiative's owner is free text (`Initiative.owner`, often a person's name). It names a
member when it is a member's e-mail address, or the name of exactly one member (two members
of that name: nobody is told, rather than the wrong one).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.collaboration.models import FUNDING
from pmo_saas.collaboration.services.notifications import notify
from pmo_saas.identity.models import Membership, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.portfolio.models import Initiative, PublishedPlan
from pmo_saas.portfolio.schemas import FundingPlan

FUNDED, NOT_FUNDED = "funded", "not_funded"


def owner_member_ids(session: Session, owners: Iterable[str]) -> dict[str, int]:
    """Each owner text (lower-cased) that names one member, with that member's id."""
    wanted = {o.strip().lower() for o in owners if o and o.strip()}
    if not wanted:
        return {}
    rows = session.exec(
        select(User.id, func.lower(User.name), func.lower(User.email))
        .join(Membership, col(Membership.user_id) == User.id)
        .where(func.lower(User.name).in_(wanted) | func.lower(User.email).in_(wanted))
    ).all()
    by_email = {email: uid for uid, _name, email in rows if email in wanted}
    by_name: dict[str, set[int]] = {}
    for uid, name, _email in rows:
        if name in wanted and uid is not None:
            by_name.setdefault(name, set()).add(uid)
    found = {name: next(iter(ids)) for name, ids in by_name.items() if len(ids) == 1}
    found.update(by_email)
    return {k: v for k, v in found.items() if v is not None}


def owner_of(session: Session, owner: str) -> set[int]:
    found = owner_member_ids(session, [owner]).get(owner.strip().lower())
    return {found} if found is not None else set()


def _states(plan: FundingPlan | None) -> dict[int, str]:
    if plan is None:
        return {}
    return {line.initiative_id: FUNDED if line.funded else NOT_FUNDED for line in plan.lines}


def notify_funding_changes(
    session: Session, ctx: TenantContext, published: PublishedPlan, plan: FundingPlan
) -> int:
    """Tell each owner whose initiative this plan funds, or leaves unfunded, when that differs
    from the portfolio's plan before it (the first plan decides for every initiative in it)."""
    assert published.id is not None
    before_row = session.exec(
        select(PublishedPlan.snapshot_json)
        .where(
            PublishedPlan.portfolio_id == published.portfolio_id,
            col(PublishedPlan.id) != published.id,
        )
        .order_by(col(PublishedPlan.published_at).desc(), col(PublishedPlan.id).desc())
    ).first()
    before = _states(FundingPlan.model_validate_json(before_row) if before_row else None)
    changed = {i: s for i, s in _states(plan).items() if before.get(i) != s}
    if not changed:
        return 0
    initiatives = session.exec(
        select(Initiative.id, Initiative.title, Initiative.owner).where(
            col(Initiative.id).in_(list(changed))
        )
    ).all()
    owners = owner_member_ids(session, (owner for _i, _t, owner in initiatives))
    told = 0
    for initiative_id, title, owner in initiatives:
        uid = owners.get(owner.strip().lower())
        if uid is None or initiative_id is None:
            continue
        state = changed[initiative_id]
        what = (
            "is funded"
            if state == FUNDED
            else "is no longer funded"
            if before.get(initiative_id) == FUNDED
            else "is not funded"
        )
        told += notify(
            session=session,
            ctx=ctx,
            kind=FUNDING,
            recipient_ids=[uid],
            title=f"“{title}” {what} in the published plan “{published.scenario_name}”",
            target_kind="initiative",
            target_id=initiative_id,
            event_key=f"plan:{published.id}:{initiative_id}",
        )
    return told
