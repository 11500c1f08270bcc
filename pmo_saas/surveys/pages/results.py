"""/o/<slug>/surveys/results/<id>: a closed survey's results, for coaches; and
/o/<slug>/surveys/team/<id>: a respondent's own team and the organisation after the close.

Every figure comes from the services, which apply the group thresholds and the differencing
protection; hidden groups are drawn as hidden, with the reason. Results exist only once the
survey has closed (or passed its end date).
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from pmo_saas.surveys.pages.common import (
    GroupView,
    HeatRowView,
    back_link,
    figure,
    group_card,
    group_view,
    heat_rows,
    id_after,
)
from pmo_saas.surveys.pages.results_parts import headlines, heat_map, trend_section
from pmo_saas.surveys.schemas import SurveyResults, TeamProgress, TrendPoint
from pmo_saas.surveys.wedid import services as we_did
from pmo_saas.surveys.wedid.pages import WeDidState, we_did_section
from pmo_saas.surveys.wedid.schemas import WeDidBoard
from pmo_saas.ui.components import error_callout, info_callout, page_heading
from pmo_saas.ui.dialogs import work_button

# The trend chart's axis spans the headline's own scale (no Westrum axis running to 8).
HEADLINE_DOMAIN: dict[str, list[float]] = {
    ins.WESTRUM: [1, 7],
    ins.HEALTH: [1, 5],
    ins.PMO: [1, 5],
    ins.ENPS: [-100, 100],
}


class TrendRowView(BaseModel):
    round_label: str
    closed: str
    org: str
    teams: str


class ResultsPage(BaseModel):
    results: SurveyResults | None
    waiting: str
    progress: list[TeamProgress]
    trend: list[TrendPoint]
    kinds: dict[str, str]
    # The "you said, we did" board, read with the results (computed once per load), or why not.
    board: WeDidBoard | None = None
    board_error: str = ""


def _board(
    session: Session, ctx: TenantContext, survey_id: int, results: SurveyResults | None
) -> tuple[WeDidBoard | None, str]:
    return we_did.board_beside_results(
        session=session, ctx=ctx, survey_id=survey_id, results=results
    )


def _results_page(*, session: Session, ctx: TenantContext, survey_id: int) -> ResultsPage:
    progress = services.survey_progress(session=session, ctx=ctx, survey_id=survey_id)
    trend = services.survey_trend(session=session, ctx=ctx, survey_id=survey_id)
    try:
        results = services.survey_results(session=session, ctx=ctx, survey_id=survey_id)
    except Conflict as still_open:
        board, board_error = _board(session, ctx, survey_id, None)
        return ResultsPage(
            results=None,
            waiting=str(still_open),
            progress=progress,
            trend=trend,
            kinds={},
            board=board,
            board_error=board_error,
        )
    form_kinds = {q.key: q.kind for g in [results.org, *results.teams] for q in g.questions}
    board, board_error = _board(session, ctx, survey_id, results)
    return ResultsPage(
        results=results,
        waiting="",
        progress=progress,
        trend=trend,
        kinds=form_kinds,
        board=board,
        board_error=board_error,
    )


def _export_name(title: str, round_number: int) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "survey"
    return f"{slug}-round-{round_number}.csv"


def _trend_rows(points: list[TrendPoint], digits: int) -> list[TrendRowView]:
    rows = []
    for p in points:
        teams = " · ".join(f"{name}: {figure(v, digits)}" for name, v in sorted(p.teams.items()))
        rows.append(
            TrendRowView(
                round_label=f"Round {p.round_number}",
                closed=p.closes_at,
                org=figure(p.org, digits) if p.org is not None else p.org_hidden_reason or "n/a",
                teams=teams or "No team shown",
            )
        )
    return rows


class TeamOption(BaseModel):
    id: int
    label: str


class ResultsState(BusyWork, WorkspacePage, rx.State):
    title: str = ""
    instrument_label: str = ""
    round_number: int = 0
    responses: int = 0
    open_responses: int = 0
    min_group_size: int = 0
    min_comment_group_size: int = 0
    waiting: str = ""
    progress: list[TeamProgress] = []
    org: GroupView | None = None
    teams: list[GroupView] = []
    heat_columns: list[str] = []
    heatmap: list[HeatRowView] = []
    _instrument: str = ""
    trend: list[TrendRowView] = []
    trend_chart: list[dict[str, Any]] = []
    trend_domain: list[float] = [0, 0]
    trend_has_domain: bool = False
    # Combining teams: only shown teams (or all of them) may be combined.
    team_options: list[TeamOption] = []
    selected_ids: list[int] = []
    selection: GroupView | None = None
    # A refused combination is said beside the combine card, not at the top of the page.
    selection_error: str = ""

    def _survey_id(self) -> int:
        return id_after(self.router.url.path, "results")

    def _clear(self) -> None:
        self.title = self.instrument_label = self.waiting = ""
        self.round_number = self.responses = self.open_responses = 0
        self.progress, self.teams, self.heatmap, self.trend, self.trend_chart = [], [], [], [], []
        self.heat_columns = []
        self.org = None
        self.team_options, self.selected_ids = [], []
        self.selection, self.selection_error = None, ""

    def _on_failed_load(self) -> None:
        self._clear()

    @rx.event
    async def load(self) -> None:
        # The we-did section's board comes with the results (one computation per load).
        (await self.get_state(WeDidState))._reset()
        await self._load(Role.COACH)

    async def _refresh(self, ctx: TenantContext) -> None:
        page = await in_tenant(ctx, _results_page, survey_id=self._survey_id())
        self._clear()
        wedid = await self.get_state(WeDidState)
        if page.board is not None:
            wedid._show(page.board)
        else:
            wedid.error = page.board_error
        self.progress, self.waiting = page.progress, page.waiting
        r = page.results
        current = next((p for p in page.trend if p.survey_id == self._survey_id()), None)
        self.title = r.title if r else (current.title if current else "")
        self.round_number = r.round_number if r else (current.round_number if current else 0)
        if r is None:
            return
        digits = 1 if r.instrument == ins.ENPS else 2
        self._instrument = r.instrument
        self.instrument_label = ins.INSTRUMENT_LABELS.get(r.instrument, r.instrument)
        self.responses, self.open_responses = r.responses, r.open_responses
        self.min_group_size, self.min_comment_group_size = (
            r.min_group_size,
            r.min_comment_group_size,
        )
        self.org = group_view(r.org, None, r.instrument)
        self.teams = [group_view(g, r.org, r.instrument) for g in r.teams]
        self.heat_columns = [prompt for _, prompt in r.heat_columns]
        self.heatmap = heat_rows(r, page.kinds)
        self.trend = _trend_rows(page.trend, digits)
        self.team_options = [
            TeamOption(id=g.survey_team_id, label=g.label)
            for g in r.teams
            if g.survey_team_id is not None
        ]
        self.trend_chart = [
            {"round": f"Round {p.round_number}", "organisation": p.org} for p in page.trend
        ]
        domain = HEADLINE_DOMAIN.get(r.instrument)
        self.trend_has_domain = domain is not None
        self.trend_domain = domain or [0, 0]

    @rx.event
    async def show_answers(self, survey_team_id: int) -> None:
        """A listed team's bars, read once when its "Answers per question" opens (by the
        service, under the same rules: a hidden team is never listed with bars pending)."""
        at = next(
            (i for i, t in enumerate(self.teams) if str(t.survey_team_id) == str(survey_team_id)),
            None,
        )
        if at is None or not self.teams[at].bars_pending:
            return
        listed = self.teams[at].survey_team_id  # the listed id, not what the event sent
        team = await self._act(
            services.survey_team_results,
            minimum=Role.COACH,
            refresh=False,
            survey_team_id=listed,
        )
        if team is None or team.survey_team_id != listed:
            return
        shown = group_view(team, None, self._instrument)
        # The comparison with the organisation was drawn when the list was.
        shown.comparison = self.teams[at].comparison
        self.teams = [*self.teams[:at], shown, *self.teams[at + 1 :]]

    @rx.event
    def toggle_team(self, survey_team_id: int, chosen: bool) -> None:
        survey_team_id = int(survey_team_id)
        others = [t for t in self.selected_ids if t != survey_team_id]
        self.selected_ids = [*others, survey_team_id] if chosen else others
        self.selection, self.selection_error = None, ""

    @rx.event
    async def combine(self) -> None:
        self.selection, self.selection_error = None, ""
        r = await self._act(
            services.survey_results,
            minimum=Role.COACH,
            refresh=False,
            survey_id=self._survey_id(),
            team_ids=list(self.selected_ids),
        )
        if r is None:
            self.selection_error, self.error = self.error, ""
            return
        if r.selection is not None:
            self.selection = group_view(r.selection, r.org, r.instrument)

    @rx.event
    async def export_csv(self):
        data = await self._act(
            services.export_results_csv,
            minimum=Role.COACH,
            refresh=False,
            survey_id=self._survey_id(),
        )
        if data is None:
            return None
        return rx.download(
            data=data,
            filename=_export_name(self.title, self.round_number),
            mime_type="text/csv",
        )


# ---------------------------------------------------------------- components


def _progress_row(p: TeamProgress) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(p.team_name),
        rx.table.cell(p.invited),
        rx.table.cell(p.answered),
        rx.table.cell(
            rx.hstack(
                rx.progress(
                    value=p.response_rate.to(int),
                    width="120px",
                    aria_label="Response rate of " + p.team_name,
                ),
                rx.text(p.response_rate.to_string() + "%", size="2"),
                align="center",
            )
        ),
    )


def _progress() -> rx.Component:
    return rx.el.section(
        rx.heading("Response rate", size="4", as_="h2"),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *[rx.table.column_header_cell(h) for h in ("Team", "Asked", "Answered", "")]
                )
            ),
            rx.table.body(rx.foreach(ResultsState.progress, _progress_row)),
            width="100%",
        ),
        aria_label="Response rate",
        style={"width": "100%"},
    )


def _combine() -> rx.Component:
    return rx.el.section(
        rx.heading("Combine teams", size="4", as_="h2"),
        rx.text(
            "Teams whose results are hidden cannot be combined with others: that could "
            "isolate them.",
            size="2",
            color_scheme="gray",
        ),
        rx.hstack(
            rx.foreach(
                ResultsState.team_options,
                lambda t: rx.checkbox(
                    t.label,
                    checked=ResultsState.selected_ids.contains(t.id),
                    on_change=lambda checked: ResultsState.toggle_team(t.id, checked),
                ),
            ),
            rx.button("Show combined results", variant="soft", on_click=ResultsState.combine),
            spacing="4",
            wrap="wrap",
            align="center",
        ),
        error_callout(ResultsState.selection_error),
        rx.cond(
            ResultsState.selection,
            group_card(ResultsState.selection.to(GroupView), details=False),
        ),
        aria_label="Combine teams",
        style={"width": "100%"},
    )


def _group_details() -> rx.Component:
    return rx.el.section(
        rx.heading("Each group in detail", size="4", as_="h2"),
        rx.text(
            "Headline, comments and, behind “Answers per question”, each question's distribution.",
            size="2",
            color_scheme="gray",
        ),
        rx.foreach(
            ResultsState.teams,
            lambda g: group_card(g, open_answers=ResultsState.show_answers(g.survey_team_id)),
        ),
        rx.cond(ResultsState.org, group_card(ResultsState.org.to(GroupView))),
        aria_label="Each group in detail",
        style={"width": "100%", "display": "flex", "flexDirection": "column", "gap": "1em"},
    )


@rx.page(
    route="/o/[slug]/surveys/results/[survey_id]",
    title="Survey results",
    on_load=[AuthState.load_workspace, ResultsState.load],
)
@workspace
def results_page() -> rx.Component:
    return rx.vstack(
        back_link(),
        page_heading("Survey results"),
        error_callout(ResultsState.error),
        rx.cond(
            ResultsState.title != "",
            rx.vstack(
                rx.heading(
                    ResultsState.title + " · round " + ResultsState.round_number.to_string(),
                    size="5",
                    as_="h2",
                ),
                rx.cond(
                    ResultsState.waiting != "",
                    rx.vstack(
                        info_callout(ResultsState.waiting),
                        we_did_section(),  # the previous round's commitments, while this runs
                        width="100%",
                        align="start",
                        spacing="4",
                    ),
                    rx.vstack(
                        rx.hstack(
                            rx.text(
                                ResultsState.instrument_label,
                                " · ",
                                ResultsState.responses.to_string(),
                                " responses · groups need ",
                                ResultsState.min_group_size.to_string(),
                                " responses, comments ",
                                ResultsState.min_comment_group_size.to_string(),
                                rx.cond(
                                    ResultsState.open_responses > 0,
                                    " · "
                                    + ResultsState.open_responses.to_string()
                                    + " of the responses came through open links",
                                    "",
                                ),
                                size="2",
                                color_scheme="gray",
                            ),
                            rx.spacer(),
                            work_button(
                                "Export CSV",
                                state=ResultsState,
                                work="export",
                                run=ResultsState.export_csv,
                                variant="soft",
                            ),
                            width="100%",
                            align="center",
                        ),
                        headlines(ResultsState.org, ResultsState.teams),
                        heat_map(ResultsState.heat_columns, ResultsState.heatmap),
                        we_did_section(),
                        _group_details(),
                        _combine(),
                        trend_section(
                            ResultsState.trend_chart,
                            ResultsState.trend,
                            ResultsState.trend_has_domain,
                            ResultsState.trend_domain,
                        ),
                        comment_thread("survey_results"),  # coaches: what the results mean
                        width="100%",
                        align="start",
                        spacing="4",
                    ),
                ),
                _progress(),
                width="100%",
                align="start",
                spacing="4",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


# ---------------------------------------------------------------- your team ("you said, we did")


class MyTeamState(WorkspacePage, rx.State):
    title: str = ""
    team: GroupView | None = None
    org: GroupView | None = None

    @rx.event
    async def load(self) -> None:
        self.title, self.team, self.org = "", None, None
        await self._load()

    async def _refresh(self, ctx: TenantContext) -> None:
        mine = await in_tenant(
            ctx, services.my_team_results, survey_id=id_after(self.router.url.path, "team")
        )
        self.title = mine.title
        self.team = group_view(mine.team, mine.org, mine.instrument)
        self.org = group_view(mine.org, None, mine.instrument)


@rx.page(
    route="/o/[slug]/surveys/team/[survey_id]",
    title="Your team's survey results",
    on_load=[AuthState.load_workspace, MyTeamState.load, WeDidState.load],
)
@workspace
def my_team_page() -> rx.Component:
    return rx.vstack(
        back_link(),
        page_heading("Your team's results", "What your team said, shown only to groups."),
        error_callout(MyTeamState.error),
        rx.cond(
            MyTeamState.title != "",
            rx.vstack(
                rx.heading(MyTeamState.title, size="5", as_="h2"),
                rx.cond(MyTeamState.team, group_card(MyTeamState.team.to(GroupView))),
                we_did_section(),
                rx.cond(
                    MyTeamState.org,
                    group_card(MyTeamState.org.to(GroupView), details=False),
                ),
                width="100%",
                align="start",
                spacing="4",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )
