"""Governance: the DSDM lifecycle of an initiative, stage-gate reviews and the decisions log.

An initiative starts in pre-project. At the end of each stage a gate review decides:
proceed (to the next stage), proceed with conditions (conditions required), hold (stays,
lifecycle on hold until a later review), stop (lifecycle stopped), or - from deployment only -
iterate (back to evolutionary development for the next increment, as DSDM allows). Passing
the post-project gate completes the lifecycle. Every review also writes the decisions log;
other decisions can be logged on their own. Everyone reads; coaches, admins and owners write.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.collaboration.models import GATE_DECISION
from pmo_saas.collaboration.services.notifications import notify, people_in_conversation
from pmo_saas.identity import audit
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, ValidationFailed
from pmo_saas.kernel.gates import GateDecided, announce
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import (
    GateReview,
    GovernanceDecision,
    Initiative,
    InitiativeLifecycle,
    Portfolio,
)
from pmo_saas.portfolio.schemas import (
    DecisionRow,
    GateReviewRow,
    Governance,
    LifecycleRow,
    StageStep,
)
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services.notices import owner_of

STAGES: dict[str, str] = {
    "pre_project": "Pre-project",
    "feasibility": "Feasibility",
    "foundations": "Foundations",
    "evolutionary_development": "Evolutionary development",
    "deployment": "Deployment",
    "post_project": "Post-project",
}
STAGE_KEYS = list(STAGES)
DONE = "completed"

DECISIONS: dict[str, str] = {
    "proceed": "Proceed",
    "proceed_with_conditions": "Proceed with conditions",
    "hold": "Hold",
    "stop": "Stop",
    "iterate": "Iterate (another increment)",
}
MANAGE_MESSAGE = "Only coaches, admins and owners record governance decisions."


def _text(raw: object, *, what: str, max_length: int, required: bool = False) -> str:
    value = str(raw or "").strip()
    if required and not value:
        raise ValidationFailed(f"Enter the {what}.", field=what)
    if len(value) > max_length:
        raise ValidationFailed(f"The {what} is longer than {max_length} characters.", field=what)
    return value


def _date(raw: object, *, what: str = "date") -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw or "").strip())
    except ValueError:
        raise ValidationFailed(f"The {what} must be written YYYY-MM-DD.", field="date") from None


def _approvers(raw: object) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else str(raw or "").replace(";", "\n").split("\n")
    names: list[str] = []
    for item in items:
        for part in str(item).split(","):
            name = " ".join(part.split())
            if name and name not in names:
                names.append(name[:120])
    if not names:
        raise ValidationFailed("Name at least one approver.", field="approvers")
    return names


def _lifecycle(session: Session, initiative_id: int) -> InitiativeLifecycle:
    """The initiative's lifecycle row, created in pre-project on first use."""
    row = session.exec(
        select(InitiativeLifecycle).where(InitiativeLifecycle.initiative_id == initiative_id)
    ).first()
    if row is None:
        row = InitiativeLifecycle(initiative_id=initiative_id)
        session.add(row)
        session.flush()
    return row


def allowed_decisions(stage: str, status: str) -> list[str]:
    if status in ("stopped", DONE):
        return []
    keys = ["proceed", "proceed_with_conditions", "hold", "stop"]
    if stage == "deployment":
        keys.append("iterate")
    return keys


def _next_stage(stage: str, decision: str) -> tuple[str, str]:
    """(stage, status) after `decision` at the gate that ends `stage`."""
    if decision in ("proceed", "proceed_with_conditions"):
        index = STAGE_KEYS.index(stage)
        if index + 1 == len(STAGE_KEYS):
            return stage, DONE
        return STAGE_KEYS[index + 1], "active"
    if decision == "iterate":
        return "evolutionary_development", "active"
    if decision == "hold":
        return stage, "on_hold"
    return stage, "stopped"


def record_gate_review(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    decision: str,
    decided_on: object,
    approvers: object,
    conditions: str = "",
) -> int:
    """Review the gate at the end of the initiative's current stage; returns the review id."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    initiative = initiative_services.get_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id
    )
    life = _lifecycle(session, initiative_id)
    if decision not in DECISIONS:
        raise ValidationFailed("Choose a decision.", field="decision")
    if decision not in allowed_decisions(life.stage, life.status):
        if life.status in ("stopped", DONE):
            raise Conflict(f"The lifecycle is {life.status}: no further gate reviews.")
        raise ValidationFailed("Iterating goes back from deployment only.", field="decision")
    on = _date(decided_on, what="decision date")
    names = _approvers(approvers)
    text = _text(conditions, what="conditions", max_length=5000)
    if decision == "proceed_with_conditions" and not text:
        raise ValidationFailed("Write the conditions of this go-ahead.", field="conditions")
    stage, status = _next_stage(life.stage, decision)
    review = GateReview(
        initiative_id=initiative_id,
        stage=life.stage,
        next_stage=stage if status != DONE else DONE,
        decision=decision,
        decided_on=on,
        approvers="\n".join(names),
        conditions=text,
        recorded_by_id=ctx.user_id,
    )
    session.add(review)
    session.flush()
    gate = STAGES[life.stage]
    session.add(
        GovernanceDecision(
            initiative_id=initiative_id,
            gate_review_id=review.id,
            decided_on=on,
            title=f"{gate} gate: {DECISIONS[decision]}",
            rationale=text,
            decided_by=", ".join(names),
            recorded_by_id=ctx.user_id,
        )
    )
    gate_stage = life.stage
    life.stage, life.status, life.updated_at = stage, status, utcnow()
    session.add(life)
    assert review.id is not None
    announce(session, GateDecided(initiative_id, review.id, gate_stage, decision, on, ctx.user_id))
    audit.record(
        session=session,
        ctx=ctx,
        action="governance.gate_reviewed",
        target=initiative.title,
        detail=f"{gate}: {DECISIONS[decision]}",
    )
    assert review.id is not None
    _notify_gate_decision(
        session,
        ctx,
        initiative_id,
        f"{gate} gate on “{initiative.title}”: {DECISIONS[decision]}",
        initiative.owner,
    )
    return review.id


def _notify_gate_decision(
    session: Session, ctx: TenantContext, initiative_id: int, title: str, owner: str
) -> None:
    """The initiative's owner (the member of that name) and those in its conversation."""
    people = people_in_conversation(
        session=session, target_kind="initiative", target_id=initiative_id
    )
    people |= owner_of(session, owner)
    notify(
        session=session,
        ctx=ctx,
        kind=GATE_DECISION,
        recipient_ids=people,
        title=title,
        target_kind="initiative",
        target_id=initiative_id,
    )


def log_decision(
    *,
    session: Session,
    ctx: TenantContext,
    initiative_id: int,
    title: str,
    decided_on: object,
    decided_by: str = "",
    rationale: str = "",
) -> int:
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    initiative = initiative_services.get_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id
    )
    row = GovernanceDecision(
        initiative_id=initiative_id,
        decided_on=_date(decided_on),
        title=_text(title, what="decision", max_length=200, required=True),
        decided_by=_text(decided_by, what="decided by", max_length=200),
        rationale=_text(rationale, what="rationale", max_length=5000),
        recorded_by_id=ctx.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="governance.decision_logged",
        target=initiative.title,
        detail=row.title,
    )
    assert row.id is not None
    return row.id


def get_governance(*, session: Session, ctx: TenantContext, initiative_id: int) -> Governance:
    initiative = initiative_services.get_initiative(
        session=session, ctx=ctx, initiative_id=initiative_id
    )
    life = session.exec(
        select(InitiativeLifecycle).where(InitiativeLifecycle.initiative_id == initiative_id)
    ).first()
    stage, status = (life.stage, life.status) if life else ("pre_project", "active")
    current = STAGE_KEYS.index(stage)
    steps = [
        StageStep(
            key=key,
            label=label,
            state="done"
            if i < current or status == DONE
            else ("current" if i == current else "ahead"),
        )
        for i, (key, label) in enumerate(STAGES.items())
    ]
    reviews = session.exec(
        select(GateReview)
        .where(GateReview.initiative_id == initiative_id)
        .order_by(col(GateReview.decided_on).desc(), col(GateReview.id).desc())
    ).all()
    decisions = session.exec(
        select(GovernanceDecision)
        .where(GovernanceDecision.initiative_id == initiative_id)
        .order_by(col(GovernanceDecision.decided_on).desc(), col(GovernanceDecision.id).desc())
    ).all()
    return Governance(
        initiative_id=initiative_id,
        initiative_title=initiative.title,
        stage=stage,
        stage_label=STAGES[stage],
        status=status,
        steps=steps,
        reviews=[
            GateReviewRow(
                id=r.id or 0,
                stage=r.stage,
                stage_label=STAGES.get(r.stage, r.stage),
                next_stage=r.next_stage,
                next_stage_label=STAGES.get(r.next_stage, "Completed"),
                decision=r.decision,
                decision_label=DECISIONS.get(r.decision, r.decision),
                decided_on=r.decided_on.isoformat(),
                approvers=r.approvers.split("\n"),
                approvers_text=", ".join(r.approvers.split("\n")),
                conditions=r.conditions,
            )
            for r in reviews
        ],
        decisions=[
            DecisionRow(
                id=d.id or 0,
                decided_on=d.decided_on.isoformat(),
                title=d.title,
                rationale=d.rationale,
                decided_by=d.decided_by,
                gate_review_id=d.gate_review_id,
            )
            for d in decisions
        ],
        allowed_decisions=allowed_decisions(stage, status),
    )


def governance_overview(*, session: Session, ctx: TenantContext) -> list[LifecycleRow]:
    """Every active initiative with its lifecycle stage (pre-project when never reviewed)."""
    rows = session.exec(
        select(  # type: ignore[call-overload]
            Initiative.id,
            Initiative.title,
            Portfolio.name,
            InitiativeLifecycle.stage,
            InitiativeLifecycle.status,
        )
        .join(Portfolio, col(Portfolio.id) == Initiative.portfolio_id)
        .outerjoin(InitiativeLifecycle, col(InitiativeLifecycle.initiative_id) == Initiative.id)
        .where(col(Initiative.archived_at).is_(None))
        .order_by(col(Portfolio.name), col(Initiative.title))
    ).all()
    return [
        LifecycleRow(
            initiative_id=initiative_id or 0,
            title=title,
            portfolio=portfolio_name,
            stage=stage or "pre_project",
            stage_label=STAGES[stage or "pre_project"],
            status=status or "active",
        )
        for initiative_id, title, portfolio_name, stage, status in rows
    ]


def _csv(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([("'" + c) if c[:1] in "=+-@" else c for c in row])
    return out.getvalue()


def export_governance_csv(
    *, session: Session, ctx: TenantContext, initiative_id: int | None = None
) -> str:
    """The lifecycle table (every initiative), or one initiative's gate reviews and decisions."""
    if initiative_id is None:
        return _csv(
            [["initiative", "portfolio", "stage", "status"]]
            + [
                [r.title, r.portfolio, r.stage_label, r.status]
                for r in governance_overview(session=session, ctx=ctx)
            ]
        )
    g = get_governance(session=session, ctx=ctx, initiative_id=initiative_id)
    rows = [["kind", "date", "what", "by", "conditions or rationale"]]
    rows += [
        [
            "gate review",
            r.decided_on,
            f"{r.stage_label}: {r.decision_label}",
            r.approvers_text,
            r.conditions,
        ]
        for r in g.reviews
    ]
    rows += [["decision", d.decided_on, d.title, d.decided_by, d.rationale] for d in g.decisions]
    return _csv(rows)
