"""The results pages: per team and organisation under the thresholds and the differencing
protection, combined teams, the heat map, CSV export, the trend over rounds, my team."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter, defaultdict
from functools import cache

from sqlmodel import Session, col, select

from pmo_saas.identity import audit
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import scoring, tally
from pmo_saas.surveys.anonymity import (
    Disclosure,
    protect,
)
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyQuestion,
)
from pmo_saas.surveys.schemas import (
    Bar,
    CommentGroup,
    GroupResult,
    Headline,
    HeatCell,
    HeatRow,
    MyTeamResults,
    QuestionResult,
    SurveyResults,
    TrendPoint,
)
from pmo_saas.surveys.services.common import (
    CLOSED,
    _date,
    _questions,
    _spec,
    _status,
    _survey,
    _survey_teams,
)

_shuffle = random.SystemRandom().shuffle


# ---------------------------------------------------------------- results


TeamHistograms = tally.TeamHistograms


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

    def __init__(
        self,
        session: Session,
        survey_id: int,
        questions: list[SurveyQuestion],
        in_memory: dict[int, dict[int, list[str]]] | None = None,
    ):
        self.session, self.survey_id = session, survey_id
        self.prompts = {q.id: q.prompt for q in questions if q.kind == ins.TEXT}
        # Teams below the threshold: their comments exist only sealed, opened in memory.
        self.in_memory = in_memory or {}
        self._by_team: dict[int, dict[int, list[str]]] | None = None

    def _load(self) -> dict[int, dict[int, list[str]]]:
        if self._by_team is None:
            self._by_team = tally.comments_by_team(
                self.session, self.survey_id, [q for q in self.prompts if q is not None]
            )
            for team_id, texts in self.in_memory.items():
                for question_id, found in texts.items():
                    self._by_team[team_id][question_id].extend(found)
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
    histogram_ids: set[int],
    visible: bool,
    hidden_reason: str,
    comments_visible: bool,
    comments_reason: str,
    detail: bool = True,
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
    merged = _merge(histograms, histogram_ids)
    assert survey.id is not None
    return GroupResult(
        label=label,
        survey_team_id=survey_team_id,
        responses=n,
        open_responses=open_n,
        visible=True,
        headline=_headline(survey.instrument, questions, merged, n),
        questions=[_question_result(q, merged, n) for q in questions if q.kind != ins.TEXT]
        if detail
        else [],
        comments=comments.for_teams(team_ids) if comments_visible and detail else [],
        comments_hidden_reason="" if comments_visible else comments_reason,
    )


def _comment_reason(threshold: int) -> str:
    return f"Comments are shown only for groups of at least {threshold} responses."


def _compute_results(
    session: Session,
    survey: Survey,
    selected_team_ids: list[int] | None,
    *,
    headlines_only: bool = False,
    org_only: bool = False,
) -> SurveyResults:
    """Every group's figures; `headlines_only` leaves out the questions, comments and heat
    map (the trend shows headlines alone: the same groups, thresholds and headline values);
    `org_only` (with it) the teams too: the organisation's headline from its sums alone."""
    assert survey.id is not None
    threshold = survey.min_group_size
    # Closed by `close_survey`: opened in that transaction. Closed by its end date: the first
    # read opens the sealed answers, once.
    by_date = survey.status != CLOSED and _status(survey) == CLOSED
    if by_date and tally.has_sealed(session, survey.id, threshold):
        tally.open_sealed(session, survey.id, threshold)
    questions = _questions(session, survey.id)
    teams = _survey_teams(session, survey.id)
    team_counts = {t.id: t.responses for t in teams if t.id is not None}
    open_counts = {t.id: t.open_responses for t in teams if t.id is not None}
    numbers: Disclosure = protect(team_counts, survey.min_group_size)
    words: Disclosure = protect(team_counts, survey.min_comment_group_size)
    if headlines_only:
        nps_ids = {q.id for q in questions if q.kind == ins.NPS and q.id is not None}
        sums = tally.headline_sums(session, survey.id, whole_org=org_only)
        histograms = _headline_histograms(sums, nps_ids)
    else:
        histograms = tally.histograms(session, survey.id)
    small = [i for i, n in team_counts.items() if n and not tally.is_large(n, threshold)]
    small_histograms, small_comments = tally.small_teams_in_memory(session, survey.id, small)
    if org_only:  # the small teams' answers join the organisation's sums
        for by_question in small_histograms.values():
            for key, counter in by_question.items():
                histograms[tally.ORG][key].update(counter)
    else:
        histograms.update(small_histograms)
    comments = _Comments(session, survey.id, questions, small_comments)
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
            histogram_ids={tally.ORG} if org_only else ids,
            visible=visible,
            hidden_reason=reason,
            comments_visible=visible and comments_ok,
            comments_reason=comments_reason,
            detail=not headlines_only,
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
        if t.id is not None and not org_only
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
        for g in ([] if headlines_only else [*team_results, org])
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


def survey_trend(
    *, session: Session, ctx: TenantContext, survey_id: int, teams: bool = True
) -> list[TrendPoint]:
    """The headline figure of every round of this survey's series, organisation and teams
    (`teams=False`: the organisation's alone, as the dashboard shows it)."""
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
        results = _compute_results(session, r, None, headlines_only=True, org_only=not teams)
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
