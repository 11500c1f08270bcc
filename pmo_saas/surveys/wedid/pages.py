"""The "You said, we did" section of a survey's results page (coaches: every shown team) and
of "your team's results" (members: their own team), and the answering page's note of what
the team's last round committed. The services decide what may be shown and picked."""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel
from reflex.event import EventSpec

from pmo_saas.db import in_tenant
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.paths import id_after
from pmo_saas.surveys.schemas import WeDidNote
from pmo_saas.surveys.wedid import services
from pmo_saas.surveys.wedid.schemas import WeDidBoard
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
)
from pmo_saas.ui.dialogs import work_button

NO_VALUE = "—"


class CommitmentView(BaseModel):
    team: str
    question: str
    shown: str
    action: str
    owner: str
    due: str
    status: str


class FollowUpView(BaseModel):
    team: str
    question: str
    action: str
    status: str
    before: str
    after: str
    change: str


def _mean(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else NO_VALUE


def commitment_views(board: WeDidBoard) -> list[CommitmentView]:
    return [
        CommitmentView(
            team=f.team_name,
            question=f.prompt,
            shown=_mean(f.shown_mean),
            action=c.title,
            owner=c.owner_name or NO_VALUE,
            due=(c.due_date or NO_VALUE) + (" (overdue)" if c.overdue else ""),
            status=c.status_label,
        )
        for f in board.focus
        for c in f.commitments
    ]


def follow_up_views(board: WeDidBoard) -> list[FollowUpView]:
    return [
        FollowUpView(
            team=r.focus.team_name,
            question=r.focus.prompt,
            action=c.title,
            status=c.status_label,
            before=_mean(r.previous_mean),
            after=_mean(r.current_mean) if r.current_mean is not None else NO_VALUE,
            change=f"{r.change:+.2f}" if r.change is not None else r.change_note,
        )
        for r in board.follow_up
        for c in r.focus.commitments
    ]


def _form_id(form: dict[str, Any], name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError("Choose from the list.")
    return int(raw)


class WeDidState(BusyWork, WorkspacePage, rx.State):
    loaded: bool = False
    closed: bool = False
    note: str = ""
    teams: list[Choice] = []
    questions: list[Choice] = []
    owners: list[Choice] = []
    committed: list[CommitmentView] = []
    follow_up: list[FollowUpView] = []

    def _survey_id(self) -> int:
        path = self.router.url.path
        return id_after(path, "results") or id_after(path, "team")

    def _on_failed_load(self) -> None:
        self.loaded = False
        self.teams, self.questions, self.owners, self.committed, self.follow_up = [], [], [], [], []

    @rx.event
    async def load(self) -> None:
        self.loaded = False
        await self._load()

    def _reset(self) -> None:
        """Before a load that shows a board read elsewhere (the results page reads it with the
        results, so they are computed once): nothing of a previous page stays."""
        self._clear_messages()
        self._on_failed_load()

    async def _refresh(self, ctx: TenantContext) -> None:
        self._show(await in_tenant(ctx, services.we_did_board, survey_id=self._survey_id()))

    def _show(self, board: WeDidBoard) -> None:
        self._set_changed(
            loaded=True,
            closed=board.closed,
            note=board.note,
            teams=board.teams,
            questions=board.questions,
            owners=board.owners,
            committed=commitment_views(board),
            follow_up=follow_up_views(board),
        )

    @rx.event
    async def commit(self, form: dict) -> None:
        def read_form() -> dict[str, Any]:
            return {
                "survey_team_id": _form_id(form, "survey_team_id") or 0,
                "question_key": str(form.get("question_key") or ""),
                "title": str(form.get("title") or ""),
                "owner_user_id": _form_id(form, "owner_user_id"),
                "due_date": str(form.get("due_date") or "") or None,
            }

        await self._act(
            services.commit_on_question,
            notice="Committed: the action is in the team's coaching plan, and the team's next "
            "round will show it.",
            prepare=read_form,
            survey_id=self._survey_id(),
        )

    @rx.event
    async def export_csv(self) -> EventSpec | None:
        return await self._download(
            services.export_we_did_csv,
            f"we-did-survey-{self._survey_id()}.csv",
            survey_id=self._survey_id(),
        )


# ---------------------------------------------------------------- components


def _commitment_row(c: CommitmentView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(c.action),
        rx.table.cell(c.team),
        rx.table.cell(c.question),
        rx.table.cell(c.shown),
        rx.table.cell(c.owner),
        rx.table.cell(c.due),
        rx.table.cell(c.status),
    )


def _follow_up_row(r: FollowUpView) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(r.action),
        rx.table.cell(r.team),
        rx.table.cell(r.question),
        rx.table.cell(r.status),
        rx.table.cell(r.before),
        rx.table.cell(r.after),
        rx.table.cell(r.change),
    )


def _commit_form() -> rx.Component:
    return rx.form(
        rx.grid(
            labelled_select("Team", "survey_team_id", WeDidState.teams),
            labelled_select("Focus question", "question_key", WeDidState.questions),
            field("Action", "title", placeholder="What the team will do"),
            labelled_select("Owner", "owner_user_id", WeDidState.owners, empty="Choose…"),
            field("Due date", "due_date", type="date", required=False),
            rx.button("Commit action", type="submit"),
            columns="repeat(auto-fill, minmax(min(220px, 100%), 1fr))",
            gap="3",
            align_items="end",
            width="100%",
        ),
        on_submit=WeDidState.commit,
        reset_on_submit=True,
        aria_label="Commit an action",
        width="100%",
    )


def we_did_section() -> rx.Component:
    """Since the last round (with the change), committed this round, and the commit form."""
    return rx.cond(
        WeDidState.loaded,
        rx.el.section(
            rx.vstack(
                rx.hstack(
                    rx.heading("You said, we did", size="4", as_="h2"),
                    rx.spacer(),
                    work_button(
                        "Export commitments",
                        state=WeDidState,
                        work="export",
                        run=WeDidState.export_csv,
                        variant="soft",
                    ),
                    width="100%",
                    align="center",
                ),
                rx.text(
                    "Focus questions are picked only from the results shown; each action "
                    "becomes a coaching action in the team's plan, and the team's next round "
                    "shows it beside the change in that question.",
                    size="2",
                    color_scheme="gray",
                ),
                error_callout(WeDidState.error),
                info_callout(WeDidState.notice),
                rx.cond(
                    WeDidState.follow_up.length() > 0,
                    rx.vstack(
                        rx.heading("Since the last round", size="3", as_="h3"),
                        data_table(
                            "Since the last round",
                            ["Action", "Team", "Question", "Status", "Then", "Now", "Change"],
                            WeDidState.follow_up,
                            _follow_up_row,
                        ),
                        width="100%",
                        align="start",
                    ),
                ),
                rx.heading("Committed from this round", size="3", as_="h3"),
                data_table(
                    "Committed from this round",
                    ["Action", "Team", "Question", "Mean shown", "Owner", "Due", "Status"],
                    WeDidState.committed,
                    _commitment_row,
                    empty="Nothing committed from this round yet.",
                ),
                rx.cond(WeDidState.note != "", rx.text(WeDidState.note, size="2")),
                rx.cond(WeDidState.teams.length() > 0, _commit_form()),
                width="100%",
                align="start",
                spacing="3",
            ),
            aria_label="You said, we did",
            style={"width": "100%"},
        ),
    )


def since_last_survey(notes: rx.Var[list[WeDidNote]]) -> rx.Component:
    """For respondents, before the questions: what the team's last round committed."""
    return rx.cond(
        notes.length() > 0,  # type: ignore[attr-defined]
        rx.el.section(
            card(
                rx.heading("What we did since the last survey", size="4", as_="h2"),
                rx.text(
                    "Your team's last results led to these actions (no names are shown):",
                    size="2",
                ),
                rx.el.ul(
                    rx.foreach(
                        notes,
                        lambda n: rx.el.li(
                            rx.text(
                                rx.el.strong(n.action),
                                " · ",
                                n.status_label,
                                " · on “",
                                n.prompt,
                                "”",
                                size="2",
                            )
                        ),
                    ),
                    style={"margin": 0, "paddingLeft": "1.2em"},
                ),
                width="100%",
            ),
            aria_label="What we did since the last survey",
            style={"width": "100%"},
        ),
    )
