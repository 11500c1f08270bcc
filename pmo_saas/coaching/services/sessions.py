"""The log of coaching sessions (pages/plan.py): when, who attended, notes, decisions and the
follow-up actions that came out of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.coaching.models import (
    CoachingAction,
    CoachingSession,
    SessionAttendee,
)
from pmo_saas.coaching.schemas import (
    ActionInput,
    SessionRow,
)
from pmo_saas.coaching.services.actions import _build_action
from pmo_saas.coaching.services.common import (
    _clean_text,
    _names,
    _plan,
    _require_manage,
    _require_member,
    _touch,
    parse_date,
    today,
)
from pmo_saas.identity import audit
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed


def _session_rows(
    session: Session, plan_id: int, actions: Sequence[CoachingAction]
) -> list[SessionRow]:
    logs = session.exec(
        select(CoachingSession)
        .where(CoachingSession.plan_id == plan_id)
        .order_by(col(CoachingSession.held_on).desc(), col(CoachingSession.id).desc())
    ).all()
    if not logs:
        return []
    ids = [s.id for s in logs]
    attendees = session.exec(
        select(SessionAttendee.session_id, SessionAttendee.user_id).where(
            col(SessionAttendee.session_id).in_(ids)
        )
    ).all()
    by_session: dict[int, list[int]] = defaultdict(list)
    for sid, uid in attendees:
        by_session[sid].append(uid)
    names = _names(session, (uid for _, uid in attendees))
    follow_ups: dict[int, list[int]] = defaultdict(list)
    for a in actions:
        if a.session_id is not None and a.id is not None:
            follow_ups[a.session_id].append(a.id)
    rows = []
    for s in logs:
        assert s.id is not None
        people = sorted(by_session.get(s.id, []), key=lambda u: names.get(u, ""))
        rows.append(
            SessionRow(
                id=s.id,
                plan_id=s.plan_id,
                held_on=s.held_on.isoformat(),
                attendee_ids=people,
                attendee_names=[names.get(u, "") for u in people],
                notes=s.notes,
                decisions=s.decisions,
                follow_up_action_ids=follow_ups.get(s.id, []),
            )
        )
    return rows


def log_session(
    *,
    session: Session,
    ctx: TenantContext,
    plan_id: int,
    held_on: date | str | None,
    attendee_user_ids: Sequence[int],
    notes: str = "",
    decisions: str = "",
    follow_ups: Sequence[ActionInput] = (),
) -> SessionRow:
    """Record a coaching session; its follow-up actions land in the plan."""
    _require_manage(ctx)
    plan = _plan(session, plan_id)
    held = parse_date(held_on, field="held_on", what="session date")
    if held is None:
        raise ValidationFailed("Enter the date the session took place.", field="held_on")
    if held > today():
        raise ValidationFailed(
            "The log records sessions that took place: choose today or an earlier date.",
            field="held_on",
        )
    people = list(dict.fromkeys(attendee_user_ids))
    for user_id in people:
        _require_member(session, user_id, what="attendee", field="attendees")
    notes = _clean_text(notes, what="notes")
    decisions = _clean_text(decisions, what="decisions")
    # Every follow-up is checked before anything is written.
    built = [_build_action(session, plan=plan, data=data) for data in follow_ups]
    log = CoachingSession(
        plan_id=plan_id,
        held_on=held,
        notes=notes,
        decisions=decisions,
        created_by_id=ctx.user_id,
    )
    session.add(log)
    session.flush()
    assert log.id is not None
    for user_id in people:
        session.add(SessionAttendee(session_id=log.id, user_id=user_id))
    created: list[CoachingAction] = []
    warnings: list[str] = []
    for action, action_warnings in built:
        action.session_id = log.id
        session.add(action)
        created.append(action)
        warnings += [f"{action.title}: {w}" for w in action_warnings]
    _touch(plan, session)
    session.flush()
    audit.record(
        session=session,
        ctx=ctx,
        action="coaching.session_logged",
        target=plan.title,
        detail=f"session of {held.isoformat()}, {len(created)} follow-up action(s)",
    )
    row = next(r for r in _session_rows(session, plan_id, created) if r.id == log.id)
    row.warnings = warnings
    return row
