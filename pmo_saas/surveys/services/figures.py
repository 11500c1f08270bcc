"""What a group's results are made of: headlines and question results from histograms; and
each large team's figures, rendered once when its answers are opened into the counters.

A closed survey's counters no longer change, so a team's figures are final once it is
opened: `store_team_figures` keeps them (headline and questions, the exact values the live
computation gives) on the surveyed team, and results read them back instead of rebuilding
thousands of objects on every read. Only teams at or above the threshold are opened, so the
stored figures hold nothing the counters do not already hold; whether a team is shown is
still decided on every read (thresholds and differencing protection), and comments are read
and shuffled on every read as before. Beside them goes their summary, the same figures without
the bars: the survey's results list every team by its headline and question means (the heat
map) and read a team's bars only when that team is asked for (`kept_columns`).

The organisation's figures are final at the close too: `store_org_figures` renders them from
the counters and the small teams' answers (opened in memory, as every read did) and keeps
them in one `SurveyFigures` row, sealed like the small teams' own answers, since the large
teams' counters subtracted from them would give the small teams away; with them go the small
teams' comments, which exist nowhere else readable. Kept only when the organisation total
may be shown, so no stored figure counts fewer than the threshold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from functools import cache
from operator import add
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import case, literal, or_
from sqlmodel import Session, col, select

from pmo_saas.kernel.anonymity import protect
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import scoring, sealing, tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyComment,
    SurveyFigures,
    SurveyQuestion,
    SurveyTeam,
)
from pmo_saas.surveys.schemas import Bar, Headline, QuestionResult
from pmo_saas.surveys.services.common import _questions, _spec, _survey_teams

TeamHistograms = tally.TeamHistograms
# One group's histograms: (question id, option key) -> value -> count.
Merged = dict[tuple[int, str], Counter[float]]


def _merge(histograms: TeamHistograms, team_ids: set[int]) -> dict[tuple[int, str], Counter[float]]:
    if len(team_ids) == 1:  # one team: its own counters, read only (no copy per team)
        return histograms.get(next(iter(team_ids)), {})
    merged: dict[tuple[int, str], Counter[float]] = defaultdict(Counter)
    for team_id in team_ids:
        for key, counter in histograms.get(team_id, {}).items():
            merged[key].update(counter)
    return merged


def _headline_histograms(sums: tally.Sums, nps_ids: set[int]) -> TeamHistograms:
    """Histograms with the same count, mean, value sum and eNPS split as the real ones, built
    from the database's per-question sums: all a headline reads (never shown as bars)."""
    result: TeamHistograms = defaultdict(lambda: defaultdict(Counter))
    for team_id, by_question in sums.items():
        for (question_id, option_key), (n, total, high, low) in by_question.items():
            if question_id in nps_ids:
                hist = Counter({10.0: high, 7.0: n - high - low, 0.0: low})
            else:
                hist = Counter({total / n: n})
            result[team_id][(question_id, option_key)] = hist
    return result


_NO_ANSWERS: Counter[float] = Counter()


@cache
def _scale(kind: str) -> tuple[tuple[float, str], ...]:
    """(value, label) of every point of a numeric scale, lowest first."""
    low, high = ins.SCALE_RANGE[kind]
    labels = ins.scale_labels(kind)
    return tuple(
        (float(v), labels[v - low] if kind != ins.NPS else str(v)) for v in range(low, high + 1)
    )


def _question_result(
    q: SurveyQuestion, merged: dict[tuple[int, str], Counter[float]], n: int
) -> QuestionResult:
    assert q.id is not None
    kind = q.kind
    if kind in ins.NUMERIC_KINDS:
        hist = merged.get((q.id, ""), _NO_ANSWERS)
        answered = scoring.count(hist)
        m = scoring.mean(hist)
        # One validation per question (its bars as plain dicts): thousands per survey.
        return QuestionResult.model_validate(
            {
                "key": q.key,
                "prompt": q.prompt,
                "kind": kind,
                "answered": answered,
                "mean": round(m, 2) if m is not None else None,
                "bars": [
                    {
                        "label": label,
                        "count": (k := hist.get(value, 0)),
                        "percent": round(100.0 * k / answered, 1) if answered else 0.0,
                    }
                    for value, label in _scale(kind)
                ],
            }
        )
    if q.kind in (ins.SINGLE, ins.MULTI):
        spec = _spec(q)
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
    if instrument == ins.PMO:
        score = scoring.westrum_score([merged.get((q.id or 0, ""), Counter()) for q in numeric])
        return Headline(
            label="PMO service score (1-5)",
            value=round(score, 2) if score is not None else None,
            detail="Mean agreement with the four statements about the PMO's services.",
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


class TeamFigures(BaseModel):
    """A team's shown figures (stored as JSON on its SurveyTeam row once it is opened)."""

    headline: Headline | None = None
    questions: list[QuestionResult] = Field(default_factory=list)

    def summary(self) -> TeamFigures:
        """The same figures without any question's bars (the headline, each question's
        count, mean and OCAI split)."""
        return TeamFigures(
            headline=self.headline,
            questions=[q.model_copy(update={"bars": []}) for q in self.questions],
        )


def team_figures(
    survey: Survey, questions: list[SurveyQuestion], merged: Merged, n: int
) -> TeamFigures:
    return TeamFigures(
        headline=_headline(survey.instrument, questions, merged, n),
        questions=[_question_result(q, merged, n) for q in questions if q.kind != ins.TEXT],
    )


def org_histograms(
    questions: list[SurveyQuestion], figures: list[TeamFigures]
) -> TeamHistograms | None:
    """The opened teams' counters summed (under the key ORG), from their stored figures: a
    numeric question's bars hold its count per scale point, a choice question's its count per
    option (each stored as 1.0), so the sums are exactly the counters' (the same as summing
    them in the database, without reading every team's rows again). None when some question
    cannot be summed from its figures (an OCAI split keeps rounded means only)."""
    if any(q.kind not in _SUMMABLE for q in questions if q.kind != ins.TEXT):
        return None
    # question key -> the counter (question id, option key) and value each bar counts
    slots: dict[str, list[tuple[tuple[int, str], float]]] = {}
    for q in questions:
        if q.id is None or q.kind == ins.TEXT:
            continue
        if q.kind in ins.NUMERIC_KINDS:
            slots[q.key] = [((q.id, ""), value) for value, _ in _scale(q.kind)]
        else:
            slots[q.key] = [((q.id, key), 1.0) for key, _ in _spec(q).options]
    totals = {key: [0] * len(found) for key, found in slots.items()}
    for team in figures:
        for qr in team.questions:
            acc = totals.get(qr.key)
            if acc is None or len(acc) != len(qr.bars):
                return None  # figures of another shape than the questions: not summed
            totals[qr.key] = list(map(add, acc, [bar.count for bar in qr.bars]))
    org: dict[tuple[int, str], Counter[float]] = defaultdict(Counter)
    for key, found in slots.items():
        for (counter_key, value), n in zip(found, totals[key], strict=True):
            if n:
                org[counter_key][value] += n
    result: TeamHistograms = defaultdict(lambda: defaultdict(Counter))
    result[tally.ORG] = org
    return result


_CHOICE = (ins.SINGLE, ins.MULTI)
_SUMMABLE = (*ins.NUMERIC_KINDS, *_CHOICE)


def store_team_figures(session: Session, survey: Survey) -> None:
    """After the sealed answers were opened: every opened team's figures, from its counters."""
    assert survey.id is not None
    teams = [
        t
        for t in _survey_teams(session, survey.id)
        if t.id is not None and tally.is_large(t.responses, survey.min_group_size)
    ]
    if not teams:
        return
    questions = _questions(session, survey.id)
    histograms = tally.histograms(session, survey.id, team_ids=[t.id for t in teams if t.id])
    for team in teams:
        assert team.id is not None
        figures = team_figures(survey, questions, histograms.get(team.id, {}), team.responses)
        team.figures = figures.model_dump_json()
        team.summary = figures.summary().model_dump_json(exclude_defaults=True)
        session.add(team)
    session.flush()


def kept_columns(with_bars: Collection[int] | None) -> tuple[Any, Any]:
    """A surveyed team's kept figures as two columns of its row: the summary, and the full
    figures only where they are read (`with_bars` None: every team's; else those teams',
    and any team's whose summary was not kept)."""
    if with_bars is None:
        return literal("").label("summary"), col(SurveyTeam.figures).label("figures")
    needed = or_(col(SurveyTeam.summary) == "", col(SurveyTeam.id).in_(list(with_bars)))
    full = case((needed, col(SurveyTeam.figures)), else_=literal(""))
    return col(SurveyTeam.summary).label("summary"), full.label("figures")


def kept_figures(
    team_id: int, summary: str, figures: str, with_bars: Collection[int] | None
) -> TeamFigures | None:
    """A team's kept figures from `kept_columns`: with every question's bars for the teams
    `with_bars` (None: every team), the others' summaries (a few objects a team, not one per
    bar); None for a team never opened."""
    if figures:
        found = TeamFigures.model_validate_json(figures)
        return found if with_bars is None or team_id in with_bars else found.summary()
    return TeamFigures.model_validate_json(summary) if summary else None


# ---------------------------------------------------------------- the organisation's figures

ORG_FIGURES = b"pmo-survey-org-figures-v1"


class OrgFigures(BaseModel):
    """What a closed survey's results need of the organisation beyond the counters."""

    figures: TeamFigures
    # Free-text answers of the teams below the threshold (team id -> question id -> texts),
    # when the organisation's comments may be shown; shuffled again on every read.
    small_comments: dict[int, dict[int, list[str]]] = Field(default_factory=dict)
    # Whether any comment of the larger teams is stored readable (SurveyComment).
    readable_comments: bool = True


def _org_associated(survey_id: int) -> bytes:
    return f"{survey_id}:org".encode()


def store_org_figures(session: Session, survey: Survey) -> None:
    """After the sealed answers were opened: the organisation's figures, as results compute
    them (the whole organisation's counters and the small teams' answers in memory)."""
    assert survey.id is not None
    counts = tally.response_counts(session, survey.id)
    if not protect(counts, survey.min_group_size).total_visible:
        return
    total = sum(counts.values())
    small = [i for i, n in counts.items() if n and not tally.is_large(n, survey.min_group_size)]
    small_histograms, small_comments = tally.small_teams_in_memory(session, survey.id, small)
    org = tally.histograms(session, survey.id, whole_org=True)[tally.ORG]
    for by_question in small_histograms.values():
        for key, counter in by_question.items():
            org[key].update(counter)
    questions = _questions(session, survey.id)
    comments_shown = protect(counts, survey.min_comment_group_size).total_visible
    readable = session.exec(
        select(SurveyComment.id).where(SurveyComment.survey_id == survey.id).limit(1)
    ).first()
    stored = OrgFigures(
        figures=team_figures(survey, questions, org, total),
        small_comments=small_comments if comments_shown else {},
        readable_comments=readable is not None,
    )
    row = session.exec(select(SurveyFigures).where(SurveyFigures.survey_id == survey.id)).first()
    row = row or SurveyFigures(survey_id=survey.id, responses=total, sealed=b"")
    row.responses = total
    row.sealed = sealing.seal(
        stored.model_dump(mode="json"), purpose=ORG_FIGURES, associated=_org_associated(survey.id)
    )
    session.add(row)
    session.flush()


def stored_org_figures(session: Session, survey_id: int, responses: int) -> OrgFigures | None:
    """The organisation's stored figures; None when there are none for these `responses`
    (closed before they were kept, or not to be shown): then they are computed afresh."""
    row = session.exec(
        select(SurveyFigures.responses, SurveyFigures.sealed).where(
            SurveyFigures.survey_id == survey_id
        )
    ).first()
    if row is None or row[0] != responses:
        return None
    try:
        opened = sealing.unseal(row[1], purpose=ORG_FIGURES, associated=_org_associated(survey_id))
    except sealing.Unsealable:
        return None  # another secret key: computed afresh (which says so if it must)
    return OrgFigures.model_validate(opened)
