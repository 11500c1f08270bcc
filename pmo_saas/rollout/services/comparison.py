"""Pilot teams against the rest (pages/roadmap.py), round by round: maturity and culture.

Maturity: the mean of every raw answer of each group's teams in each of the latest closed
maturity rounds (never a mean of team means). Each group must hold at least `MIN_TEAMS`
teams with answers; when either is smaller both are hidden, since the two groups make up
every team of the round and one figure beside the round's overall mean gives the other away.

Culture: each group's figure in each of the latest closed surveys of an instrument, merged
from the group's teams the survey's anonymity rules show (a hidden team never counts, and
every figure is then a sum of shown teams, which the survey rules allow). A group with no
shown team is hidden. Every figure says how many teams it rests on, of how many.
"""

from __future__ import annotations

from sqlmodel import Session, select

from pmo_saas.identity.models import Team
from pmo_saas.kernel.anonymity import ABSOLUTE_MINIMUM
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.formatting import fixed
from pmo_saas.rollout import figures
from pmo_saas.rollout.models import SURVEY, WaveCriterion
from pmo_saas.rollout.schemas import CultureTrend, PilotComparison, TrendGroup, TrendPoint
from pmo_saas.rollout.services.common import (
    READ_PROGRESS,
    pilot_team_ids,
    require_manage,
)
from pmo_saas.surveys import instruments as ins

MIN_TEAMS = ABSOLUTE_MINIMUM
ROUNDS = 4


def _teams(n: int) -> str:
    return f"{n} team{'s' if n != 1 else ''}"


def _group(
    teams: int, counted: int, mean: float | None, shown: bool, detail: str = ""
) -> TrendGroup:
    of = f"{counted} of {teams} teams" if counted != teams else _teams(teams)
    if not shown:
        return TrendGroup(teams=teams, counted=counted, mean=None, label=f"hidden ({of})")
    value = fixed(mean, empty="no answers")
    return TrendGroup(teams=teams, counted=counted, mean=mean, label=f"{value} ({of}{detail})")


def _maturity(session: Session, pilot: set[int]) -> list[TrendPoint]:
    rounds = figures.maturity_rounds(session, limit=ROUNDS)
    counts = figures.round_counts(session, [r.id for r in rounds])
    points = []
    for r in reversed(rounds):  # oldest first: a trend reads left to right
        answering = figures.teams_answering(counts[r.id])
        ours, rest = answering & pilot, answering - pilot
        shown = len(ours) >= MIN_TEAMS and len(rest) >= MIN_TEAMS
        p_mean, _ = figures.merged_mean(counts[r.id], ours)
        r_mean, _ = figures.merged_mean(counts[r.id], rest)
        points.append(
            TrendPoint(
                source=r.title,
                date=r.closed_on,
                pilot=_group(len(ours), len(ours), p_mean, shown),
                rest=_group(len(rest), len(rest), r_mean, shown),
                reason=""
                if shown
                else f"Hidden: each group needs at least {MIN_TEAMS} teams with answers.",
            )
        )
    return points


def _culture_group(
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    group: dict[int, bool],
) -> TrendGroup:
    """`group`: surveyed team id -> shown, for the group's teams in this survey."""
    shown = [st for st, visible in group.items() if visible]
    if not shown:
        return _group(len(group), 0, None, False)
    result = figures.results(session, ctx, survey_id, shown)
    selection = result.selection if result else None
    if selection is None or not selection.visible:
        return _group(len(group), 0, None, False)
    value = figures.figure_of(selection, "")
    return _group(len(group), len(shown), value, True, f", {selection.responses} responses")


def _culture(
    session: Session, ctx: TenantContext, instrument: str, pilot: set[int]
) -> CultureTrend:
    points = []
    for survey in reversed(figures.latest_surveys(session, instrument, limit=ROUNDS)):
        assert survey.id is not None
        everyone = figures.results(session, ctx, survey.id)
        teams = figures.survey_team_ids(session, survey.id)
        visible = {g.survey_team_id: g.visible for g in (everyone.teams if everyone else [])}
        ours = {st: visible.get(st, False) for st, t in teams.items() if t in pilot}
        rest = {st: visible.get(st, False) for st, t in teams.items() if t not in pilot}
        pilot_group = _culture_group(session, ctx, survey.id, ours)
        rest_group = _culture_group(session, ctx, survey.id, rest)
        hidden = pilot_group.mean is None or rest_group.mean is None
        points.append(
            TrendPoint(
                source=survey.title,
                date=figures.ended_on(survey),
                pilot=pilot_group,
                rest=rest_group,
                reason="Only teams the survey's anonymity rules show are counted."
                if hidden
                else "",
            )
        )
    return CultureTrend(
        instrument=instrument, label=ins.INSTRUMENT_LABELS[instrument], points=points
    )


def compare_pilot(*, session: Session, ctx: TenantContext) -> PilotComparison:
    """Pilot teams vs the rest, maturity and culture, oldest round first (coach and up)."""
    require_manage(ctx, READ_PROGRESS)
    pilot = pilot_team_ids(session)
    instruments = sorted(
        {
            i
            for i in session.exec(
                select(WaveCriterion.instrument).where(WaveCriterion.metric == SURVEY)
            ).all()
            if i
        }
        or {ins.WESTRUM}
    )
    all_teams = set(session.exec(select(Team.id)).all())
    message = (
        "" if pilot else "No pilot wave has teams yet: mark a wave as the pilot and add its teams."
    )
    return PilotComparison(
        pilot_teams=len(pilot),
        rest_teams=len(all_teams - pilot),
        threshold=MIN_TEAMS,
        maturity=_maturity(session, pilot) if pilot else [],
        culture=[_culture(session, ctx, i, pilot) for i in instruments] if pilot else [],
        message=message,
    )
