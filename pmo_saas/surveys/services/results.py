"""The results pages: per team and organisation under the thresholds and the differencing
protection, combined teams, the heat map, CSV export, the trend over rounds, my team.

The survey's results list each team by its headline and question means (what the headlines
and the heat map show) and the organisation in full; one team's bars come from
`survey_team_results`, decided by the same rules (a team hidden in the list is hidden there).
"""

from __future__ import annotations

import csv
import gc
import io
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from contextlib import contextmanager

from pydantic import TypeAdapter
from sqlalchemy import literal
from sqlmodel import Session, col, select

from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.kernel.anonymity import (
    Disclosure,
    protect,
)
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import tally
from pmo_saas.surveys.models import (
    Survey,
    SurveyInvitation,
    SurveyQuestion,
    SurveyTeam,
)
from pmo_saas.surveys.schemas import (
    CommentGroup,
    GroupResult,
    HeatRow,
    MyTeamResults,
    SurveyResults,
    TrendPoint,
)
from pmo_saas.surveys.services.common import (
    CLOSED,
    _date,
    _questions,
    _status,
    _survey,
)
from pmo_saas.surveys.services.figures import (
    TeamFigures,
    TeamHistograms,
    _headline_histograms,
    _merge,
    kept_columns,
    kept_figures,
    org_histograms,
    store_org_figures,
    store_team_figures,
    stored_org_figures,
    team_figures,
)

_shuffle = random.SystemRandom().shuffle


# ---------------------------------------------------------------- results


class _Comments:
    """All free-text answers of a survey, read once (only when some group may show them);
    stored apart from any response, under random ids, and shuffled again on every read."""

    def __init__(
        self,
        session: Session,
        survey_id: int,
        questions: list[SurveyQuestion],
        in_memory: dict[int, dict[int, list[str]]] | None = None,
        *,
        readable: bool = True,
    ):
        self.session, self.survey_id = session, survey_id
        self.prompts = {q.id: q.prompt for q in questions if q.kind == ins.TEXT}
        # Teams below the threshold: their comments exist only sealed, opened in memory.
        self.in_memory = in_memory or {}
        # False: the close found no readable comment (larger teams' ones): nothing to read.
        self.readable = readable
        self._by_team: dict[int, dict[int, list[str]]] | None = None

    def _load(self) -> dict[int, dict[int, list[str]]]:
        if self._by_team is None:
            self._by_team = (
                tally.comments_by_team(
                    self.session, self.survey_id, [q for q in self.prompts if q is not None]
                )
                if self.readable
                else defaultdict(lambda: defaultdict(list))
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
    stored: TeamFigures | None = None,
    bars: bool = True,
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
    if stored is not None:  # final figures, kept at the close (an opened team's, the org's)
        figures = stored
    else:
        figures = team_figures(survey, questions, _merge(histograms, histogram_ids), n)
        figures = figures if bars else figures.summary()
    return GroupResult(
        label=label,
        survey_team_id=survey_team_id,
        responses=n,
        open_responses=open_n,
        visible=True,
        headline=figures.headline,
        questions=figures.questions if detail else [],
        bars_omitted=detail and not bars,
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
    bars_for: Collection[int] | None = None,
) -> SurveyResults:
    """Every group's figures; `headlines_only` leaves out the questions, comments and heat
    map (the trend shows headlines alone: the same groups, thresholds and headline values);
    `org_only` (with it) the teams too: the organisation's headline from its sums alone.
    `bars_for`: the teams whose questions come with their bars (None: every team's); the
    others' come with counts and means only (`bars_omitted`)."""
    assert survey.id is not None
    threshold = survey.min_group_size
    # Closed by `close_survey`: opened in that transaction. Closed by its end date: the first
    # read opens the sealed answers, once.
    by_date = survey.status != CLOSED and _status(survey) == CLOSED
    if by_date and tally.has_sealed(session, survey.id, threshold):
        tally.open_sealed(session, survey.id, threshold)
        store_team_figures(session, survey)
        store_org_figures(session, survey)
    questions = _questions(session, survey.id)
    # Plain columns, not rows (a trend reads hundreds of teams per round); figures if needed
    # (only the summaries of the teams whose bars are not asked for).
    teams = session.execute(
        select(  # type: ignore[call-overload]
            SurveyTeam.id,
            SurveyTeam.team_name,
            SurveyTeam.responses,
            SurveyTeam.open_responses,
            *(
                (literal("").label("summary"), literal("").label("figures"))
                if headlines_only
                else kept_columns(bars_for)
            ),
        )
        .where(SurveyTeam.survey_id == survey.id)
        .order_by(col(SurveyTeam.team_name))
    ).all()
    team_counts = {t.id: t.responses for t in teams if t.id is not None}
    open_counts = {t.id: t.open_responses for t in teams if t.id is not None}
    numbers: Disclosure = protect(team_counts, survey.min_group_size)
    words: Disclosure = protect(team_counts, survey.min_comment_group_size)
    small = [i for i, n in team_counts.items() if n and not tally.is_large(n, threshold)]
    # The organisation's figures kept at the close, read where they spare a read (the small
    # teams' sealed answers, the headline's sums, the counters' sums when the teams' bars
    # are not read); a selection is summed as before.
    org_stored = (
        stored_org_figures(session, survey.id, sum(team_counts.values()))
        if selected_team_ids is None
        and numbers.total_visible
        and (small or org_only or (not headlines_only and bars_for is not None))
        else None
    )
    if org_stored is None:
        small_histograms, small_comments = tally.small_teams_in_memory(session, survey.id, small)
    else:  # small teams are never shown alone: only the organisation needed their answers
        small_histograms, small_comments = {}, org_stored.small_comments
    # Parsed once: the shown teams' figures (their bars only where asked for), and without
    # kept organisation figures, the organisation's sums (see org_histograms).
    stored = {
        t.id: kept
        for t in teams
        if t.id is not None
        and (kept := kept_figures(t.id, t.summary, t.figures, bars_for)) is not None
    }
    # The organisation's figures come from its own sums (key ORG), except in a trend by team.
    org_ids = all_ids = set(team_counts)
    if headlines_only:
        nps_ids = {q.id for q in questions if q.kind == ins.NPS and q.id is not None}
        sums = (
            {}
            if org_only and org_stored is not None
            else tally.headline_sums(session, survey.id, whole_org=org_only)
        )
        histograms = _headline_histograms(sums, nps_ids)
        org_ids = {tally.ORG} if org_only else all_ids
    else:
        # Counters by team only for the teams shown without stored figures and a selection.
        live = [i for i in numbers.visible if i not in stored and i in all_ids]
        live += [i for i in selected_team_ids or [] if i in all_ids]
        if org_stored is not None:
            histograms = defaultdict(lambda: defaultdict(Counter))
        else:
            opened = [i for i, n in team_counts.items() if n and tally.is_large(n, threshold)]
            summed = (
                org_histograms(questions, [stored[i] for i in opened])
                if bars_for is None and all(i in stored for i in opened)
                else None
            )
            histograms = summed or tally.histograms(session, survey.id, whole_org=True)
        if live:
            histograms.update(tally.histograms(session, survey.id, team_ids=live))
        org_ids = {tally.ORG}
    if org_ids == {tally.ORG}:  # the small teams' answers join the organisation's sums
        for by_question in small_histograms.values():
            for key, counter in by_question.items():
                histograms[tally.ORG][key].update(counter)
    histograms.update(small_histograms)
    comments = _Comments(
        session,
        survey.id,
        questions,
        small_comments,
        readable=org_stored.readable_comments if org_stored is not None else True,
    )
    total = sum(team_counts.values())

    def group(
        label: str, stid: int | None, ids: set[int], visible: bool, reason: str, hist: set[int]
    ) -> GroupResult:
        n = sum(team_counts[i] for i in ids)
        kept = stored.get(stid) if stid is not None else None
        if stid is None and ids == all_ids:
            kept = org_stored.figures if org_stored is not None else None
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
            histogram_ids=hist,
            visible=visible,
            hidden_reason=reason,
            comments_visible=visible and comments_ok,
            comments_reason=comments_reason,
            detail=not headlines_only,
            stored=kept,
            bars=stid is None or bars_for is None or stid in bars_for,
        )

    org = group(
        "Whole organisation",
        None,
        all_ids,
        numbers.total_visible,
        numbers.total_hidden_reason,
        org_ids,
    )
    team_results = [
        group(
            t.team_name,
            t.id,
            {t.id},
            t.id in numbers.visible,
            numbers.hidden.get(t.id, ""),
            {t.id},
        )
        for t in teams
        if t.id is not None and not org_only
    ]
    selection = None
    if selected_team_ids is not None:
        numbers.check_filter(selected_team_ids, all_ids)
        names = [t.team_name for t in teams if t.id in set(selected_team_ids)]
        chosen = set(selected_team_ids)
        selection = group("Selected: " + ", ".join(names), None, chosen, True, "", chosen)
    columns = [(q.key, q.prompt) for q in questions if q.kind in ins.NUMERIC_KINDS]
    heatmap = [] if headlines_only else _heat_rows([*team_results, org], columns)
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


_HEAT_ROWS = TypeAdapter(list[HeatRow])


def _heat_rows(groups: list[GroupResult], columns: list[tuple[str, str]]) -> list[HeatRow]:
    """One row per group, one cell per numeric question (validated at once: hundreds)."""
    rows = []
    for g in groups:
        means = {qr.key: qr.mean for qr in g.questions} if g.visible else {}
        rows.append(
            {
                "label": g.label,
                "survey_team_id": g.survey_team_id,
                "visible": g.visible,
                "hidden_reason": g.hidden_reason,
                "cells": [{"question_key": k, "value": means.get(k)} for k, _ in columns],
            }
        )
    return _HEAT_ROWS.validate_python(rows)


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


@contextmanager
def _no_collection_pauses() -> Iterator[None]:
    """Results build thousands of small objects that all live on (no cycles among them); on
    a process as large as the app's, each of the collector's full passes that so many new
    objects trigger walks every object of the process (most of a large survey's time). So
    the collector waits until the results are built, then runs as usual."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def survey_results(
    *,
    session: Session,
    ctx: TenantContext,
    survey_id: int,
    team_ids: list[int] | None = None,
) -> SurveyResults:
    """Results per team (headline and question means: each team's bars come from
    `survey_team_results`) and for the organisation; `team_ids` (surveyed team ids) selects
    teams to combine."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can see survey results.")
    survey = _survey(session, survey_id)
    _require_final(survey)
    with _no_collection_pauses():
        return _compute_results(session, survey, team_ids, bars_for=())


def survey_team_results(
    *, session: Session, ctx: TenantContext, survey_team_id: int
) -> GroupResult:
    """One surveyed team's results with every question's bars: the team as the survey's
    results show it, decided by the same thresholds and differencing protection (a hidden
    team comes back hidden, with the reason, and nothing else)."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can see survey results.")
    team = get_in_org(session, SurveyTeam, survey_team_id, "That team's results")
    assert team.id is not None
    survey = _survey(session, team.survey_id)
    _require_final(survey)
    with _no_collection_pauses():
        results = _compute_results(session, survey, None, bars_for={team.id})
    return next(g for g in results.teams if g.survey_team_id == team.id)


def export_results_csv(*, session: Session, ctx: TenantContext, survey_id: int) -> str:
    """The shown results as CSV: the same groups and thresholds as on screen, no raw rows."""
    ctx.require(Role.COACH, "Only coaches, admins and owners can export survey results.")
    survey = _survey(session, survey_id)
    _require_final(survey)
    with _no_collection_pauses():
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
    results = _compute_results(session, survey, None, bars_for={invitation.survey_team_id})
    team = next(g for g in results.teams if g.survey_team_id == invitation.survey_team_id)
    assert survey.id is not None
    return MyTeamResults(
        survey_id=survey.id,
        title=survey.title,
        instrument=survey.instrument,
        team=team,
        org=results.org,
    )
