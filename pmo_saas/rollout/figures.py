"""The seam to assessments and surveys: each team's maturity in its latest closed maturity
round, per dimension, counted from the raw answers; and each team's culture-survey figure
in the latest closed survey of an instrument, as the survey's results show it (a team the
anonymity rules hide stays hidden here). The arrow points rollout -> assessments/surveys.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.assessments.aggregation import stats_from_counts
from pmo_saas.assessments.models import (
    KIND_MATURITY,
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
)
from pmo_saas.kernel.anonymity import AnonymityRefused
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys.models import Survey, SurveyTeam
from pmo_saas.surveys.schemas import GroupResult, SurveyResults
from pmo_saas.surveys.services import survey_results
from pmo_saas.surveys.services.common import CLOSED

# (team, dimension key) -> {answer value: how many answers}
Counts = dict[tuple[int, str], dict[int, int]]


@dataclass(frozen=True, slots=True)
class RoundRef:
    id: int
    title: str
    closed_on: str


@dataclass(frozen=True, slots=True)
class Reading:
    """One team's figure for one criterion: a value, or why there is none."""

    value: float | None
    source: str = ""
    hidden: bool = False
    why: str = ""


def maturity_rounds(session: Session, *, limit: int | None = None) -> list[RoundRef]:
    """Closed rounds of maturity models, newest first."""
    query = (
        select(AssessmentRound)
        .join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        )
        .join(AssessmentModel, col(AssessmentModel.id) == AssessmentModelVersion.model_id)
        .where(AssessmentRound.status == ROUND_CLOSED, AssessmentModel.kind == KIND_MATURITY)
        .order_by(col(AssessmentRound.closed_at).desc(), col(AssessmentRound.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [
        RoundRef(r.id or 0, r.title, f"{r.closed_at:%Y-%m-%d}" if r.closed_at else "")
        for r in session.exec(query).all()
    ]


def round_counts(
    session: Session, round_ids: list[int], team_ids: set[int] | None = None
) -> dict[int, Counts]:
    """round -> (team, dimension key) -> value counts, one grouped read (of `team_ids` only,
    when given)."""
    found: dict[int, Counts] = defaultdict(lambda: defaultdict(dict))
    if not round_ids or team_ids == set():
        return found
    teams = [] if team_ids is None else [col(AssessmentAnswer.team_id).in_(sorted(team_ids))]
    # Five columns: past the typed overloads of sqlmodel's select.
    for rid, team, key, value, n in session.execute(
        sa_select(
            col(AssessmentAnswer.round_id),
            col(AssessmentAnswer.team_id),
            col(AssessmentDimension.key),
            col(AssessmentAnswer.value),
            func.count(),
        )
        .join(AssessmentDimension, col(AssessmentDimension.id) == AssessmentAnswer.dimension_id)
        .where(col(AssessmentAnswer.round_id).in_(round_ids), *teams)
        .group_by(
            col(AssessmentAnswer.round_id),
            col(AssessmentAnswer.team_id),
            col(AssessmentDimension.key),
            col(AssessmentAnswer.value),
        )
    ).all():
        found[rid][(team, key)][value] = int(n)
    return found


def merged_mean(counts: Counts, teams: set[int], key: str = "") -> tuple[float | None, int]:
    """(mean of every raw answer of `teams` on dimension `key` ("" = all), answers)."""
    total: dict[int, int] = defaultdict(int)
    for (team, dim), by_value in counts.items():
        if team in teams and (not key or dim == key):
            for value, n in by_value.items():
                total[value] += n
    stats = stats_from_counts(total)
    return stats.mean, stats.answers


def teams_answering(counts: Counts) -> set[int]:
    return {team for (team, _), by_value in counts.items() if any(by_value.values())}


class MaturityReader:
    """Each team's latest closed maturity round it answered, read once for many criteria."""

    def __init__(self, session: Session, team_ids: set[int]) -> None:
        rounds = maturity_rounds(session)
        self._titles = {r.id: f"{r.title} ({r.closed_on})" for r in rounds}
        self._counts = round_counts(session, [r.id for r in rounds], team_ids)
        self._latest: dict[int, int] = {}
        for r in reversed(rounds):  # oldest first: a newer round overwrites
            for team in teams_answering(self._counts[r.id]):
                self._latest[team] = r.id

    def read(self, team_id: int, key: str) -> Reading:
        rid = self._latest.get(team_id)
        if rid is None:
            return Reading(None, why="No closed maturity round with this team's answers yet.")
        mean, _ = merged_mean(self._counts[rid], {team_id}, key)
        if mean is None:
            return Reading(None, self._titles[rid], why="Nobody answered this dimension.")
        return Reading(mean, self._titles[rid])


def latest_surveys(session: Session, instrument: str, *, limit: int) -> list[Survey]:
    """Closed surveys of an instrument (closed by hand or past their end), newest first."""
    ended = func.coalesce(col(Survey.closed_at), col(Survey.closes_at))
    return list(
        session.exec(
            select(Survey)
            .where(
                Survey.instrument == instrument,
                (col(Survey.status) == CLOSED) | (col(Survey.closes_at) < utcnow()),
            )
            .order_by(ended.desc(), col(Survey.id).desc())
            .limit(limit)
        ).all()
    )


def ended_on(survey: Survey) -> str:
    return f"{survey.closed_at or survey.closes_at:%Y-%m-%d}"


def survey_team_ids(session: Session, survey_id: int) -> dict[int, int]:
    """surveyed team id -> team id (a deleted team is left out)."""
    return {
        st: t
        for st, t in session.exec(
            select(SurveyTeam.id, SurveyTeam.team_id).where(SurveyTeam.survey_id == survey_id)
        ).all()
        if st is not None and t is not None
    }


def figure_of(group: GroupResult, key: str) -> float | None:
    """A shown group's headline (key "") or one question's mean."""
    if not key:
        return group.headline.value if group.headline else None
    return next((q.mean for q in group.questions if q.key == key), None)


def results(
    session: Session, ctx: TenantContext, survey_id: int, team_ids: list[int] | None = None
) -> SurveyResults | None:
    """The survey's results as its page shows them; None when that selection is refused."""
    try:
        return survey_results(session=session, ctx=ctx, survey_id=survey_id, team_ids=team_ids)
    except AnonymityRefused:
        return None


class SurveyReader:
    """Each team's figure in the latest closed survey of an instrument (read once each)."""

    def __init__(self, session: Session, ctx: TenantContext) -> None:
        self._session, self._ctx = session, ctx
        self._by_instrument: dict[str, tuple[str, dict[int, GroupResult]] | None] = {}

    def _load(self, instrument: str) -> tuple[str, dict[int, GroupResult]] | None:
        if instrument not in self._by_instrument:
            found = latest_surveys(self._session, instrument, limit=1)
            loaded = None
            if found and found[0].id is not None:
                survey = found[0]
                assert survey.id is not None
                shown = results(self._session, self._ctx, survey.id)
                teams = survey_team_ids(self._session, survey.id)
                groups = {
                    teams[g.survey_team_id]: g
                    for g in (shown.teams if shown else [])
                    if g.survey_team_id in teams
                }
                loaded = (f"{survey.title} ({ended_on(survey)})", groups)
            self._by_instrument[instrument] = loaded
        return self._by_instrument[instrument]

    def read(self, team_id: int, instrument: str, key: str) -> Reading:
        loaded = self._load(instrument)
        if loaded is None:
            return Reading(None, why="No closed survey of this instrument yet.")
        title, groups = loaded
        group = groups.get(team_id)
        if group is None:
            return Reading(None, title, why="The team was not in the latest survey.")
        if not group.visible:
            return Reading(None, title, hidden=True, why=group.hidden_reason)
        value = figure_of(group, key)
        if value is None:
            return Reading(None, title, why="No answers to this figure.")
        return Reading(value, title)
