"""Planned vs actual, the writes: adopt a published plan (planned dates, budget, value and
tranches per funded initiative), the delivery approach and a traditional baseline, actual
dates, spend per month (by hand or CSV) and the RAG status, which always carries a reason.

Who writes: coaches and up adopt plans, set baselines and tranches; the initiative's owner
(their name or e-mail in the initiative's owner field) or a coach sets RAG, dates and spend.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.delivery.plan_models import (
    APPROACHES,
    RAGS,
    TRADITIONAL,
    InitiativePlan,
    RagChange,
    SpendEntry,
)
from pmo_saas.delivery.services._common import initiative_in_org
from pmo_saas.delivery.services.tranches import plan_of, split_evenly, write_tranches
from pmo_saas.identity import audit
from pmo_saas.identity.models import User
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.fields import clean_money
from pmo_saas.portfolio.models import Initiative, PublishedPlan
from pmo_saas.portfolio.schemas import FundingPlan, ImportResult

PLAN_MESSAGE = "Only coaches, admins and owners adopt plans and set baselines."
OWNER_MESSAGE = "Only the initiative's owner or a coach sets its RAG status, dates and spend."
MAX_TRANCHES = 12
MAX_REASON = 2000


def parse_day(raw: object, *, what: str, required: bool = False) -> date | None:
    if isinstance(raw, date):
        return raw
    text = str(raw or "").strip()
    if not text:
        if required:
            raise ValidationFailed(f"Enter the {what}.", field=what)
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(f"The {what} must be written YYYY-MM-DD.", field=what) from None


def month_of(raw: object) -> date:
    """'2026-03' or '2026-03-15' as the first day of that month."""
    text = str(raw or "").strip()
    try:
        day = date.fromisoformat(text + "-01" if len(text) == 7 else text)
    except ValueError:
        raise ValidationFailed(
            f"The month must be written YYYY-MM; got “{text}”.", field="month"
        ) from None
    return day.replace(day=1)


def require_owner_or_coach(session: Session, ctx: TenantContext, initiative: Initiative) -> None:
    if ctx.has(Role.COACH):
        return
    if ctx.has(Role.MEMBER) and ctx.user_id is not None:
        user = session.get(User, ctx.user_id)
        owner = initiative.owner.strip().lower()
        if user is not None and owner and owner in (user.name.lower(), user.email.lower()):
            return
    raise Forbidden(OWNER_MESSAGE)


def adopt_plan(
    *, session: Session, ctx: TenantContext, published_plan_id: object, tranches: object = 3
) -> int:
    """Each funded initiative of the published plan gets its planned dates (the initiative's),
    budget and value (the plan line's) and `tranches` even tranches, the first released.
    An initiative already planned keeps its tranches, RAG and baseline; returns how many."""
    ctx.require(Role.COACH, PLAN_MESSAGE)
    published = get_in_org(session, PublishedPlan, published_plan_id, "That published plan")
    parts = int(str(tranches).strip()) if str(tranches).strip().isdigit() else 0
    if not 1 <= parts <= MAX_TRANCHES:
        raise ValidationFailed(f"Choose 1 to {MAX_TRANCHES} tranches.", field="tranches")
    funding = FundingPlan.model_validate_json(published.snapshot_json)
    funded = set(funding.funded_ids)
    today = utcnow().date()
    count = 0
    for line in funding.lines:
        initiative = session.get(Initiative, line.initiative_id)
        if line.initiative_id not in funded or initiative is None:
            continue
        row = session.exec(
            select(InitiativePlan).where(InitiativePlan.initiative_id == line.initiative_id)
        ).first()
        fresh = row is None
        row = row or InitiativePlan(
            portfolio_id=published.portfolio_id, initiative_id=line.initiative_id
        )
        row.published_plan_id = published.id
        row.planned_start, row.planned_end = initiative.start_date, initiative.end_date
        row.planned_budget, row.promised_value = line.cost or 0, line.value
        row.updated_at = utcnow()
        session.add(row)
        if fresh and row.planned_budget:
            write_tranches(
                session,
                line.initiative_id,
                split_evenly(row.planned_budget, parts),
                released_on=today,
            )
        count += 1
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.plan_adopted",
        target=published.scenario_name,
        detail=f"{count} initiative(s)",
    )
    return count


def set_approach(
    *, session: Session, ctx: TenantContext, initiative_id: int, approach: str
) -> None:
    ctx.require(Role.COACH, PLAN_MESSAGE)
    initiative_in_org(session, initiative_id)
    if approach not in APPROACHES:
        raise ValidationFailed("Choose agile (DSDM) or traditional.", field="approach")
    plan = plan_of(session, initiative_id)
    plan.approach, plan.updated_at = approach, utcnow()
    session.add(plan)


def set_baseline(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    scope: object,
    start: object,
    end: object,
    budget: object,
) -> None:
    """A traditional project's baseline of scope (units of work), schedule and cost."""
    ctx.require(Role.COACH, PLAN_MESSAGE)
    initiative = initiative_in_org(session, initiative_id)
    plan = plan_of(session, initiative_id)
    if plan.approach != TRADITIONAL:
        raise ValidationFailed("Only traditional projects keep a baseline.", field="approach")
    try:
        units = float(str(scope).strip())
    except ValueError:
        raise ValidationFailed("The scope must be a number of units.", field="scope") from None
    if units <= 0:
        raise ValidationFailed("The scope must be more than 0 units.", field="scope")
    first = parse_day(start, what="baseline start", required=True)
    last = parse_day(end, what="baseline end", required=True)
    assert first is not None and last is not None
    if last <= first:
        raise ValidationFailed("The baseline ends after it starts.", field="baseline end")
    plan.baseline_scope, plan.baseline_start, plan.baseline_end = units, first, last
    plan.baseline_budget = clean_money(budget, what="baseline budget", required=True)
    plan.baselined_at = plan.updated_at = utcnow()
    session.add(plan)
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.baseline_set",
        target=initiative.title,
        detail=f"{units:g} units, {first} to {last}, {plan.baseline_budget:,}",
    )


def set_actual_dates(
    *, session: Session, ctx: TenantContext, initiative_id: int, start: object, end: object
) -> None:
    initiative = initiative_in_org(session, initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    plan = plan_of(session, initiative_id)
    plan.actual_start = parse_day(start, what="actual start")
    plan.actual_end = parse_day(end, what="actual end")
    if plan.actual_start and plan.actual_end and plan.actual_end < plan.actual_start:
        raise ValidationFailed("The actual end is before the actual start.", field="actual end")
    plan.updated_at = utcnow()
    session.add(plan)


def set_rag(
    *, session: Session, ctx: TenantContext, initiative_id: int, rag: str, reason: str
) -> None:
    """The current RAG and one more line of its history; a reason is always required."""
    initiative = initiative_in_org(session, initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    plan = plan_of(session, initiative_id)
    if rag not in RAGS:
        raise ValidationFailed("Choose green, amber or red.", field="rag")
    why = " ".join(str(reason or "").replace("\x00", "").split())
    if not why:
        raise ValidationFailed(
            f"Write why the status is {RAGS[rag].lower()}: a RAG status needs a reason.",
            field="reason",
        )
    if len(why) > MAX_REASON:
        raise ValidationFailed(f"Keep the reason under {MAX_REASON} characters.", field="reason")
    plan.rag, plan.rag_reason, plan.updated_at = rag, why, utcnow()
    session.add(plan)
    session.add(RagChange(initiative_id=initiative_id, rag=rag, reason=why, set_by_id=ctx.user_id))
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.rag_set",
        target=initiative.title,
        detail=f"{RAGS[rag]}: {why[:200]}",
    )


def _put_spend(
    session: Session, ctx: TenantContext, initiative_id: int, month: date, amount: int, source: str
) -> None:
    row = session.exec(
        select(SpendEntry).where(
            SpendEntry.initiative_id == initiative_id, col(SpendEntry.month) == month
        )
    ).first() or SpendEntry(initiative_id=initiative_id, month=month, amount=0)
    row.amount, row.source, row.recorded_by_id = amount, source, ctx.user_id
    row.updated_at = utcnow()
    session.add(row)


def record_spend(
    *, session: Session, ctx: TenantContext, initiative_id: int, month: object, amount: object
) -> None:
    """The month's actual spend (replacing what was recorded for that month)."""
    initiative = initiative_in_org(session, initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    plan_of(session, initiative_id)
    day = month_of(month)
    value = clean_money(amount, what="amount", required=True) or 0
    _put_spend(session, ctx, initiative_id, day, value, "manual")
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.spend_recorded",
        target=initiative.title,
        detail=f"{day:%Y-%m}: {value:,}",
    )


def _read_spend(text: str) -> tuple[dict[date, int], list[str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or not {"month", "amount"} <= {
        f.strip().lower() for f in reader.fieldnames
    }:
        raise ValidationFailed("The CSV needs the columns month and amount.", field="file")
    rows: dict[date, int] = {}
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        cells = {str(k).strip().lower(): str(v or "") for k, v in raw.items() if k}
        try:
            day = month_of(cells.get("month"))
            rows[day] = clean_money(cells.get("amount"), what="amount", required=True) or 0
        except ValidationFailed as error:
            errors.append(f"line {line}: {error}")
    return rows, errors


def import_spend_csv(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    data: bytes,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Columns month (YYYY-MM) and amount; every line checked first, then all or nothing;
    `progress(done, total)` is told after each month written (the page's bar)."""
    initiative = initiative_in_org(session, initiative_id)
    require_owner_or_coach(session, ctx, initiative)
    plan_of(session, initiative_id)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("The file is not UTF-8 text.", field="file") from None
    try:
        rows, errors = _read_spend(text)
    except csv.Error as error:  # a stray quote or line break, or a field over the size limit
        raise ValidationFailed(f"The file is not valid CSV: {error}.", field="file") from None
    if errors:
        raise ValidationFailed("Nothing imported. " + "; ".join(errors[:10]), field="file")
    if not rows:
        raise ValidationFailed("The file has no spend lines.", field="file")
    for done, (day, amount) in enumerate(rows.items(), start=1):
        _put_spend(session, ctx, initiative_id, day, amount, "csv")
        if progress is not None:
            progress(done, len(rows))
    audit.record(
        session=session,
        ctx=ctx,
        action="delivery.spend_imported",
        target=initiative.title,
        detail=f"{len(rows)} month(s)",
    )
    return ImportResult(created=len(rows), skipped_rows=[])
