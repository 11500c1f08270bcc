"""Participatory budgeting (SAFe Lean Portfolio Management style): a facilitator opens a
session with a total; each invited stakeholder splits it across the portfolio's value streams
(or its initiatives); the facilitator settles the split, which becomes the portfolio's stream
budgets that "Fund the best set" respects (pages/budgeting.py).

Who sees what:
- the session exists for coaches, admins and owners (the facilitators) and its invited
  stakeholders; for everyone else it is "not found", like a row of another organisation;
- a stakeholder sees the spread (per option: median, range, outliers, count) only once they
  saved their own allocation, so that the first split does not anchor the others; after the
  session closes every stakeholder sees it;
- allocations are anonymous to stakeholders: a member sees the other amounts as "Stakeholder
  1..n" (ordered by the amounts, not by person or time) and their own as "You"; only
  facilitators see whose allocation is whose (page, CSV and REST alike).
The caller's role is read from their membership row on every call: a removed or demoted
person acting with an older context is refused as they are now.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership
from pmo_saas.kernel import formatting
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.portfolio import csvio, fields
from pmo_saas.portfolio.budget_math import proposed_split, spread_of
from pmo_saas.portfolio.models import (
    BudgetAllocation,
    BudgetSession,
    BudgetStakeholder,
    Portfolio,
    StreamBudget,
)
from pmo_saas.portfolio.schemas import (
    AllocationRow,
    BudgetOption,
    BudgetSessionRow,
    BudgetSessionView,
    StakeholderProgress,
    StreamBudgetOrigin,
)
from pmo_saas.portfolio.services._common import (
    _initiatives,
    _member_names,
    _portfolio,
    _stream_budgets,
)

BASES = {"streams": "value streams", "initiatives": "initiatives"}
NOT_FOUND = "That budgeting session"
HIDDEN_SPREAD = (
    "The spread of everyone's allocations shows once you have saved your own, so that "
    "nobody's split anchors the others."
)

# ---------------------------------------------------------------- who may do what


def _member_role(session: Session, ctx: TenantContext) -> Role | None:
    """The caller's role as their membership says now (never above the context's own: an API
    key with a lower role stays lower); None once they are no member."""
    if ctx.user_id is None:
        return None
    stored = session.exec(select(Membership.role).where(Membership.user_id == ctx.user_id)).first()
    if stored is None:
        return None
    return Role(stored) if at_least(ctx.role, stored) else ctx.role


@dataclass(frozen=True, slots=True)
class _Access:
    row: BudgetSession
    role: Role
    facilitator: bool
    stakeholder: BudgetStakeholder | None


def _access(session: Session, ctx: TenantContext, budget_session_id: object) -> _Access:
    """The session, if ctx may see it: the same NotFound for missing, another organisation's,
    and one the caller is neither facilitator of nor invited to."""
    row = get_in_org(session, BudgetSession, budget_session_id, NOT_FOUND)
    role = _member_role(session, ctx)
    if role is None:
        raise NotFound(NOT_FOUND)
    stakeholder = session.exec(
        select(BudgetStakeholder).where(
            BudgetStakeholder.session_id == row.id, BudgetStakeholder.user_id == ctx.user_id
        )
    ).first()
    facilitator = at_least(role, Role.COACH)
    if not facilitator and stakeholder is None:
        raise NotFound(NOT_FOUND)
    return _Access(row, role, facilitator, stakeholder)


def _facilitate(session: Session, ctx: TenantContext, budget_session_id: object) -> _Access:
    found = _access(session, ctx, budget_session_id)
    if not found.facilitator:
        raise Forbidden("Only coaches, admins and owners facilitate a budgeting session.")
    return found


def can_see_session(session: Session, ctx: TenantContext, budget_session_id: int) -> bool:
    """For the comment thread on a session (comment_targets.py)."""
    try:
        _access(session, ctx, budget_session_id)
    except NotFound:
        return False
    return True


def _spread_visible(found: _Access) -> bool:
    if found.facilitator or found.row.status != "open":
        return True
    return found.stakeholder is not None and found.stakeholder.submitted_at is not None


# ---------------------------------------------------------------- options


def budget_options(
    *, session: Session, ctx: TenantContext, portfolio_id: int, basis: str = "streams"
) -> list[BudgetOption]:
    """What a new session would split: the value streams named by the portfolio's initiatives
    and stream budgets, or its live initiatives that belong to a value stream (the settled
    split becomes stream budgets, so an initiative without a stream has nowhere to go)."""
    _portfolio(session, portfolio_id)
    if basis not in BASES:
        raise ValidationFailed("A session splits across value streams or initiatives.")
    initiatives = [i for i in _initiatives(session, portfolio_id) if i.value_stream.strip()]
    if basis == "initiatives":
        return [
            BudgetOption(key=str(i.id), label=i.title, stream=i.value_stream.strip())
            for i in sorted(initiatives, key=lambda i: i.title.lower())
        ]
    streams = {i.value_stream.strip() for i in initiatives} | set(
        _stream_budgets(session, portfolio_id)
    )
    return [BudgetOption(key=s, label=s, stream=s) for s in sorted(streams, key=str.lower)]


def _options(row: BudgetSession) -> list[BudgetOption]:
    return [BudgetOption.model_validate(o) for o in json.loads(row.options_json)]


# ---------------------------------------------------------------- open, list, read


def open_budget_session(
    *,
    session: Session,
    ctx: TenantContext,
    portfolio_id: int,
    name: str,
    total: object,
    stakeholder_user_ids: Sequence[int],
    basis: str = "streams",
) -> int:
    """A facilitator opens a session: `total` to split, the stakeholders invited to split it."""
    ctx.require(Role.COACH, "Only coaches, admins and owners open a budgeting session.")
    role = _member_role(session, ctx)
    if role is None or not at_least(role, Role.COACH):
        raise Forbidden("Only coaches, admins and owners open a budgeting session.")
    portfolio = _portfolio(session, portfolio_id)
    name = fields.clean_text(name, what="session name", max_length=120, required=True)
    amount = fields.clean_money(total, what="total", required=True)
    if amount is None and portfolio.budget is not None:
        amount = portfolio.budget
    if not amount:
        raise ValidationFailed("Give the session a total to split, above 0.", field="total")
    options = budget_options(session=session, ctx=ctx, portfolio_id=portfolio_id, basis=basis)
    if not options:
        raise ValidationFailed(
            "No initiative of this portfolio names a value stream yet: give initiatives "
            "their value streams first.",
            field="basis",
        )
    people = list(dict.fromkeys(int(u) for u in stakeholder_user_ids))
    if not people:
        raise ValidationFailed("Invite at least one stakeholder.", field="stakeholders")
    _check_stakeholders(session, people)
    row = BudgetSession(
        portfolio_id=portfolio_id,
        name=name,
        total=amount,
        basis=basis,
        options_json=json.dumps([o.model_dump() for o in options]),
        opened_by_id=ctx.user_id,
    )
    session_id = audit.add_audited(
        session=session,
        ctx=ctx,
        row=row,
        action="budget_session.opened",
        target=name,
        detail=(
            f"portfolio {portfolio.name}; total {amount} across {len(options)} "
            f"{BASES[basis]}; {len(people)} stakeholders"
        ),
    )
    session.add_all([BudgetStakeholder(session_id=session_id, user_id=u) for u in people])
    return session_id


def _check_stakeholders(session: Session, people: Sequence[int]) -> None:
    """Every one a member of this organisation (the tenant scope: another's user is "not
    found") who may allocate (a viewer may not)."""
    roles = dict(
        session.exec(
            select(Membership.user_id, Membership.role).where(col(Membership.user_id).in_(people))
        ).all()
    )
    for user_id in people:
        if user_id not in roles:
            raise NotFound("A stakeholder")
        if not at_least(roles[user_id], Role.MEMBER):
            who = _member_names(session, [user_id]).get(user_id, "A viewer")
            raise ValidationFailed(
                f"{who} is a viewer; viewers read the portfolio but do not allocate.",
                field="stakeholders",
            )


def invite_stakeholders(
    *,
    session: Session,
    ctx: TenantContext,
    budget_session_id: int,
    stakeholder_user_ids: Sequence[int],
) -> int:
    """A facilitator invites more stakeholders while the session is open (someone was
    forgotten, or joined later); returns how many were added. Those invited already are
    left as they are, their allocations kept."""
    found = _facilitate(session, ctx, budget_session_id)
    row = found.row
    assert row.id is not None
    if row.status != "open":
        raise Conflict("This budgeting session is closed: nobody can be invited any more.")
    invited = {p.user_id for p in _stakeholders(session, row.id)}
    people = [u for u in dict.fromkeys(int(u) for u in stakeholder_user_ids) if u not in invited]
    if not people:
        raise ValidationFailed(
            "Pick at least one member who is not invited yet.", field="stakeholders"
        )
    _check_stakeholders(session, people)
    session.add_all([BudgetStakeholder(session_id=row.id, user_id=u) for u in people])
    names = _member_names(session, people)
    audit.record(
        session=session,
        ctx=ctx,
        action="budget_session.invited",
        target=row.name,
        detail=", ".join(names.get(u, str(u)) for u in people),
    )
    return len(people)


def _stakeholders(session: Session, session_id: int) -> list[BudgetStakeholder]:
    return list(
        session.exec(
            select(BudgetStakeholder)
            .where(BudgetStakeholder.session_id == session_id)
            .order_by(col(BudgetStakeholder.id))
        ).all()
    )


def _row(r: BudgetSession, people: Sequence[BudgetStakeholder], me: int | None) -> BudgetSessionRow:
    assert r.id is not None
    return BudgetSessionRow(
        id=r.id,
        portfolio_id=r.portfolio_id,
        name=r.name,
        total=r.total,
        basis=r.basis,
        status=r.status,
        stakeholders=len(people),
        submitted=sum(1 for p in people if p.submitted_at is not None),
        created_at=r.created_at.isoformat(),
        settled_at=r.settled_at.isoformat() if r.settled_at else None,
        invited=any(p.user_id == me for p in people),
    )


def list_budget_sessions(
    *, session: Session, ctx: TenantContext, portfolio_id: int
) -> list[BudgetSessionRow]:
    """Newest first: every session to a facilitator, the caller's own invitations to others."""
    _portfolio(session, portfolio_id)
    role = _member_role(session, ctx)
    if role is None:
        raise NotFound("That portfolio")
    rows = session.exec(
        select(BudgetSession)
        .where(BudgetSession.portfolio_id == portfolio_id)
        .order_by(col(BudgetSession.id).desc())
    ).all()
    people: dict[int, list[BudgetStakeholder]] = defaultdict(list)
    ids = [r.id for r in rows]
    for p in session.exec(
        select(BudgetStakeholder).where(col(BudgetStakeholder.session_id).in_(ids))
    ).all():
        people[p.session_id].append(p)
    found = [_row(r, people[r.id or 0], ctx.user_id) for r in rows]
    return found if at_least(role, Role.COACH) else [r for r in found if r.invited]


def _amounts(session: Session, session_id: int) -> dict[int, dict[str, int]]:
    """user id -> option key -> amount, for those who submitted."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for a in session.exec(
        select(BudgetAllocation).where(BudgetAllocation.session_id == session_id)
    ).all():
        found[a.user_id][a.option_key] = a.amount
    return found


def budget_session(
    *, session: Session, ctx: TenantContext, budget_session_id: int
) -> BudgetSessionView:
    found = _access(session, ctx, budget_session_id)
    row = found.row
    assert row.id is not None
    people = _stakeholders(session, row.id)
    options = _options(row)
    amounts = _amounts(session, row.id)
    visible = _spread_visible(found)
    progress: list[StakeholderProgress] = []
    if found.facilitator:
        names = _member_names(session, (p.user_id for p in people))
        progress = [
            StakeholderProgress(
                user_id=p.user_id,
                name=names.get(p.user_id, "Former member"),
                submitted=p.submitted_at is not None,
            )
            for p in people
        ]
    portfolio = session.get(Portfolio, row.portfolio_id)
    return BudgetSessionView(
        session=_row(row, people, ctx.user_id),
        currency=portfolio.currency if portfolio else "",
        options=options,
        facilitator=found.facilitator,
        may_allocate=(
            found.stakeholder is not None
            and at_least(found.role, Role.MEMBER)
            and row.status == "open"
        ),
        my_allocation=dict(amounts.get(ctx.user_id or 0, {})),
        spread=spread_of(options, amounts) if visible else None,
        spread_hidden_reason="" if visible else HIDDEN_SPREAD,
        progress=progress,
        settled_split=json.loads(row.settled_json) if row.status == "settled" else {},
    )


# ---------------------------------------------------------------- allocate


def _clean_split(
    options: Sequence[BudgetOption], given: Mapping[str, object], total: int, *, whose: str
) -> dict[str, int]:
    """Every option's amount (blank is 0), summing exactly to `total`."""
    keys = {o.key for o in options}
    unknown = [str(k) for k in given if str(k) not in keys]
    if unknown:
        raise ValidationFailed(f"“{unknown[0]}” is not one of the session's options.")
    clean = {
        o.key: fields.clean_money(given.get(o.key), what=f"amount for {o.label}") or 0
        for o in options
    }
    spent = sum(clean.values())
    if spent != total:
        gap = total - spent
        advice = (
            f"{formatting.number(gap)} is still to place"
            if gap > 0
            else f"remove {formatting.number(-gap)}"
        )
        raise ValidationFailed(
            f"{whose} add up to {formatting.number(spent)}, not the total of "
            f"{formatting.number(total)}: {advice}.",
            field="amounts",
        )
    return clean


def submit_allocation(
    *,
    session: Session,
    ctx: TenantContext,
    budget_session_id: int,
    amounts: Mapping[str, object],
) -> None:
    """An invited stakeholder's split of the total (replaces their earlier one while open)."""
    found = _access(session, ctx, budget_session_id)
    row, me = found.row, found.stakeholder
    if me is None:
        raise Forbidden("You are not invited to allocate in this session.")
    if not at_least(found.role, Role.MEMBER):
        raise Forbidden("Viewers read the portfolio but do not allocate.")
    if row.status != "open":
        raise Conflict("This budgeting session is closed; its split is settled.")
    clean = _clean_split(_options(row), amounts, row.total, whose="Your amounts")
    session.exec(
        delete(BudgetAllocation).where(
            col(BudgetAllocation.session_id) == row.id,
            col(BudgetAllocation.user_id) == ctx.user_id,
        )
    )
    assert row.id is not None and ctx.user_id is not None
    for key, amount in clean.items():
        session.add(
            BudgetAllocation(session_id=row.id, user_id=ctx.user_id, option_key=key, amount=amount)
        )
    action = "budget_session.allocation_changed" if me.submitted_at else "budget_session.allocated"
    me.submitted_at = utcnow()
    session.add(me)
    audit.record(session=session, ctx=ctx, action=action, target=row.name, detail=f"{clean}")


# ---------------------------------------------------------------- settle


def settle_budget_session(
    *,
    session: Session,
    ctx: TenantContext,
    budget_session_id: int,
    split: Mapping[str, object] | None = None,
) -> dict[str, int]:
    """The facilitator settles: the medians scaled to the total, or the split agreed in
    discussion. It becomes the portfolio's stream budgets (initiatives add up per value
    stream); returns them."""
    found = _facilitate(session, ctx, budget_session_id)
    row = found.row
    assert row.id is not None
    if row.status != "open":
        raise Conflict("This budgeting session is already closed.")
    options = _options(row)
    if split is None:
        decided = proposed_split(options, _amounts(session, row.id), row.total)
        if not decided:
            raise ValidationFailed(
                "Nobody has allocated yet: wait for the stakeholders, or type the split."
            )
    else:
        decided = _clean_split(options, split, row.total, whose="The settled amounts")
    streams: dict[str, int] = defaultdict(int)
    for option in options:
        streams[option.stream] += decided.get(option.key, 0)
    portfolio = _portfolio(session, row.portfolio_id)
    if portfolio.budget is not None and portfolio.budget < row.total:
        raise ValidationFailed(
            f"The portfolio's budget is {formatting.number(portfolio.budget)}, less than the "
            f"{formatting.number(row.total)} this session splits: raise it on the funding "
            "page first."
        )
    if portfolio.budget is None:
        portfolio.budget = row.total
        session.add(portfolio)
    session.exec(delete(StreamBudget).where(col(StreamBudget.portfolio_id) == portfolio.id))
    for stream, amount in sorted(streams.items()):
        session.add(StreamBudget(portfolio_id=row.portfolio_id, value_stream=stream, amount=amount))
    row.status = "settled"
    row.settled_at = utcnow()
    row.settled_by_id = ctx.user_id
    row.settled_json = json.dumps(dict(sorted(streams.items())))
    session.add(row)
    how = "as agreed in discussion" if split is not None else "the medians scaled to the total"
    audit.record(
        session=session,
        ctx=ctx,
        action="budget_session.settled",
        target=row.name,
        detail=f"{how}: {dict(sorted(decided.items()))}",
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="portfolio.budget_set",
        target=portfolio.name,
        detail=f"{portfolio.budget}; split {dict(sorted(streams.items()))} "
        f"from budgeting session {row.name}",
    )
    return dict(sorted(streams.items()))


def cancel_budget_session(*, session: Session, ctx: TenantContext, budget_session_id: int) -> None:
    found = _facilitate(session, ctx, budget_session_id)
    if found.row.status != "open":
        raise Conflict("This budgeting session is already closed.")
    found.row.status = "cancelled"
    session.add(found.row)
    audit.record(session=session, ctx=ctx, action="budget_session.cancelled", target=found.row.name)


# ---------------------------------------------------------------- allocations out


def budget_allocations(
    *, session: Session, ctx: TenantContext, budget_session_id: int
) -> list[AllocationRow]:
    """Every allocation the caller may see: with names to a facilitator; anonymous to an
    invited stakeholder once they saved their own (theirs shown as "You")."""
    found = _access(session, ctx, budget_session_id)
    if not _spread_visible(found):
        raise Forbidden(HIDDEN_SPREAD)
    row = found.row
    assert row.id is not None
    options = _options(row)
    amounts = _amounts(session, row.id)
    if found.facilitator:
        names = _member_names(session, amounts)
        labels = {u: names.get(u, "Former member") for u in amounts}
        order = sorted(amounts, key=lambda u: (labels[u].lower(), u))
    else:
        others = sorted(
            (u for u in amounts if u != ctx.user_id),
            key=lambda u: tuple(amounts[u].get(o.key, 0) for o in options),
        )
        labels = {u: f"Stakeholder {n}" for n, u in enumerate(others, start=1)}
        order = others
        if ctx.user_id in amounts:
            labels[ctx.user_id] = "You"
            order = [ctx.user_id, *others]
    return [
        AllocationRow(
            stakeholder=labels[u],
            option_key=o.key,
            option_label=o.label,
            value_stream=o.stream,
            amount=amounts[u].get(o.key, 0),
        )
        for u in order
        for o in options
    ]


def allocations_csv(*, session: Session, ctx: TenantContext, budget_session_id: int) -> str:
    """The allocations as `budget_allocations` shows them to the caller, as CSV."""
    rows = budget_allocations(session=session, ctx=ctx, budget_session_id=budget_session_id)
    return csvio.write_table_csv(
        ["stakeholder", "option", "value_stream", "amount"],
        [(r.stakeholder, r.option_label, r.value_stream, r.amount) for r in rows],
    )


def stream_budget_origin(
    *, session: Session, ctx: TenantContext, portfolio_id: int
) -> StreamBudgetOrigin | None:
    """The settled session the portfolio's stream budgets still come from (None once someone
    changed them by hand on the funding page, or when no session settled them)."""
    _portfolio(session, portfolio_id)
    latest = session.exec(
        select(BudgetSession)
        .where(BudgetSession.portfolio_id == portfolio_id, BudgetSession.status == "settled")
        .order_by(col(BudgetSession.settled_at).desc(), col(BudgetSession.id).desc())
    ).first()
    if latest is None or latest.id is None or latest.settled_at is None:
        return None
    if json.loads(latest.settled_json) != _stream_budgets(session, portfolio_id):
        return None
    return StreamBudgetOrigin(
        session_id=latest.id, name=latest.name, settled_at=latest.settled_at.isoformat()
    )
