"""The weekly coaching digest: one mail per coach per organisation per ISO week.

`send_weekly_digests()` is what a scheduler calls (e.g. every Monday morning). It visits every
organisation in its own tenant transaction, so one organisation's failure cannot leak into
another's; each coach of an active plan gets one mail through the same path as invitations
(`identity.mail.send_mail`: SMTP when configured, always recorded in the outbox). A
`DigestSent` row per coach and week makes a second run in the same week send nothing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from pmo_saas.coaching.models import (
    ACTION_BLOCKED,
    ACTION_DONE,
    PLAN_ACTIVE,
    CoachingAction,
    CoachingPlan,
    DigestSent,
)
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Membership, Organization, Team, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.settings import get_settings

log = logging.getLogger("pmo_saas.coaching.digest")

SOON_DAYS = 7


@dataclass(frozen=True, slots=True)
class Digest:
    coach_user_id: int
    to: str
    subject: str
    body: str
    overdue: int


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _line(action: CoachingAction, owners: dict[int, str], on: date) -> str:
    owner = owners.get(action.owner_user_id or 0, "no owner")
    if action.due_date is None:
        return f"{action.title} ({owner}, no due date)"
    if action.status != ACTION_DONE and action.due_date < on:
        late = (on - action.due_date).days
        return (
            f"{action.title} ({owner}, due {action.due_date.isoformat()}, "
            f"{late} day{'s' if late != 1 else ''} overdue)"
        )
    return f"{action.title} ({owner}, due {action.due_date.isoformat()})"


def compose_digests(*, session: Session, ctx: TenantContext, now: datetime) -> list[Digest]:
    """The digest of every coach with an active plan in ctx's organisation (nothing sent)."""
    on = now.date()
    plans = session.exec(
        select(CoachingPlan)
        .where(CoachingPlan.status == PLAN_ACTIVE, col(CoachingPlan.coach_user_id).is_not(None))
        .order_by(col(CoachingPlan.title), col(CoachingPlan.id))
    ).all()
    if not plans:
        return []
    by_coach: dict[int, list[CoachingPlan]] = defaultdict(list)
    for plan in plans:
        assert plan.coach_user_id is not None
        by_coach[plan.coach_user_id].append(plan)
    roles = dict(
        session.exec(
            select(Membership.user_id, Membership.role).where(col(Membership.user_id).in_(by_coach))
        ).all()
    )
    actions = session.exec(
        select(CoachingAction)
        .where(col(CoachingAction.plan_id).in_([p.id for p in plans]))
        .order_by(col(CoachingAction.due_date), col(CoachingAction.id))
    ).all()
    by_plan: dict[int, list[CoachingAction]] = defaultdict(list)
    for action in actions:
        by_plan[action.plan_id].append(action)
    user_ids = set(by_coach) | {a.owner_user_id for a in actions if a.owner_user_id}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()}
    owners = {uid: u.name for uid, u in users.items() if uid is not None}
    teams = dict(session.exec(select(Team.id, Team.name)).all())
    org = session.get(Organization, ctx.org_id)
    org_name = org.name if org else ""
    link = f"{get_settings().public_url}/o/{org.slug if org else ''}/coaching"

    digests = []
    for coach_id, coach_plans in by_coach.items():
        coach = users.get(coach_id)
        role = roles.get(coach_id)
        # Someone who left the organisation or lost the coach role gets no digest.
        if coach is None or role is None or not at_least(role, Role.COACH):
            continue
        total_overdue = 0
        sections = []
        for plan in coach_plans:
            assert plan.id is not None
            items = by_plan.get(plan.id, [])
            done = [a for a in items if a.status == ACTION_DONE]
            overdue = [
                a for a in items if a.status != ACTION_DONE and a.due_date and a.due_date < on
            ]
            soon = [
                a
                for a in items
                if a.status != ACTION_DONE
                and a.due_date
                and on <= a.due_date <= on + timedelta(days=SOON_DAYS)
            ]
            blocked = [a for a in items if a.status == ACTION_BLOCKED and a not in overdue]
            recent = [
                a
                for a in done
                if a.done_at and as_utc(a.done_at) >= now - timedelta(days=SOON_DAYS)
            ]
            total_overdue += len(overdue)
            percent = round(100 * len(done) / len(items)) if items else 0
            whose = (
                teams.get(plan.team_id, "")
                if plan.team_id
                else owners.get(plan.person_user_id or 0, "")
            )
            lines = [
                f"{plan.title}{f' ({whose})' if whose else ''}: {percent}% done "
                f"({len(done)} of {len(items)} actions)"
            ]
            if overdue:
                lines.append(f"  OVERDUE ({len(overdue)}):")
                lines += [f"  !! {_line(a, owners, on)}" for a in overdue]
            if soon:
                lines.append(f"  Due in the next {SOON_DAYS} days:")
                lines += [f"  -  {_line(a, owners, on)}" for a in soon]
            if blocked:
                lines.append("  Blocked:")
                lines += [f"  -  {_line(a, owners, on)}" for a in blocked]
            if recent:
                lines.append(f"  Done in the last {SOON_DAYS} days:")
                lines += [
                    f"  +  {a.title} ({owners.get(a.owner_user_id or 0, '')})" for a in recent
                ]
            if not items:
                lines.append("  No actions yet.")
            sections.append("\n".join(lines))
        plans_word = "plan" if len(coach_plans) == 1 else "plans"
        subject = f"Coaching week {iso_week(now)}: {len(coach_plans)} active {plans_word}"
        if total_overdue:
            subject += f", {total_overdue} overdue action{'s' if total_overdue != 1 else ''}"
        body = (
            f"Hello {coach.name},\n\n"
            f"Your active coaching plans in {org_name} on {on.isoformat()}:\n\n"
            + "\n\n".join(sections)
            + f"\n\nOpen your plans: {link}\n\n"
            "You get this digest once a week because you coach these plans.\n"
        )
        digests.append(
            Digest(
                coach_user_id=coach_id,
                to=coach.email,
                subject=subject,
                body=body,
                overdue=total_overdue,
            )
        )
    return digests


def send_org_digests(*, session: Session, ctx: TenantContext, now: datetime) -> int:
    """Send this week's digests of one organisation; returns how many mails went out."""
    week = iso_week(now)
    already = set(
        session.exec(select(DigestSent.coach_user_id).where(DigestSent.week == week)).all()
    )
    sent = 0
    for digest in compose_digests(session=session, ctx=ctx, now=now):
        if digest.coach_user_id in already:
            continue
        send_mail(
            session=session,
            to=digest.to,
            subject=digest.subject,
            body=digest.body,
            org_id=ctx.org_id,
        )
        session.add(DigestSent(coach_user_id=digest.coach_user_id, week=week, sent_at=now))
        sent += 1
    return sent


def send_weekly_digests(*, now: datetime | None = None) -> int:
    """Mail every coach their weekly digest, once per ISO week. Returns the number sent."""
    now = as_utc(now) if now else utcnow()
    with system_session() as session:
        org_ids = [i for i in session.exec(select(Organization.id).order_by(col(Organization.id)))]
    sent = 0
    for org_id in org_ids:
        if org_id is None:
            continue
        ctx = TenantContext(org_id=org_id, user_id=None, role=Role.OWNER)
        try:
            with tenant_session(ctx) as session:
                sent += send_org_digests(session=session, ctx=ctx, now=now)
        except Exception:
            # One organisation's failure (e.g. SMTP down) must not stop the others' digests.
            log.exception("weekly coaching digest failed for organisation %s", org_id)
    return sent


if __name__ == "__main__":  # a scheduler's entry point: python -m pmo_saas.coaching.digest
    logging.basicConfig(level=logging.INFO)
    log.info("weekly coaching digests sent: %d", send_weekly_digests())
