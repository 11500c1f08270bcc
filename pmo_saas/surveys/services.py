"""Culture surveys: launch, personal and open links, submit, reminders, results, rounds.

Functions that act inside an organisation take `session` (a tenant session) and `ctx`.
Answering through a link precedes any sign-in: `load_survey_form` and `submit_response`
find the organisation from the token, then work in that organisation's tenant session.

Anonymity (see anonymity.py for the threat model, tally.py for the storage): responses are
sealed until the survey closes, then become counters and shuffled comments; participation is
kept apart and carries no time; every figure shown passes the group thresholds and the
differencing protection; submissions are never audited (an audit row would be a timeline).
Open links count only on surveys launched for them, once per browser and up to a cap.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import case, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from pmo_saas.billing.entitlements import check_can_open_survey, check_writable
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import audit
from pmo_saas.identity.mail import send_mail
from pmo_saas.identity.models import Organization, Team, TeamMember, User
from pmo_saas.identity.security import hash_token, new_token
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import scoring, tally
from pmo_saas.surveys.anonymity import (
    DEFAULT_MIN_COMMENTS,
    DEFAULT_MIN_GROUP,
    Disclosure,
    check_threshold,
    protect,
)
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
    Bar,
    CommentGroup,
    GroupResult,
    Headline,
    HeatCell,
    HeatRow,
    MySurveyRow,
    MyTeamResults,
    QuestionForm,
    QuestionInput,
    QuestionResult,
    SurveyForm,
    SurveyResults,
    SurveyRow,
    TeamProgress,
    TrendPoint,
)

OPEN = "open"
CLOSED = "closed"
MANAGE_MESSAGE = "Only coaches, admins and owners can run surveys."
_shuffle = random.SystemRandom().shuffle


class InvalidLink(NotFound):
    def __init__(self) -> None:
        DomainError.__init__(
            self,
            "This survey link is not valid. Check that you opened the whole link from your "
            "mail, or ask the person running the survey for a new one.",
        )


# ---------------------------------------------------------------- look-ups


def _survey(session: Session, survey_id: int) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("That survey")
    return survey


def _questions(session: Session, survey_id: int) -> list[SurveyQuestion]:
    return list(
        session.exec(
            select(SurveyQuestion)
            .where(SurveyQuestion.survey_id == survey_id)
            .order_by(col(SurveyQuestion.position))
        ).all()
    )


def _spec(q: SurveyQuestion) -> ins.QuestionSpec:
    options = [(str(k), str(label)) for k, label in json.loads(q.options or "[]")]
    return ins.QuestionSpec(q.key, q.kind, q.prompt, options, q.required)


def _survey_teams(session: Session, survey_id: int) -> list[SurveyTeam]:
    return list(
        session.exec(
            select(SurveyTeam)
            .where(SurveyTeam.survey_id == survey_id)
            .order_by(col(SurveyTeam.team_name))
        ).all()
    )


def _status(survey: Survey) -> str:
    """`closed` once closed or past its end date (links then stop working either way)."""
    if survey.status == CLOSED or as_utc(survey.closes_at) < utcnow():
        return CLOSED
    return OPEN


def _link(token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/s/{token}"


def _date(value: Any) -> str:
    return f"{as_utc(value):%Y-%m-%d}" if value else ""


# ---------------------------------------------------------------- launch and distribution


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
) -> int:
    """Create a survey for `team_ids` and mail every member a personal link. Returns its id.

    `open_links=True` (with `personal_links=False`) launches it for open links instead: one
    link per team, each taking at most `open_link_cap` answers (default: the team's size).
    `notify=False` (demo data only) creates the participation without mailing anyone."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_writable(session=session, ctx=ctx)
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
    survey = Survey(
        open_links=open_links,
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


def _mail_link(
    session: Session, ctx: TenantContext, *, to: str, subject: str, body: str, token: str
) -> None:
    # The outbox and the log get the body with the link masked, and the day only (a
    # reminder's time would tell who had not answered by then); SMTP gets the real link.
    send_mail(
        session=session,
        org_id=ctx.org_id,
        to=to,
        subject=subject,
        body=body,
        secret=token,
        day_only=True,
    )


def _invitation_body(survey: Survey, org_name: str, token: str, *, reminder: bool = False) -> str:
    opening = (
        "A friendly reminder: you have not answered this survey yet."
        if reminder
        else f"{org_name} asks for your view in a short survey."
    )
    return (
        f"Hello,\n\n{opening}\n\n{survey.title}\n\n"
        f"Your personal link (it works once, until {_date(survey.closes_at)}):\n\n"
        f"{_link(token)}\n\n"
        "Your answers are stored without your name or account: only your team is kept, and "
        f"results are shown only for groups of at least {survey.min_group_size} people. "
        "Nobody, not even the people running the survey, can see what you answered.\n"
    )


def create_open_link(*, session: Session, ctx: TenantContext, survey_id: int, team_id: int) -> str:
    """An open link for one surveyed team (replaces any earlier one). Returns the URL."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_writable(session=session, ctx=ctx)
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


def send_reminders(*, session: Session, ctx: TenantContext, survey_id: int) -> int:
    """Mail a fresh personal link to everyone who has not answered. Returns how many."""
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_writable(session=session, ctx=ctx)
    survey = _survey(session, survey_id)
    if survey.status != OPEN:
        raise Conflict("This survey is closed; there is nobody left to remind.")
    pending = session.exec(
        select(SurveyInvitation, User)
        .join(User, col(User.id) == SurveyInvitation.user_id)
        .where(SurveyInvitation.survey_id == survey_id, col(SurveyInvitation.answered).is_(False))
    ).all()
    for invitation, user in pending:
        assert invitation.id is not None
        token, token_hash = new_token()
        session.add(SurveyLink(invitation_id=invitation.id, token_hash=token_hash))
        invitation.reminders_sent += 1
        session.add(invitation)
        _mail_link(
            session,
            ctx,
            to=user.email,
            subject=f"Reminder: {survey.title}",
            body=_invitation_body(survey, "", token, reminder=True),
            token=token,
        )
    audit.record(
        session=session,
        ctx=ctx,
        action="survey.reminders_sent",
        target=survey.title,
        # No count: with its time it would tell how many had answered by then.
        detail="to everyone who had not answered",
    )
    return len(pending)


# ---------------------------------------------------------------- lifecycle


def close_survey(*, session: Session, ctx: TenantContext, survey_id: int) -> None:
    ctx.require(Role.COACH, MANAGE_MESSAGE)
    check_writable(session=session, ctx=ctx)
    survey = _survey(session, survey_id)
    if survey.status == CLOSED:
        return
    survey.status = CLOSED
    survey.closed_at = utcnow()
    session.add(survey)
    session.flush()
    # Open-link browser keys only guard against a second answer while the survey runs.
    session.exec(delete(SurveyOpenKey).where(col(SurveyOpenKey.survey_id) == survey_id))
    tally.open_sealed(session, survey_id)
    audit.record(session=session, ctx=ctx, action="survey.closed", target=survey.title)


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
    check_writable(session=session, ctx=ctx)
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
    check_writable(session=session, ctx=ctx)
    survey = _survey(session, survey_id)
    title, round_number = survey.title, survey.round_number
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


# ---------------------------------------------------------------- answering through a link


def _resolve_token(token: str) -> tuple[int, int, int, int | None]:
    """(org_id, survey_id, survey_team_id, invitation_id or None for an open link)."""
    if not token or len(token) > 200:
        raise InvalidLink()
    token_hash = hash_token(token)
    with system_session() as session:
        row = session.exec(
            select(
                SurveyInvitation.org_id,
                SurveyInvitation.survey_id,
                SurveyInvitation.survey_team_id,
                SurveyInvitation.id,
            )
            .join(SurveyLink, col(SurveyLink.invitation_id) == SurveyInvitation.id)
            .where(SurveyLink.token_hash == token_hash)
        ).first()
        if row is not None:
            org_id, survey_id, team_id, invitation_id = row
            assert org_id is not None
            return org_id, survey_id, team_id, invitation_id
        team = session.exec(
            select(SurveyTeam.org_id, SurveyTeam.survey_id, SurveyTeam.id).where(
                SurveyTeam.open_token_hash == token_hash
            )
        ).first()
    if team is None:
        raise InvalidLink()
    team_org_id, team_survey_id, open_team_id = team
    assert team_org_id is not None and open_team_id is not None
    return team_org_id, team_survey_id, open_team_id, None


def _respondent_ctx(org_id: int) -> TenantContext:
    # Nobody is signed in: a respondent acts without a user id.
    return TenantContext(org_id=org_id, user_id=None, role=Role.MEMBER)


def _check_accepting(survey: Survey) -> None:
    if survey.status != OPEN:
        raise Conflict("This survey has closed; answers are no longer collected. Thank you!")
    if as_utc(survey.closes_at) < utcnow():
        raise Conflict(
            f"This survey link expired on {_date(survey.closes_at)}; answers are no longer "
            "collected."
        )


def load_survey_form(*, token: str, submission_key: str | None = None) -> SurveyForm:
    """What a respondent sees when opening their link (refused if used, expired or unknown).

    For an open link, `submission_key` is the key the browser keeps for it."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    with tenant_session(_respondent_ctx(org_id)) as session:
        survey = _survey(session, survey_id)
        _check_accepting(survey)
        if invitation_id is not None:
            invitation = session.get(SurveyInvitation, invitation_id)
            if invitation is None:
                raise InvalidLink()
            if invitation.answered:
                raise Conflict(_USED_MESSAGE)
        team = session.get(SurveyTeam, team_id)
        if invitation_id is None:
            assert team is not None
            _check_open_link(session, survey, team, submission_key)
        return SurveyForm(
            title=survey.title,
            instrument=survey.instrument,
            team_name=team.team_name if team else "",
            closes_at=_date(survey.closes_at),
            personal=invitation_id is not None,
            questions=[
                QuestionForm(
                    key=q.key,
                    kind=q.kind,
                    prompt=q.prompt,
                    options=_spec(q).options,
                    scale=ins.scale_labels(q.kind),
                    required=q.required,
                )
                for q in _questions(session, survey_id)
            ],
        )


_USED_MESSAGE = (
    "This link has already been used: your answers were received and counted once. Thank you!"
)
_BROWSER_USED = (
    "This browser has already answered through this link: each browser answers once, so a "
    "reload cannot add answers. Thank you!"
)


def _open_key_hash(survey_id: int, submission_key: str) -> str:
    return hash_token(f"{survey_id}:{submission_key}")


def _check_open_link(
    session: Session, survey: Survey, team: SurveyTeam, submission_key: str | None
) -> None:
    """An open link answers only on an open-link survey, once per browser, up to its cap."""
    assert survey.id is not None
    if not survey.open_links:
        raise Conflict(
            "This open link no longer works: the survey uses personal links, sent by email. "
            "Answer through your personal link."
        )
    if submission_key:
        used = session.get(SurveyOpenKey, _open_key_hash(survey.id, submission_key))
        if used is not None:
            raise Conflict(_BROWSER_USED)
    cap = team.open_cap or 0
    if team.open_responses >= cap:
        raise Conflict(
            f"This open link has taken all the answers it was made for ({cap}, set when the "
            "survey was launched), so it accepts no more. Ask the person running the survey."
        )


def submit_response(
    *, token: str, answers: dict[str, Any], submission_key: str | None = None
) -> None:
    """Store one anonymous response, sealed until the survey closes. A personal link works
    once; an open link once per browser (`submission_key`: the key the browser keeps for
    it, so a reload brings the same one) and up to the link's cap."""
    org_id, survey_id, team_id, invitation_id = _resolve_token(token)
    ctx = _respondent_ctx(org_id)
    try:
        with tenant_session(ctx) as session:
            _lock_team(session, team_id)
            check_writable(session=session, ctx=ctx)
            survey = _survey(session, survey_id)
            _check_accepting(survey)
            rows = _clean_answers(session, survey_id, answers)
            if invitation_id is not None:
                _mark_answered(session, team_id, invitation_id)
            else:
                if not submission_key or len(submission_key) > 200:
                    raise ValidationFailed("The form is incomplete; reload the page and answer.")
                team = session.get(SurveyTeam, team_id)
                assert team is not None
                session.refresh(team)
                _check_open_link(session, survey, team, submission_key)
                session.add(
                    SurveyOpenKey(
                        key_hash=_open_key_hash(survey_id, submission_key), survey_id=survey_id
                    )
                )
            _store_response(session, survey_id, team_id, rows, open_link=invitation_id is None)
    except IntegrityError:
        raise Conflict(_BROWSER_USED) from None


def _clean_answers(
    session: Session, survey_id: int, answers: dict[str, Any]
) -> list[tuple[int, str, float | None, str | None]]:
    questions = _questions(session, survey_id)
    known = {q.key for q in questions}
    unknown = set(answers or {}) - known
    if unknown:
        raise ValidationFailed("The answers do not match this survey; reload the page.")
    rows = []
    for q in questions:
        assert q.id is not None
        for option_key, value, text in ins.clean_answer(_spec(q), (answers or {}).get(q.key)):
            rows.append((q.id, option_key, value, text))
    return rows


def _lock_team(session: Session, team_id: int) -> None:
    """Serialise submissions per surveyed team. The transaction's first statement is a write,
    so PostgreSQL locks the row and SQLite takes its write lock (waiting, not failing)."""
    session.exec(
        update(SurveyTeam)
        .where(col(SurveyTeam.id) == team_id)
        .values(team_name=col(SurveyTeam.team_name))
        .execution_options(synchronize_session=False)
    )


def _mark_answered(session: Session, team_id: int, invitation_id: int) -> None:
    """Under the team lock: mark this link's invitation answered, unless it already is, by
    rewriting every participation row of the team in one statement, so no row version pairs
    this answer with this person."""
    unused = (
        select(SurveyInvitation.id)
        .where(SurveyInvitation.id == invitation_id, col(SurveyInvitation.answered).is_(False))
        .exists()
    )
    result = session.exec(
        update(SurveyInvitation)
        .where(col(SurveyInvitation.survey_team_id) == team_id, unused)
        .values(
            answered=case(
                (col(SurveyInvitation.id) == invitation_id, True),
                else_=col(SurveyInvitation.answered),
            )
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise Conflict(_USED_MESSAGE)


def _store_response(
    session: Session,
    survey_id: int,
    team_id: int,
    rows: list[tally.AnswerRow],
    *,
    open_link: bool = False,
) -> None:
    tally.seal_response(session, survey_id, team_id, rows)
    tally.count_response(session, team_id, open_link=open_link)


# ---------------------------------------------------------------- results


TeamHistograms = tally.TeamHistograms


def _merge(histograms: TeamHistograms, team_ids: set[int]) -> dict[tuple[int, str], Counter[float]]:
    merged: dict[tuple[int, str], Counter[float]] = defaultdict(Counter)
    for team_id in team_ids:
        for key, counter in histograms.get(team_id, {}).items():
            merged[key].update(counter)
    return merged


def _question_result(
    q: SurveyQuestion, merged: dict[tuple[int, str], Counter[float]], n: int
) -> QuestionResult:
    assert q.id is not None
    spec = _spec(q)
    if q.kind in ins.NUMERIC_KINDS:
        hist = merged.get((q.id, ""), Counter())
        low, high = ins.SCALE_RANGE[q.kind]
        labels = ins.scale_labels(q.kind)
        answered = scoring.count(hist)
        bars = [
            Bar(
                label=labels[v - low] if q.kind != ins.NPS else str(v),
                count=hist.get(float(v), 0),
                percent=round(100.0 * hist.get(float(v), 0) / answered, 1) if answered else 0.0,
            )
            for v in range(low, high + 1)
        ]
        m = scoring.mean(hist)
        return QuestionResult(
            key=q.key,
            prompt=q.prompt,
            kind=q.kind,
            answered=answered,
            mean=round(m, 2) if m is not None else None,
            bars=bars,
        )
    if q.kind in (ins.SINGLE, ins.MULTI):
        counts = {k: scoring.count(merged.get((q.id, k), Counter())) for k, _ in spec.options}
        answered = sum(counts.values()) if q.kind == ins.SINGLE else n
        return QuestionResult(
            key=q.key,
            prompt=q.prompt,
            kind=q.kind,
            answered=answered,
            bars=[
                Bar(
                    label=label,
                    count=counts[k],
                    percent=round(100.0 * counts[k] / answered, 1) if answered else 0.0,
                )
                for k, label in spec.options
            ],
        )
    if q.kind == ins.OCAI_SPLIT:
        sums = {
            option: sum(v * c for v, c in merged.get((q.id, option), Counter()).items())
            for option in ins.ocai_option_keys()
        }
        profile = scoring.ocai_profile({q.key: sums}, n) or {}
        return QuestionResult(
            key=q.key,
            prompt=q.prompt,
            kind=q.kind,
            answered=n,
            split={p: {c: round(v, 1) for c, v in d.items()} for p, d in profile.items()},
        )
    return QuestionResult(key=q.key, prompt=q.prompt, kind=q.kind, answered=0)


def _headline(
    instrument: str,
    questions: list[SurveyQuestion],
    merged: dict[tuple[int, str], Counter[float]],
    n: int,
) -> Headline | None:
    numeric = [q for q in questions if q.kind in ins.NUMERIC_KINDS]
    if instrument == ins.WESTRUM:
        score = scoring.westrum_score([merged.get((q.id or 0, ""), Counter()) for q in numeric])
        return Headline(
            label="Westrum score (1-7)",
            value=round(score, 2) if score is not None else None,
            detail="Mean agreement with the six DORA items; 7 is most generative.",
        )
    if instrument == ins.ENPS:
        nps_q = next((q for q in numeric if q.kind == ins.NPS), None)
        result = scoring.enps(merged.get((nps_q.id or 0, ""), Counter())) if nps_q else None
        if result is None:
            return Headline(label="eNPS")
        score, p, passive, d = result
        return Headline(
            label="eNPS",
            value=round(score, 1),
            detail=f"{p:.0f}% promoters, {passive:.0f}% passives, {d:.0f}% detractors",
        )
    if instrument == ins.HEALTH:
        score = scoring.westrum_score([merged.get((q.id or 0, ""), Counter()) for q in numeric])
        return Headline(
            label="Team health (1-5)",
            value=round(score, 2) if score is not None else None,
            detail="Mean agreement over the health check statements.",
        )
    if instrument == ins.OCAI:
        sums = {
            q.key: {
                option: sum(v * c for v, c in merged.get((q.id or 0, option), Counter()).items())
                for option in ins.ocai_option_keys()
            }
            for q in questions
            if q.kind == ins.OCAI_SPLIT
        }
        profile = scoring.ocai_profile(sums, n) or {}
        return Headline(
            label="Culture profile (points of 100)",
            detail="Now against Preferred, averaged over the six dimensions.",
            ocai={p: {c: round(v, 1) for c, v in d.items()} for p, d in profile.items()},
        )
    return None


class _Comments:
    """All free-text answers of a survey, read once (only when some group may show them);
    stored apart from any response, under random ids, and shuffled again on every read."""

    def __init__(self, session: Session, survey_id: int, questions: list[SurveyQuestion]):
        self.session, self.survey_id = session, survey_id
        self.prompts = {q.id: q.prompt for q in questions if q.kind == ins.TEXT}
        self._by_team: dict[int, dict[int, list[str]]] | None = None

    def _load(self) -> dict[int, dict[int, list[str]]]:
        if self._by_team is None:
            self._by_team = tally.comments_by_team(
                self.session, self.survey_id, [q for q in self.prompts if q is not None]
            )
        return self._by_team

    def for_teams(self, team_ids: set[int]) -> list[CommentGroup]:
        if not self.prompts or not team_ids:
            return []
        by_team = self._load()
        groups = []
        for question_id, prompt in self.prompts.items():
            texts = [
                t for team in team_ids for t in by_team.get(team, {}).get(question_id or 0, [])
            ]
            # Unattributed and in random order: the order says nothing about who wrote what.
            _shuffle(texts)
            groups.append(CommentGroup(prompt=prompt, comments=texts))
        return groups


def _group(
    *,
    survey: Survey,
    questions: list[SurveyQuestion],
    histograms: TeamHistograms,
    comments: _Comments,
    label: str,
    survey_team_id: int | None,
    team_ids: set[int],
    n: int,
    open_n: int,
    visible: bool,
    hidden_reason: str,
    comments_visible: bool,
    comments_reason: str,
) -> GroupResult:
    if not visible:
        return GroupResult(
            label=label,
            survey_team_id=survey_team_id,
            responses=n,
            open_responses=open_n,
            visible=False,
            hidden_reason=hidden_reason,
            comments_hidden_reason=hidden_reason,
        )
    merged = _merge(histograms, team_ids)
    assert survey.id is not None
    return GroupResult(
        label=label,
        survey_team_id=survey_team_id,
        responses=n,
        open_responses=open_n,
        visible=True,
        headline=_headline(survey.instrument, questions, merged, n),
        questions=[_question_result(q, merged, n) for q in questions if q.kind != ins.TEXT],
        comments=comments.for_teams(team_ids) if comments_visible else [],
        comments_hidden_reason="" if comments_visible else comments_reason,
    )


def _comment_reason(threshold: int) -> str:
    return f"Comments are shown only for groups of at least {threshold} responses."


def _compute_results(
    session: Session, survey: Survey, selected_team_ids: list[int] | None
) -> SurveyResults:
    assert survey.id is not None
    if _status(survey) == CLOSED and tally.has_sealed(session, survey.id):
        # Closed by its end date: the first read opens the sealed answers, once.
        tally.open_sealed(session, survey.id)
    questions = _questions(session, survey.id)
    teams = _survey_teams(session, survey.id)
    counts = tally.response_counts(session, survey.id)
    open_counts = tally.open_counts(session, survey.id)
    team_counts = {t.id: counts.get(t.id or 0, 0) for t in teams if t.id is not None}
    numbers: Disclosure = protect(team_counts, survey.min_group_size)
    words: Disclosure = protect(team_counts, survey.min_comment_group_size)
    histograms = tally.histograms(session, survey.id)
    comments = _Comments(session, survey.id, questions)
    all_ids = set(team_counts)
    total = sum(team_counts.values())

    def group(
        label: str, stid: int | None, ids: set[int], visible: bool, reason: str
    ) -> GroupResult:
        n = sum(team_counts[i] for i in ids)
        if stid is None and ids == all_ids:
            comments_ok = words.total_visible
            comments_reason = words.total_hidden_reason
        else:
            comments_ok = ids <= words.visible
            comments_reason = next((words.hidden[i] for i in ids if i in words.hidden), "")
        comments_reason = comments_reason.replace("Hidden:", "Comments hidden:", 1) or (
            _comment_reason(survey.min_comment_group_size)
        )
        return _group(
            survey=survey,
            questions=questions,
            histograms=histograms,
            comments=comments,
            label=label,
            survey_team_id=stid,
            team_ids=ids,
            n=n,
            open_n=sum(open_counts.get(i, 0) for i in ids),
            visible=visible,
            hidden_reason=reason,
            comments_visible=visible and comments_ok,
            comments_reason=comments_reason,
        )

    org = group(
        "Whole organisation",
        None,
        all_ids,
        numbers.total_visible,
        numbers.total_hidden_reason,
    )
    team_results = [
        group(
            t.team_name,
            t.id,
            {t.id},
            t.id in numbers.visible,
            numbers.hidden.get(t.id, ""),
        )
        for t in teams
        if t.id is not None
    ]
    selection = None
    if selected_team_ids is not None:
        numbers.check_filter(selected_team_ids, all_ids)
        names = [t.team_name for t in teams if t.id in set(selected_team_ids)]
        selection = group("Selected: " + ", ".join(names), None, set(selected_team_ids), True, "")
    columns = [(q.key, q.prompt) for q in questions if q.kind in ins.NUMERIC_KINDS]
    heatmap = [
        HeatRow(
            label=g.label,
            survey_team_id=g.survey_team_id,
            visible=g.visible,
            hidden_reason=g.hidden_reason,
            cells=[
                HeatCell(
                    question_key=key,
                    value=next((qr.mean for qr in g.questions if qr.key == key), None)
                    if g.visible
                    else None,
                )
                for key, _ in columns
            ],
        )
        for g in [*team_results, org]
    ]
    return SurveyResults(
        survey_id=survey.id,
        title=survey.title,
        instrument=survey.instrument,
        round_number=survey.round_number,
        status=survey.status,
        min_group_size=survey.min_group_size,
        min_comment_group_size=survey.min_comment_group_size,
        responses=total,
        open_links=survey.open_links,
        open_responses=sum(open_counts.values()),
        org=org,
        teams=team_results,
        selection=selection,
        heat_columns=columns,
        heatmap=heatmap,
    )


def _require_final(survey: Survey) -> None:
    """Results only from a closed survey: its answers can no longer change. Live figures
    would let anyone compare the numbers before and after one colleague answers."""
    if _status(survey) != CLOSED:
        raise Conflict(
            f"Results appear once the survey has closed (on {_date(survey.closes_at)}, or "
            "earlier if you close it). Figures that change while people answer would let "
            "anyone compare them before and after one colleague answers. The response rate "
            "is shown meanwhile."
        )


def survey_results(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    team_ids: list[int] | None = None,
) -> SurveyResults:
    """Results per team and for the organisation; `team_ids` (surveyed team ids) filters."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can see survey results.")
    survey = _survey(session, survey_id)
    _require_final(survey)
    return _compute_results(session, survey, team_ids)


def export_results_csv(*, session: Session, ctx: TenantContext, survey_id: int) -> str:
    """The shown results as CSV: the same groups and thresholds as on screen, no raw rows."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can export survey results.")
    survey = _survey(session, survey_id)
    _require_final(survey)
    results = _compute_results(session, survey, None)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "responses", "question", "answer", "count", "percent", "mean"])
    for g in [results.org, *results.teams]:
        if not g.visible:
            writer.writerow([g.label, "", "", g.hidden_reason, "", "", ""])
            continue
        if g.headline is not None and g.headline.value is not None:
            writer.writerow([g.label, g.responses, g.headline.label, "", "", "", g.headline.value])
        for phase, split in (g.headline.ocai if g.headline else {}).items():
            for culture, value in split.items():
                writer.writerow([g.label, g.responses, f"OCAI {phase}", culture, "", "", value])
        for qr in g.questions:
            for bar in qr.bars:
                writer.writerow(
                    [g.label, g.responses, qr.prompt, bar.label, bar.count, bar.percent, ""]
                )
            if qr.mean is not None:
                writer.writerow([g.label, g.responses, qr.prompt, "(mean)", "", "", qr.mean])
        for cg in g.comments:
            for text in cg.comments:
                writer.writerow([g.label, g.responses, cg.prompt, text, "", "", ""])
    audit.record(session=session, ctx=ctx, action="survey.exported", target=survey.title)
    return out.getvalue()


def survey_trend(*, session: Session, ctx: TenantContext, survey_id: int) -> list[TrendPoint]:
    """The headline figure of every round of this survey's series, organisation and teams."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can see survey results.")
    survey = _survey(session, survey_id)
    series_id = survey.series_id or survey.id
    rounds = session.exec(
        select(Survey).where(Survey.series_id == series_id).order_by(col(Survey.round_number))
    ).all()
    points = []
    for r in rounds:
        assert r.id is not None
        if _status(r) != CLOSED:
            points.append(
                TrendPoint(
                    survey_id=r.id,
                    round_number=r.round_number,
                    title=r.title,
                    closes_at=_date(r.closes_at),
                    org=None,
                    org_hidden_reason="Still running: results appear once it has closed.",
                    teams={},
                )
            )
            continue
        results = _compute_results(session, r, None)
        points.append(
            TrendPoint(
                survey_id=r.id,
                round_number=r.round_number,
                title=r.title,
                closes_at=_date(r.closed_at or r.closes_at),
                org=results.org.headline.value if results.org.headline else None,
                org_hidden_reason=results.org.hidden_reason,
                teams={
                    g.label: (g.headline.value if g.headline else None)
                    for g in results.teams
                    if g.visible
                },
            )
        )
    return points


def my_team_results(*, session: Session, ctx: TenantContext, survey_id: int) -> MyTeamResults:
    """ "You said, we did": a respondent's own team and the organisation, after the close."""
    if ctx.user_id is None:
        raise Forbidden("Sign in to see your team's results.")
    survey = _survey(session, survey_id)
    invitation = session.exec(
        select(SurveyInvitation).where(
            SurveyInvitation.survey_id == survey_id, SurveyInvitation.user_id == ctx.user_id
        )
    ).first()
    if invitation is None:
        raise NotFound("That survey")
    if _status(survey) != CLOSED:
        raise Conflict("Your team's results appear here once the survey has closed.")
    results = _compute_results(session, survey, None)
    team = next(g for g in results.teams if g.survey_team_id == invitation.survey_team_id)
    assert survey.id is not None
    return MyTeamResults(
        survey_id=survey.id,
        title=survey.title,
        instrument=survey.instrument,
        team=team,
        org=results.org,
    )


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
