# About 500 lines because the read API coaching depends on stays beside the aggregates it shares.
"""A round's results (pages/round_page.py): aggregates per team, radar and heat map, CSV
export, focus dimensions. Results are aggregates only, never one person's answers.

Stable read API for other domains (coaching plans):
- `team_dimension_scores(session=, ctx=, round_id=, team_id=) -> list[DimensionScore]`
- `focus_dimensions(session=, ctx=, round_id=, team_id=) -> list[FocusDimensionRow]`
- `latest_closed_round_for_team(session=, ctx=, team_id=, before_round_id=None)
  -> RoundSummary | None`
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from pmo_saas.assessments import aggregation
from pmo_saas.assessments.models import (
    KIND_HEALTH_CHECK,
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentModelVersion,
    AssessmentRound,
    DimensionComment,
    FocusDimension,
    RoundTeam,
)
from pmo_saas.assessments.schemas import (
    DimensionScore,
    DimensionStats,
    FocusDimensionRow,
    HeatMap,
    HeatMapCell,
    RoundSummary,
    TeamResult,
)
from pmo_saas.assessments.services.catalog import _model
from pmo_saas.assessments.services.common import (
    _dimensions,
    _get,
    _require_coach,
    _require_round_team,
    _round,
    _round_summary,
    _scale,
)
from pmo_saas.assessments.services.rounds import get_round
from pmo_saas.identity import audit
from pmo_saas.identity.models import Team
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, NotFound
from pmo_saas.kernel.formatting import fixed


def team_dimension_scores(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int
) -> list[DimensionScore]:
    """Mean and respondent count per dimension for one team in one round (coach and up).

    Computed in the database from the raw answers: `mean` is the mean of every answer the
    team gave to the dimension's statements (None when nobody answered it), `respondents` the
    number of people who answered at least one of them. Dimensions come in the model's order.
    Raises NotFound when the round or the team (in that round) is not in ctx's organisation.
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    _require_round_team(session, round_id, team_id)
    rows = session.exec(
        select(
            AssessmentAnswer.dimension_id,
            func.avg(AssessmentAnswer.value),
            func.count(func.distinct(AssessmentAnswer.participant_id)),
        )
        .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
        .group_by(col(AssessmentAnswer.dimension_id))
    ).all()
    by_dimension = {d: (float(m), int(n)) for d, m, n in rows}
    scores = []
    for dim in _dimensions(session, rnd.model_version_id):
        assert dim.id is not None
        mean, respondents = by_dimension.get(dim.id, (None, 0))
        scores.append(
            DimensionScore(
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                mean=mean,
                respondents=respondents,
            )
        )
    return scores


def focus_dimensions(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int
) -> list[FocusDimensionRow]:
    """The dimensions a coach marked as focus for one team from one round, in model order.

    Readable by any member of the organisation (no individual answers are involved); `mean`
    is the team's mean on that dimension in that round. NotFound for another organisation's
    round or a team not in the round.
    """
    rnd = _round(session, round_id)
    _require_round_team(session, round_id, team_id)
    marks = {
        f.dimension_id: f
        for f in session.exec(
            select(FocusDimension).where(
                FocusDimension.round_id == round_id, FocusDimension.team_id == team_id
            )
        ).all()
    }
    if not marks:
        return []
    means = dict(
        session.exec(
            select(AssessmentAnswer.dimension_id, func.avg(AssessmentAnswer.value))
            .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
            .group_by(col(AssessmentAnswer.dimension_id))
        ).all()
    )
    rows = []
    for dim in _dimensions(session, rnd.model_version_id):
        mark = marks.get(dim.id or 0)
        if mark is None:
            continue
        assert mark.id is not None and dim.id is not None
        mean = means.get(dim.id)
        rows.append(
            FocusDimensionRow(
                id=mark.id,
                round_id=round_id,
                team_id=team_id,
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                mean=float(mean) if mean is not None else None,
                note=mark.note,
            )
        )
    return rows


def latest_closed_round_for_team(
    *,
    session: Session,
    ctx: TenantContext,
    team_id: int,
    before_round_id: int | None = None,
    model_id: int | None = None,
) -> RoundSummary | None:
    """The team's most recently opened closed round, or None.

    With `before_round_id`, only rounds opened before that round count (its "previous
    round"); with `model_id`, only rounds of that model (any version). Readable by any member
    of the organisation. NotFound when the team (or `before_round_id`) is not in ctx's org.
    """
    _get(session, Team, team_id, "That team")
    query = (
        select(AssessmentRound)
        .join(RoundTeam, col(RoundTeam.round_id) == AssessmentRound.id)
        .where(RoundTeam.team_id == team_id, AssessmentRound.status == ROUND_CLOSED)
    )
    if before_round_id is not None:
        before = _round(session, before_round_id)
        query = query.where(
            (col(AssessmentRound.opened_at) < before.opened_at)
            | (
                (col(AssessmentRound.opened_at) == before.opened_at)
                & (col(AssessmentRound.id) < before_round_id)
            )
        )
    if model_id is not None:
        query = query.join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        ).where(AssessmentModelVersion.model_id == model_id)
    rnd = session.exec(
        query.order_by(col(AssessmentRound.opened_at).desc(), col(AssessmentRound.id).desc())
    ).first()
    return _round_summary(session, rnd) if rnd else None


def _value_counts(
    session: Session, round_id: int, team_id: int | None = None
) -> dict[tuple[int, int], dict[int, int]]:
    """(team, dimension) -> {value: number of answers}, counted by the database."""
    query = select(
        AssessmentAnswer.team_id,
        AssessmentAnswer.dimension_id,
        AssessmentAnswer.value,
        func.count(),
    ).where(AssessmentAnswer.round_id == round_id)
    if team_id is not None:
        query = query.where(AssessmentAnswer.team_id == team_id)
    counts: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
    for team, dim, value, n in session.exec(
        query.group_by(
            col(AssessmentAnswer.team_id),
            col(AssessmentAnswer.dimension_id),
            col(AssessmentAnswer.value),
        )
    ).all():
        counts[(team, dim)][value] = int(n)
    return counts


def _respondent_counts(session: Session, round_id: int, team_id: int) -> dict[int, int]:
    """dimension -> people who answered at least one of its statements."""
    return {
        d: int(n)
        for d, n in session.exec(
            select(
                AssessmentAnswer.dimension_id,
                func.count(func.distinct(AssessmentAnswer.participant_id)),
            )
            .where(AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id)
            .group_by(col(AssessmentAnswer.dimension_id))
        ).all()
    }


def team_result(*, session: Session, ctx: TenantContext, round_id: int, team_id: int) -> TeamResult:
    """One team's aggregates in one round, with the change since its previous round.

    Per dimension: mean and median of all answers; min, max, standard deviation and the
    distribution only when at least three people answered that dimension; comments (without
    names) under the same rule; health checks add colour and trend.
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    version = _get(session, AssessmentModelVersion, rnd.model_version_id, "That model version")
    model = _model(session, version.model_id)
    low, high = _scale(session, version.id or 0)
    counts = _value_counts(session, round_id, team_id)
    respondents = _respondent_counts(session, round_id, team_id)
    team_respondents = session.exec(
        select(func.count(func.distinct(AssessmentAnswer.participant_id))).where(
            AssessmentAnswer.round_id == round_id, AssessmentAnswer.team_id == team_id
        )
    ).one()
    previous = latest_closed_round_for_team(
        session=session, ctx=ctx, team_id=team_id, before_round_id=round_id, model_id=model.id
    )
    previous_means: dict[str, float] = {}
    if previous is not None:
        previous_means = {
            s.dimension_key: s.mean
            for s in team_dimension_scores(
                session=session, ctx=ctx, round_id=previous.id, team_id=team_id
            )
            if s.mean is not None
        }
    focus = set(
        session.exec(
            select(FocusDimension.dimension_id).where(
                FocusDimension.round_id == round_id, FocusDimension.team_id == team_id
            )
        ).all()
    )
    notes: dict[int, list[DimensionComment]] = defaultdict(list)
    for c in session.exec(
        select(DimensionComment).where(
            DimensionComment.round_id == round_id, DimensionComment.team_id == team_id
        )
    ).all():
        notes[c.dimension_id].append(c)
    dimensions = []
    for dim in _dimensions(session, version.id or 0):
        assert dim.id is not None
        dim_counts = counts.get((team_id, dim.id), {})
        stats = aggregation.stats_from_counts(dim_counts)
        people = respondents.get(dim.id, 0)
        visible = aggregation.spread_visible(people)
        trend_values = [c.trend for c in notes[dim.id] if c.trend is not None]
        up, same, down = (trend_values.count(v) for v in (1, 0, -1))
        previous_mean = previous_means.get(dim.key)
        dimensions.append(
            DimensionStats(
                dimension_id=dim.id,
                dimension_key=dim.key,
                name=dim.name,
                respondents=people,
                answers=stats.answers,
                mean=stats.mean,
                median=stats.median,
                minimum=stats.minimum if visible else None,
                maximum=stats.maximum if visible else None,
                stddev=stats.stddev if visible else None,
                distribution=aggregation.distribution(dim_counts, low, high) if visible else [],
                spread_hidden=not visible,
                previous_mean=previous_mean,
                change=(
                    stats.mean - previous_mean
                    if stats.mean is not None and previous_mean is not None
                    else None
                ),
                trend_up=up,
                trend_same=same,
                trend_down=down,
                is_focus=dim.id in focus,
                comments=sorted(c.comment for c in notes[dim.id] if c.comment) if visible else [],
                colour=(
                    aggregation.health_colour(stats.mean, high)
                    if model.kind == KIND_HEALTH_CHECK
                    else ""
                ),
                trend=aggregation.trend_word(up, same, down),
            )
        )
    return TeamResult(
        round_id=round_id,
        team_id=team_id,
        team_name=team.name,
        respondents=int(team_respondents),
        previous_round_id=previous.id if previous else None,
        scale_min=low,
        scale_max=high,
        dimensions=dimensions,
    )


def radar_series(result: TeamResult) -> list[dict[str, Any]]:
    """Rows for a radar chart: one per dimension with this round's and the previous mean."""
    return [
        {
            "dimension": d.name,
            "current": round(d.mean, 2) if d.mean is not None else 0,
            "previous": round(d.previous_mean, 2) if d.previous_mean is not None else 0,
        }
        for d in result.dimensions
    ]


def heat_map(
    *, session: Session, ctx: TenantContext, round_id: int, rank_by_dimension_id: int | None = None
) -> HeatMap:
    """Teams x dimensions of one round, each cell the mean of the raw answers.

    One grouped query over the answers (the database does the averaging; no average of
    averages). Teams come in alphabetical order: they are not ranked against each other
    unless the coach asks for it with `rank_by_dimension_id` (highest mean first).
    """
    _require_coach(ctx)
    rnd = _round(session, round_id)
    cells = [
        HeatMapCell(team_id=t, dimension_id=d, mean=float(m), answers=int(n))
        for t, d, m, n in session.exec(
            select(
                AssessmentAnswer.team_id,
                AssessmentAnswer.dimension_id,
                func.avg(AssessmentAnswer.value),
                func.count(),
            )
            .where(AssessmentAnswer.round_id == round_id)
            .group_by(col(AssessmentAnswer.team_id), col(AssessmentAnswer.dimension_id))
        ).all()
    ]
    teams = session.exec(
        select(Team.id, Team.name)
        .join(RoundTeam, col(RoundTeam.team_id) == Team.id)
        .where(RoundTeam.round_id == round_id)
        .order_by(col(Team.name))
    ).all()
    dims = _dimensions(session, rnd.model_version_id)
    team_rows = [(t or 0, n) for t, n in teams]
    if rank_by_dimension_id is not None:
        means = {c.team_id: c.mean for c in cells if c.dimension_id == rank_by_dimension_id}
        team_rows.sort(key=lambda row: -means.get(row[0], float("-inf")))
    return HeatMap(
        round_id=round_id,
        teams=team_rows,
        dimensions=[(d.id or 0, d.name) for d in dims],
        cells=cells,
    )


def _csv_cell(value: float | int | None) -> str:
    """Means in two decimals, whole answers (minimum, maximum) as they are, nothing as empty."""
    return fixed(value, empty="") if isinstance(value, float) or value is None else str(value)


def export_round_csv(*, session: Session, ctx: TenantContext, round_id: int) -> str:
    """The round's aggregates as CSV: one line per team and dimension (no individual answers)."""
    _require_coach(ctx)
    summary = get_round(session=session, ctx=ctx, round_id=round_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "round",
            "team",
            "dimension",
            "respondents",
            "answers",
            "mean",
            "median",
            "min",
            "max",
            "stddev",
            "distribution",
            "previous_mean",
            "change",
            "focus",
        ]
    )
    results = [
        team_result(session=session, ctx=ctx, round_id=round_id, team_id=t)
        for t in summary.team_ids
    ]
    for result in sorted(results, key=lambda r: r.team_name.lower()):
        for d in result.dimensions:
            writer.writerow(
                [
                    summary.title,
                    result.team_name,
                    d.name,
                    d.respondents,
                    d.answers,
                    _csv_cell(d.mean),
                    _csv_cell(d.median),
                    _csv_cell(d.minimum),
                    _csv_cell(d.maximum),
                    _csv_cell(d.stddev),
                    " ".join(str(n) for n in d.distribution),
                    _csv_cell(d.previous_mean),
                    _csv_cell(d.change),
                    "yes" if d.is_focus else "",
                ]
            )
    audit.record(session=session, ctx=ctx, action="assessment.exported", target=summary.title)
    return out.getvalue()


def mark_focus_dimension(
    *,
    session: Session,
    ctx: TenantContext,
    round_id: int,
    team_id: int,
    dimension_id: int,
    note: str = "",
) -> int:
    """Mark a dimension of a closed round's result as a focus for the team. Returns its id."""
    _require_coach(ctx)
    rnd = _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    if rnd.status != ROUND_CLOSED:
        raise Conflict("Close the round before choosing focus dimensions from its result.")
    dim = session.get(AssessmentDimension, dimension_id)
    if dim is None or dim.version_id != rnd.model_version_id:
        raise NotFound("That dimension")
    note = (note or "").strip()[:2000]
    mark = session.exec(
        select(FocusDimension).where(
            FocusDimension.round_id == round_id,
            FocusDimension.team_id == team_id,
            FocusDimension.dimension_id == dimension_id,
        )
    ).first()
    if mark is None:
        mark = FocusDimension(
            round_id=round_id,
            team_id=team_id,
            dimension_id=dimension_id,
            marked_by_id=ctx.user_id,
        )
    mark.note = note
    session.add(mark)
    session.flush()
    assert mark.id is not None
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.focus_marked",
        target=f"{team.name}: {dim.name}",
        detail=rnd.title,
    )
    return mark.id


def unmark_focus_dimension(
    *, session: Session, ctx: TenantContext, round_id: int, team_id: int, dimension_id: int
) -> None:
    _require_coach(ctx)
    _round(session, round_id)
    team = _require_round_team(session, round_id, team_id)
    mark = session.exec(
        select(FocusDimension).where(
            FocusDimension.round_id == round_id,
            FocusDimension.team_id == team_id,
            FocusDimension.dimension_id == dimension_id,
        )
    ).first()
    if mark is None:
        raise NotFound("That focus dimension")
    dim = session.get(AssessmentDimension, dimension_id)
    session.delete(mark)
    audit.record(
        session=session,
        ctx=ctx,
        action="assessment.focus_unmarked",
        target=f"{team.name}: {dim.name if dim else dimension_id}",
    )
