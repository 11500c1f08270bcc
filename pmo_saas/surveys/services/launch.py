"""The surveys page (coaches): launch (with its reminder schedule), personal and open links,
close, re-run, delete, the list with response rates, and "your surveys" for everyone."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from pmo_saas.billing.entitlements import check_can_open_survey, register_usage_counter
from pmo_saas.identity import audit
from pmo_saas.identity.models import Organization, Team, TeamMember, User
from pmo_saas.identity.security import new_token
from pmo_saas.kernel.anonymity import (
    DEFAULT_MIN_COMMENTS,
    DEFAULT_MIN_GROUP,
    check_threshold,
)
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyComment,
    SurveyInvitation,
    SurveyLink,
    SurveyOpenKey,
    SurveyQuestion,
    SurveySealedResponse,
    SurveyTally,
    SurveyTeam,
)
from pmo_saas.surveys.schemas import (
    MySurveyRow,
    QuestionInput,
    SurveyRow,
    TeamProgress,
)
from pmo_saas.surveys.services.common import (
    CLOSED,
    MANAGE_MESSAGE,
    OPEN,
    _date,
    _invitation_body,
    _link,
    _mail_link,
    _questions,
    _spec,
    _status,
    _survey,
    _survey_teams,
)
from pmo_saas.surveys.services.figures import store_org_figures, store_team_figures
from pmo_saas.surveys.services.notices import notify_survey_closed
from pmo_saas.surveys.services.reminders import reminder_schedule, schedule_days

# ---------------------------------------------------------------- launch and distribution


def count_open_surveys(session: Session) -> int:
    """Open surveys not past their closing time: what the Free plan's survey limit counts."""
    return int(
        session.exec(
            select(func.count())
            .select_from(Survey)
            .where(Survey.status == "open", col(Survey.closes_at) > utcnow())
        ).one()
    )


register_usage_counter("open_surveys", count_open_surveys)


def launch_survey(
    *,
    session: Session,
    ctx: TenantContext,
    title: str,
    instrument: str,
    team_ids: list[int],
    questions: list[QuestionInput] | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP,
    min_comment_group_size: int = DEFAULT_MIN_COMMENTS,
    days_open: int = 14,
    personal_links: bool = True,
    notify: bool = True,
    open_links: bool = False,
    open_link_cap: int | None = None,
    reminder_days: list[int] | None = None,
) -> int:
    """Create a survey for `team_ids` and mail every member a personal link. Returns its id.

    `open_links=True` (with `personal_links=False`) launches it for open links instead: one
    link per team, each taking at most `open_link_cap` answers (default: the team's size).
    `notify=False` (demo data only) creates the participation without mailing anyone.
    `reminder_days`: days after launch when those who have not answered get a reminder
    (None: 3 and 7, as far as the survey runs; [] for none; personal links only)."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_can_open_survey(session=session, ctx=ctx)
    title = " ".join((title or "").split())
    if not title:
        raise ValidationFailed("Give the survey a title.", field="title")
    if len(title) > 160:
        raise ValidationFailed("The title is longer than 160 characters.", field="title")
    if instrument not in ins.INSTRUMENTS:
        raise ValidationFailed("Choose a survey type.", field="instrument")
    if instrument == ins.CUSTOM:
        specs = ins.check_custom_questions(
            [
                ins.QuestionSpec(q.key, q.kind, q.prompt, list(q.options), q.required)
                for q in questions or []
            ]
        )
    else:
        specs = ins.instrument_questions(instrument)
    check_threshold(min_group_size)
    check_threshold(min_comment_group_size, what="minimum group size for comments")
    if min_comment_group_size < min_group_size:
        raise ValidationFailed(
            "Comments need at least as many responses as the other results.",
            field="min_comment_group_size",
        )
    if not 1 <= days_open <= 120:
        raise ValidationFailed("Keep the survey open for 1 to 120 days.", field="days_open")
    if open_links and personal_links:
        raise ValidationFailed(OPEN_AND_PERSONAL, field="open_links")
    if open_link_cap is not None and not 1 <= open_link_cap <= 10000:
        raise ValidationFailed(
            "The open link limit must be between 1 and 10,000 answers.", field="open_link_cap"
        )
    schedule = reminder_schedule(reminder_days, days_open=days_open) if personal_links else ""
    survey = Survey(
        open_links=open_links,
        reminder_days=schedule,
        title=title,
        instrument=instrument,
        min_group_size=min_group_size,
        min_comment_group_size=min_comment_group_size,
        created_by_id=ctx.user_id,
        closes_at=utcnow() + timedelta(days=days_open),
    )
    session.add(survey)
    session.flush()
    assert survey.id is not None
    survey.series_id = survey.id
    _add_questions(session, survey.id, specs)
    invited = _add_teams_and_invite(
        session,
        ctx,
        survey,
        team_ids,
        personal_links=personal_links,
        mail=notify,
        open_caps=_caps(session, team_ids, open_link_cap) if open_links else {},
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="survey.launched",
        target=title,
        detail=f"{instrument}, {len(set(team_ids))} teams, "
        + (f"{invited} personal links" if personal_links else "open links"),
    )
    return survey.id


def links_deliverable() -> bool:
    """Personal links reach people only by SMTP (the outbox keeps them hidden)."""
    return get_settings().smtp_enabled


UNDELIVERED = (
    "Survey launched, but no mail server (SMTP) is configured, so the personal links could "
    "not be delivered: they are hidden in the outbox on purpose. Configure SMTP, then send "
    "reminders: everyone who has not answered gets a fresh link."
)


OPEN_AND_PERSONAL = (
    "Choose personal links or open links, not both: on a survey with personal links an open "
    "link would let anyone add answers and work out a small team's answers."
)


def _caps(session: Session, team_ids: list[int], cap: int | None) -> dict[int, int]:
    """Per team, how many answers its open link takes: `cap`, or the team's size."""
    sizes = dict(
        session.exec(
            select(TeamMember.team_id, func.count())
            .where(col(TeamMember.team_id).in_(sorted(set(team_ids))))
            .group_by(col(TeamMember.team_id))
        ).all()
    )
    return {t: cap if cap is not None else int(sizes.get(t, 0)) for t in set(team_ids)}


def _add_questions(session: Session, survey_id: int, specs: list[ins.QuestionSpec]) -> None:
    for position, spec in enumerate(specs):
        session.add(
            SurveyQuestion(
                survey_id=survey_id,
                position=position,
                key=spec.key,
                kind=spec.kind,
                prompt=spec.prompt,
                options=json.dumps([list(o) for o in spec.options]),
                required=spec.required,
            )
        )


def _add_teams_and_invite(
    session: Session,
    ctx: TenantContext,
    survey: Survey,
    team_ids: list[int],
    *,
    personal_links: bool,
    mail: bool,
    open_caps: dict[int, int] | None = None,
) -> int:
    wanted = sorted(set(team_ids))
    if not wanted:
        raise ValidationFailed("Choose at least one team.", field="teams")
    teams = session.exec(select(Team).where(col(Team.id).in_(wanted))).all()
    if len(teams) != len(wanted):
        raise NotFound("That team")
    assert survey.id is not None
    org = session.get(Organization, ctx.org_id)
    org_name = org.name if org else ""
    invited_users: set[int] = set()
    count = 0
    for team in sorted(teams, key=lambda t: t.name):
        survey_team = SurveyTeam(
            survey_id=survey.id,
            team_id=team.id,
            team_name=team.name,
            open_cap=(open_caps or {}).get(team.id or 0) if survey.open_links else None,
        )
        session.add(survey_team)
        session.flush()
        assert survey_team.id is not None
        if not personal_links:
            continue
        members = session.exec(
            select(User)
            .join(TeamMember, col(TeamMember.user_id) == User.id)
            .where(TeamMember.team_id == team.id)
            .order_by(col(User.id))
        ).all()
        for user in members:
            assert user.id is not None
            # Someone in two surveyed teams answers once, for the first team (by name).
            if user.id in invited_users:
                continue
            invited_users.add(user.id)
            invitation = SurveyInvitation(
                survey_id=survey.id, survey_team_id=survey_team.id, user_id=user.id
            )
            session.add(invitation)
            session.flush()
            assert invitation.id is not None
            token, token_hash = new_token()
            session.add(SurveyLink(invitation_id=invitation.id, token_hash=token_hash))
            count += 1
            if mail:
                _mail_link(
                    session,
                    ctx,
                    to=user.email,
                    subject=f"Your voice, anonymously: {survey.title}",
                    body=_invitation_body(survey, org_name, token),
                    token=token,
                )
    return count


def create_open_link(*, session: Session, ctx: TenantContext, survey_id: int, team_id: int) -> str:
    """An open link for one surveyed team (replaces any earlier one). Returns the URL."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    survey = _survey(session, survey_id)
    if survey.status != OPEN:
        raise Conflict("This survey is closed; open links can only be made while it runs.")
    if not survey.open_links:
        raise Conflict(
            "This survey was launched with personal links, so it takes no open links: "
            "answers through one could be used to work out a small team's answers. Launch "
            "a survey with open links instead."
        )
    survey_team = session.exec(
        select(SurveyTeam).where(SurveyTeam.survey_id == survey_id, SurveyTeam.id == team_id)
    ).first()
    if survey_team is None:
        raise NotFound("That team")
    token, token_hash = new_token()
    survey_team.open_token_hash = token_hash
    session.add(survey_team)
    audit.record(
        session=session,
        ctx=ctx,
        action="survey.open_link_created",
        target=survey.title,
        detail=survey_team.team_name,
    )
    return _link(token)


# ---------------------------------------------------------------- lifecycle


def close_survey(*, session: Session, ctx: TenantContext, survey_id: int) -> None:
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    survey = _survey(session, survey_id)
    if survey.status == CLOSED:
        return
    _close(session, ctx, survey, closed_at=utcnow(), detail="")


def _close(
    session: Session, ctx: TenantContext, survey: Survey, *, closed_at: datetime, detail: str
) -> None:
    assert survey.id is not None
    survey.status = CLOSED
    survey.closed_at = closed_at
    session.add(survey)
    session.flush()
    tally.open_sealed(session, survey.id, survey.min_group_size)  # under every team lock
    # Open-link browser keys only guard against a second answer while the survey runs
    # (deleted under the team locks: no submission can add one after).
    session.exec(delete(SurveyOpenKey).where(col(SurveyOpenKey.survey_id) == survey.id))
    store_team_figures(session, survey)
    store_org_figures(session, survey)
    audit.record(
        session=session, ctx=ctx, action="survey.closed", target=survey.title, detail=detail
    )
    notify_survey_closed(session, ctx, survey)


def close_due_surveys(*, session: Session, ctx: TenantContext, now: datetime) -> int:
    """The job runner's: close each survey whose end date has passed, as `close_survey` does
    (its answers opened, its creator and its teams told), once: a closed one is skipped."""
    due = session.exec(
        select(Survey)
        .where(Survey.status != CLOSED, col(Survey.closes_at) <= now)
        .order_by(col(Survey.id))
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: a submission's FK checks pass
    ).all()
    for survey in due:
        _close(session, ctx, survey, closed_at=survey.closes_at, detail="on its end date")
    return len(due)


def rerun_survey(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    days_open: int = 14,
    notify: bool = True,
) -> int:
    """A new round of the same questions to the same teams (their members today)."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_can_open_survey(session=session, ctx=ctx)
    previous = _survey(session, survey_id)
    if not 1 <= days_open <= 120:
        raise ValidationFailed("Keep the survey open for 1 to 120 days.", field="days_open")
    series_id = previous.series_id or previous.id
    last_round = session.exec(
        select(func.max(Survey.round_number)).where(Survey.series_id == series_id)
    ).one()
    team_ids = [t.team_id for t in _survey_teams(session, survey_id) if t.team_id is not None]
    if not team_ids:
        raise Conflict("None of this survey's teams exist any more; launch a new survey.")
    survey = Survey(
        title=previous.title,
        instrument=previous.instrument,
        series_id=series_id,
        round_number=(last_round or 1) + 1,
        min_group_size=previous.min_group_size,
        min_comment_group_size=previous.min_comment_group_size,
        open_links=previous.open_links,
        reminder_days=",".join(str(d) for d in schedule_days(previous) if d < days_open),
        created_by_id=ctx.user_id,
        closes_at=utcnow() + timedelta(days=days_open),
    )
    session.add(survey)
    session.flush()
    assert survey.id is not None
    assert previous.id is not None
    caps = _caps(session, team_ids, None)
    for t in _survey_teams(session, previous.id):
        if t.team_id is not None and t.open_cap is not None:
            caps[t.team_id] = t.open_cap
    _add_questions(session, survey.id, [_spec(q) for q in _questions(session, previous.id)])
    personal = (
        session.exec(
            select(func.count())
            .select_from(SurveyInvitation)
            .where(SurveyInvitation.survey_id == previous.id)
        ).one()
        > 0
    )
    _add_teams_and_invite(
        session,
        ctx,
        survey,
        team_ids,
        personal_links=personal and not survey.open_links,
        mail=notify,
        open_caps=caps,
    )
    audit.record(
        session=session,
        ctx=ctx,
        action="survey.rerun",
        target=survey.title,
        detail=f"round {survey.round_number}",
    )
    return survey.id


def delete_survey(*, session: Session, ctx: TenantContext, survey_id: int) -> None:
    """Delete a survey round with all its responses, answers, links and participation."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    survey = _survey(session, survey_id)
    title, round_number = survey.title, survey.round_number
    tally.lock_survey_teams(session, survey_id)  # first, as submissions take them: no deadlock
    invitation_ids = select(SurveyInvitation.id).where(SurveyInvitation.survey_id == survey_id)
    for table in (SurveyTally, SurveyComment, SurveySealedResponse, SurveyOpenKey):
        session.exec(delete(table).where(col(table.survey_id) == survey_id))
    session.exec(delete(SurveyLink).where(col(SurveyLink.invitation_id).in_(invitation_ids)))
    session.exec(delete(SurveyInvitation).where(col(SurveyInvitation.survey_id) == survey_id))
    session.exec(delete(SurveyTeam).where(col(SurveyTeam.survey_id) == survey_id))
    session.exec(delete(SurveyQuestion).where(col(SurveyQuestion.survey_id) == survey_id))
    session.delete(survey)
    audit.record(
        session=session,
        ctx=ctx,
        action="survey.deleted",
        target=title,
        detail=f"round {round_number}, with its responses",
    )


# ---------------------------------------------------------------- lists and progress


def list_surveys(*, session: Session, ctx: TenantContext) -> list[SurveyRow]:
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    surveys = session.exec(
        select(Survey).order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
    ).all()
    teams = Counter(session.exec(select(SurveyTeam.survey_id)).all())
    invited: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for survey_id, done in session.exec(
        select(SurveyInvitation.survey_id, SurveyInvitation.answered)
    ).all():
        invited[survey_id] += 1
        answered[survey_id] += int(bool(done))
    responses = dict(
        session.exec(
            select(SurveyTeam.survey_id, func.sum(SurveyTeam.responses)).group_by(
                col(SurveyTeam.survey_id)
            )
        ).all()
    )
    rows = []
    for s in surveys:
        assert s.id is not None
        rows.append(
            SurveyRow(
                id=s.id,
                title=s.title,
                instrument=s.instrument,
                instrument_label=ins.INSTRUMENT_LABELS.get(s.instrument, s.instrument),
                series_id=s.series_id or s.id,
                round_number=s.round_number,
                status=_status(s),
                closes_at=_date(s.closes_at),
                teams=teams[s.id],
                invited=invited[s.id],
                answered=answered[s.id],
                responses=int(responses.get(s.id, 0)),
                min_group_size=s.min_group_size,
                min_comment_group_size=s.min_comment_group_size,
                open_links=s.open_links,
            )
        )
    return rows


def survey_progress(*, session: Session, ctx: TenantContext, survey_id: int) -> list[TeamProgress]:
    """Response rate per team (participation counts only; nothing about answers)."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    _survey(session, survey_id)
    invited: Counter[int] = Counter()
    answered: Counter[int] = Counter()
    for team_id, done in session.exec(
        select(SurveyInvitation.survey_team_id, SurveyInvitation.answered).where(
            SurveyInvitation.survey_id == survey_id
        )
    ).all():
        invited[team_id] += 1
        answered[team_id] += int(bool(done))
    rows = []
    for t in _survey_teams(session, survey_id):
        assert t.id is not None
        base = invited[t.id]
        got = t.responses
        rate = 100.0 * min(answered[t.id], base) / base if base else 0.0
        rows.append(
            TeamProgress(
                survey_team_id=t.id,
                team_name=t.team_name,
                invited=base,
                answered=answered[t.id],
                responses=got,
                response_rate=round(rate, 1),
                has_open_link=t.open_token_hash is not None,
                open_responses=t.open_responses,
                open_cap=t.open_cap,
            )
        )
    return rows


def my_surveys(*, session: Session, ctx: TenantContext) -> list[MySurveyRow]:
    """The surveys the signed-in person was invited to, newest first, for "you said, we did"."""
    if ctx.user_id is None:
        raise Forbidden("Sign in to see your surveys.")
    rows = session.exec(
        select(Survey, SurveyTeam.team_name)
        .join(SurveyInvitation, col(SurveyInvitation.survey_id) == Survey.id)
        .join(SurveyTeam, col(SurveyTeam.id) == SurveyInvitation.survey_team_id)
        .where(SurveyInvitation.user_id == ctx.user_id)
        .order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
    ).all()
    result = []
    for survey, team_name in rows:
        assert survey.id is not None
        result.append(
            MySurveyRow(
                survey_id=survey.id,
                title=survey.title,
                round_number=survey.round_number,
                team_name=team_name,
                status=_status(survey),
                closes_at=_date(survey.closes_at),
                results_ready=_status(survey) == CLOSED,
            )
        )
    return result
