"""You said, we did: focus questions, committed actions, the follow-up in the next round.

Who may do what:
- coaches, admins and owners: every surveyed team of a survey;
- members: the surveyed teams they belong to today (someone removed from a team loses it at
  once); viewers read their own teams' and commit nothing;
- a respondent of the next round (through their link, signed in or not) reads what was done
  for their team: the question, the action and its status, no owner and no dates.

Anonymity: a focus can be picked only on a team the anonymity rules show in that survey
(its threshold and the differencing protection, exactly as the results page decides); a
hidden team is never offered, and naming it is refused without saying anything of its answers.
The change shown in the next round is between two shown figures (the mean shown when the
focus was picked, and the team's mean in the next round if that round shows the team).

The "next round" of a team's survey is the team's next survey of the same instrument (of the
same series for custom surveys, whose questions differ); its "previous round", the reverse.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from sqlmodel import Session, col, select

from pmo_saas.coaching.services import commitments as coaching
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, TeamMember, User
from pmo_saas.kernel.anonymity import AnonymityRefused
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import Survey, SurveyQuestion, SurveyTeam
from pmo_saas.surveys.schemas import SurveyResults
from pmo_saas.surveys.services.common import CLOSED, _questions, _status, _survey, _survey_teams
from pmo_saas.surveys.services.results import _compute_results
from pmo_saas.surveys.wedid.models import SurveyCommitment, SurveyFocus
from pmo_saas.surveys.wedid.schemas import (
    REMOVED,
    STATUS_LABELS,
    Choice,
    CommitmentRow,
    FocusRow,
    FollowUpRow,
    WeDidBoard,
    WeDidNote,
)

HIDDEN_TEAM = (
    "This team's results are hidden by the anonymity rules (too few responses, or hidden to "
    "protect a smaller team), so no focus question can be picked or committed for it: a "
    "focus would say something about answers that are not shown."
)
OWN_TEAM_HIDDEN = (
    "Your team's results in this survey are hidden by the anonymity rules, so no focus "
    "question can be picked for it."
)
NOT_CLOSED = "Focus questions are picked from the results, once the survey has closed."
VIEWERS_READ = "Viewers can read what was committed but not commit actions."


# ---------------------------------------------------------------- who, which teams


def _member_team_ids(session: Session, ctx: TenantContext) -> set[int]:
    if ctx.user_id is None:
        return set()
    return set(
        session.exec(select(TeamMember.team_id).where(TeamMember.user_id == ctx.user_id)).all()
    )


def _teams_in_scope(session: Session, ctx: TenantContext, survey: Survey) -> list[SurveyTeam]:
    """The survey's teams the caller may read; NotFound for a member of none of them."""
    assert survey.id is not None
    teams = _survey_teams(session, survey.id)
    if ctx.has(Role.COACH):
        return teams
    mine = _member_team_ids(session, ctx)
    teams = [t for t in teams if t.team_id is not None and t.team_id in mine]
    if not teams:
        raise NotFound("That survey")
    return teams


def _shown(session: Session, survey: Survey) -> SurveyResults | None:
    """The survey's results under the anonymity rules (teams by their means: no bars); None
    while it runs."""
    if _status(survey) != CLOSED:
        return None
    return _compute_results(session, survey, None, bars_for=())


def _means(results: SurveyResults | None) -> dict[int, dict[str, float | None]]:
    """Shown team -> question key -> mean shown (hidden teams are absent)."""
    if results is None:
        return {}
    return {
        g.survey_team_id: {q.key: q.mean for q in g.questions}
        for g in results.teams
        if g.visible and g.survey_team_id is not None
    }


def _numeric(questions: list[SurveyQuestion]) -> list[SurveyQuestion]:
    return [q for q in questions if q.kind in ins.NUMERIC_KINDS]


# ---------------------------------------------------------------- rows


def _commitment_rows(
    session: Session, ctx: TenantContext, commitments: list[SurveyCommitment]
) -> dict[int, list[CommitmentRow]]:
    """focus id -> its commitments with the coaching action's status now."""
    actions = coaching.action_states(
        session=session, ctx=ctx, action_ids=[c.action_id for c in commitments]
    )
    by_focus: dict[int, list[CommitmentRow]] = defaultdict(list)
    for c in commitments:
        assert c.id is not None
        action = actions.get(c.action_id)
        by_focus[c.focus_id].append(
            CommitmentRow(
                id=c.id,
                action_id=c.action_id,
                title=action.title if action else c.title,
                status=action.status if action else "removed",
                status_label=STATUS_LABELS.get(action.status, action.status) if action else REMOVED,
                owner_name=action.owner_name if action else "",
                due_date=action.due_date if action else None,
                overdue=action.overdue if action else False,
                plan_id=action.plan_id if action else None,
            )
        )
    return by_focus


def _focus_rows(
    session: Session, ctx: TenantContext, survey_team_ids: Iterable[int]
) -> list[FocusRow]:
    ids = list(set(survey_team_ids))
    if not ids:
        return []
    focuses = session.exec(
        select(SurveyFocus)
        .where(col(SurveyFocus.survey_team_id).in_(ids))
        .order_by(col(SurveyFocus.id))
    ).all()
    focus_ids = [f.id for f in focuses if f.id is not None]
    commitments = (
        list(
            session.exec(
                select(SurveyCommitment)
                .where(col(SurveyCommitment.focus_id).in_(focus_ids))
                .order_by(col(SurveyCommitment.id))
            ).all()
        )
        if focus_ids
        else []
    )
    names = dict(
        session.exec(
            select(SurveyTeam.id, SurveyTeam.team_name).where(col(SurveyTeam.id).in_(ids))
        ).all()
    )
    by_focus = _commitment_rows(session, ctx, commitments)
    return [
        FocusRow(
            id=f.id,
            survey_id=f.survey_id,
            survey_team_id=f.survey_team_id,
            team_name=names.get(f.survey_team_id, ""),
            question_key=f.question_key,
            prompt=f.prompt,
            shown_mean=f.shown_mean,
            commitments=by_focus.get(f.id, []),
        )
        for f in focuses
        if f.id is not None
    ]


# ---------------------------------------------------------------- rounds


def _previous_rounds(
    session: Session, survey: Survey, team_ids: Iterable[int]
) -> dict[int, tuple[Survey, SurveyTeam]]:
    """team id -> (its previous survey of the same instrument, its surveyed team there)."""
    ids = [t for t in set(team_ids) if t is not None]
    if not ids:
        return {}
    query = (
        select(Survey, SurveyTeam)
        .join(SurveyTeam, col(SurveyTeam.survey_id) == Survey.id)
        .where(
            col(SurveyTeam.team_id).in_(ids),
            Survey.instrument == survey.instrument,
            col(Survey.id) < survey.id,
        )
        .order_by(col(Survey.id).desc())
    )
    if survey.instrument == ins.CUSTOM:  # another custom survey asks other questions
        query = query.where(Survey.series_id == (survey.series_id or survey.id))
    found: dict[int, tuple[Survey, SurveyTeam]] = {}
    for previous, team in session.exec(query).all():
        if team.team_id is not None and team.team_id not in found:
            found[team.team_id] = (previous, team)
    return found


def _follow_up(
    session: Session,
    ctx: TenantContext,
    survey: Survey,
    teams: list[SurveyTeam],
    results: SurveyResults | None,
) -> list[FollowUpRow]:
    """Each commitment of these teams' previous round, beside its question's change now."""
    here = {t.team_id: t for t in teams if t.team_id is not None}
    previous = _previous_rounds(session, survey, here)
    if not previous:
        return []
    by_steam = {steam.id: (team_id, prev) for team_id, (prev, steam) in previous.items()}
    means = _means(results)
    keys = {q.key for q in _numeric(_questions(session, survey.id or 0))}
    rows = []
    for focus in _focus_rows(session, ctx, [i for i in by_steam if i is not None]):
        team_id, prev = by_steam[focus.survey_team_id]
        current_team = here[team_id]
        focus.team_name = current_team.team_name
        row = FollowUpRow(
            focus=focus,
            previous_survey_id=prev.id or 0,
            previous_title=prev.title,
            previous_round=prev.round_number,
            previous_mean=focus.shown_mean,
        )
        if results is None:
            row.change_note = "The change appears once this round has closed."
        elif focus.question_key not in keys:
            row.change_note = "This question is not asked in this round."
        elif current_team.id not in means:
            row.change_note = "This round's results for the team are hidden (anonymity rules)."
        else:
            row.current_mean = means[current_team.id].get(focus.question_key)
            if row.current_mean is not None and row.previous_mean is not None:
                row.change = round(row.current_mean - row.previous_mean, 2)
            else:
                row.change_note = "No answers to compare."
        rows.append(row)
    return rows


# ---------------------------------------------------------------- the board


def _owner_choices(session: Session, ctx: TenantContext, teams: list[SurveyTeam]) -> list[Choice]:
    """Whom an action may be given to: anyone in the organisation (coaches), or the people of
    the caller's teams (members)."""
    query = select(User.id, User.name).join(Membership, col(Membership.user_id) == User.id)
    if not ctx.has(Role.COACH):
        team_ids = [t.team_id for t in teams if t.team_id is not None]
        query = query.join(TeamMember, col(TeamMember.user_id) == User.id).where(
            col(TeamMember.team_id).in_(team_ids)
        )
    rows = session.exec(query.distinct().order_by(col(User.name))).all()
    return [Choice(value=str(uid), label=name) for uid, name in rows if uid is not None]


def we_did_board(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    results: SurveyResults | None = None,
) -> WeDidBoard:
    """The caller's teams of this survey: what may be picked, what was committed, and what
    the previous round committed with the change since. `results`: this survey's results,
    when the caller has just computed them (the results page), so they are computed once per
    load; they must be the whole survey's, as `survey_results` gives them without a filter."""
    survey = _survey(session, survey_id)
    teams = _teams_in_scope(session, ctx, survey)
    if results is None or results.survey_id != survey_id:
        results = _shown(session, survey)
    means = _means(results)
    questions = _numeric(_questions(session, survey_id))
    open_for = [t for t in teams if t.id in means and t.team_id is not None]
    board = WeDidBoard(
        survey_id=survey_id,
        closed=results is not None,
        focus=_focus_rows(session, ctx, [t.id for t in teams if t.id is not None]),
        follow_up=_follow_up(session, ctx, survey, teams, results),
    )
    if results is None:
        board.note = NOT_CLOSED
    elif ctx.role == Role.VIEWER:
        board.note = VIEWERS_READ
    elif not open_for:
        board.note = OWN_TEAM_HIDDEN if not ctx.has(Role.COACH) else "No team's results are shown."
    else:
        board.teams = [Choice(value=str(t.id), label=t.team_name) for t in open_for]
        board.questions = [Choice(value=q.key, label=q.prompt) for q in questions]
        board.owners = _owner_choices(session, ctx, teams)
    return board


def board_beside_results(
    *, session: Session, ctx: TenantContext, survey_id: int, results: SurveyResults | None
) -> tuple[WeDidBoard | None, str]:
    """The board for the results page, from the results it just computed; a refusal is the
    board's own (the results still show) and comes back as its message."""
    try:
        board = we_did_board(session=session, ctx=ctx, survey_id=survey_id, results=results)
    except DomainError as error:
        return None, str(error)
    return board, ""


# ---------------------------------------------------------------- picking and committing


def _writable_team(
    session: Session, ctx: TenantContext, survey: Survey, survey_team_id: int
) -> tuple[SurveyTeam, dict[str, float | None]]:
    """A surveyed team of this survey the caller may commit for and the rules show, with
    its shown means. Refusals: not this survey's team (NotFound), not the caller's team
    (Forbidden, before anything is said about its results), still running, hidden."""
    if ctx.role == Role.VIEWER:
        raise Forbidden(VIEWERS_READ)
    team = get_in_org(session, SurveyTeam, survey_team_id, "That team")
    if team.survey_id != survey.id:
        raise NotFound("That team")
    if team.team_id is None:
        raise Conflict("That team no longer exists, so there is no plan to commit actions to.")
    if not coaching.may_commit_for_team(session, ctx, team.team_id):
        raise Forbidden(coaching.COMMIT_OWN_TEAMS)
    results = _shown(session, survey)
    if results is None:
        raise Conflict(NOT_CLOSED)
    means = _means(results)
    if team.id not in means:
        raise AnonymityRefused(HIDDEN_TEAM, field="survey_team_id")
    return team, means[team.id]


def pick_focus(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    survey_team_id: int,
    question_key: str,
) -> FocusRow:
    """A rated question as a focus of a shown team (picking it again returns the same)."""
    survey = _survey(session, survey_id)
    team, means = _writable_team(session, ctx, survey, survey_team_id)
    question = next(
        (q for q in _numeric(_questions(session, survey_id)) if q.key == question_key), None
    )
    if question is None:
        raise ValidationFailed("Choose one of this survey's rated questions.", field="question")
    focus = session.exec(
        select(SurveyFocus).where(
            SurveyFocus.survey_team_id == team.id, SurveyFocus.question_key == question.key
        )
    ).first()
    if focus is None:
        assert team.id is not None
        focus = SurveyFocus(
            survey_id=survey_id,
            survey_team_id=team.id,
            question_key=question.key,
            prompt=question.prompt,
            shown_mean=means.get(question.key),
            picked_by_id=ctx.user_id,
        )
        session.add(focus)
        session.flush()
        audit.record(
            session=session,
            ctx=ctx,
            action="survey.focus_picked",
            target=survey.title,
            detail=f"{team.team_name}: {question.prompt}",
        )
    assert focus.id is not None
    return _focus_rows_by_id(session, ctx, focus.id)


def _focus_rows_by_id(session: Session, ctx: TenantContext, focus_id: int) -> FocusRow:
    focus = get_in_org(session, SurveyFocus, focus_id, "That focus question")
    return next(r for r in _focus_rows(session, ctx, [focus.survey_team_id]) if r.id == focus_id)


def commit_action(
    *,
    session: Session,
    ctx: TenantContext,
    focus_id: int,
    title: str,
    owner_user_id: int | None,
    due_date: date | str | None,
) -> FocusRow:
    """An action on a focus question: a coaching action in the team's active plan (a new
    plan "You said, we did: <survey>" when the team has none, coached by the caller if a
    coach, else by whoever ran the survey)."""
    focus = get_in_org(session, SurveyFocus, focus_id, "That focus question")
    survey = _survey(session, focus.survey_id)
    team, _ = _writable_team(session, ctx, survey, focus.survey_team_id)
    assert team.team_id is not None and focus.id is not None
    action = coaching.commit_team_action(
        session=session,
        ctx=ctx,
        team_id=team.team_id,
        title=title,
        owner_user_id=owner_user_id,
        due_date=due_date,
        plan_title=f"You said, we did: {survey.title}",
        coach_user_id=ctx.user_id if ctx.has(Role.COACH) else survey.created_by_id,
    )
    session.add(
        SurveyCommitment(
            focus_id=focus.id, action_id=action.id, title=action.title, created_by_id=ctx.user_id
        )
    )
    session.flush()
    return _focus_rows_by_id(session, ctx, focus.id)


def commit_on_question(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    survey_team_id: int,
    question_key: str,
    title: str,
    owner_user_id: int | None,
    due_date: date | str | None,
) -> FocusRow:
    """Pick the focus (if not yet picked) and commit an action on it, in one transaction."""
    focus = pick_focus(
        session=session,
        ctx=ctx,
        survey_id=survey_id,
        survey_team_id=survey_team_id,
        question_key=question_key,
    )
    return commit_action(
        session=session,
        ctx=ctx,
        focus_id=focus.id,
        title=title,
        owner_user_id=owner_user_id,
        due_date=due_date,
    )


# ---------------------------------------------------------------- respondents, export


def since_last_round(
    session: Session, ctx: TenantContext, survey: Survey, team: SurveyTeam | None
) -> list[WeDidNote]:
    """What the team's previous round committed and where it stands, for its respondents:
    the question, the action and its status; no owner, no dates, no figures."""
    if team is None or team.team_id is None:
        return []
    previous = _previous_rounds(session, survey, [team.team_id])
    if team.team_id not in previous:
        return []
    _, prev_team = previous[team.team_id]
    assert prev_team.id is not None
    return [
        WeDidNote(prompt=f.prompt, action=c.title, status_label=c.status_label)
        for f in _focus_rows(session, ctx, [prev_team.id])
        for c in f.commitments
    ]


def _or_blank(rows: list[CommitmentRow]) -> list[CommitmentRow | None]:
    """A focus without actions still makes one line."""
    return [*rows] if rows else [None]


def export_we_did_csv(*, session: Session, ctx: TenantContext, survey_id: int) -> str:
    """This survey's commitments and the previous round's follow-up, for the caller's teams."""
    board = we_did_board(session=session, ctx=ctx, survey_id=survey_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["round", "team", "question", "shown mean", "action", "owner", "due", "status", "change"]
    )
    for f in board.focus:
        for c in _or_blank(f.commitments):
            writer.writerow(
                [
                    "this round",
                    f.team_name,
                    f.prompt,
                    f.shown_mean,
                    c.title if c else "",
                    c.owner_name if c else "",
                    (c.due_date or "") if c else "",
                    c.status_label if c else "",
                    "",
                ]
            )
    for r in board.follow_up:
        for c in _or_blank(r.focus.commitments):
            writer.writerow(
                [
                    f"previous round {r.previous_round}",
                    r.focus.team_name,
                    r.focus.prompt,
                    r.previous_mean,
                    c.title if c else "",
                    c.owner_name if c else "",
                    (c.due_date or "") if c else "",
                    c.status_label if c else "",
                    r.change if r.change is not None else r.change_note,
                ]
            )
    return out.getvalue()
