"""Collaborative scoring: a coach opens a round and invites scorers; each scorer scores
privately, one input across all initiatives at a time; the facilitator sees the median, the
spread and where scorers disagree most, then settles the final scores."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import scoring, views
from pmo_saas.portfolio.pages.common import id_after, portfolio_href, portfolio_nav
from pmo_saas.portfolio.schemas import RoundRow
from pmo_saas.portfolio.services import rounds as round_services
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
    region,
)
from pmo_saas.ui.dialogs import busy_button, confirm_dialog


class RoundLine(BaseModel):
    id: int
    name: str
    status: str
    inputs: str
    scorers: int
    initiatives: int


def _line(r: RoundRow) -> RoundLine:
    return RoundLine(
        id=r.id,
        name=r.name,
        status=r.status,
        inputs=", ".join(r.key_labels),
        scorers=len(r.scorer_ids),
        initiatives=len(r.initiative_ids),
    )


class RoundsState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    rounds: list[RoundLine] = []
    people: list[Choice] = []
    inputs: list[Choice] = []

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        pid = self._pid()
        setup = await in_tenant(ctx, views.scoring_setup, portfolio_id=pid)
        rounds = await in_tenant(ctx, round_services.list_rounds, portfolio_id=pid)
        self.portfolio_id, self.portfolio_name = setup.portfolio.id, setup.portfolio.name
        self.rounds = [_line(r) for r in rounds]
        specs = scoring.input_specs(
            setup.portfolio.scoring_model,
            [
                scoring.CriterionSpec(c.id, c.name, c.weight, c.scale_min, c.scale_max)
                for c in setup.criteria
            ],
        )
        self.inputs = [Choice(value=s.key, label=s.label) for s in specs]
        if ctx.has(Role.COACH):
            people = await in_tenant(ctx, views.scorer_choices)
            self.people = [Choice(value=str(p.user_id), label=p.label) for p in people]
        else:
            self.people = []

    def _on_failed_load(self) -> None:
        self.rounds, self.people, self.inputs, self.portfolio_name = [], [], [], ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def open_round(self, form: dict):
        def chosen() -> dict[str, list]:
            scorers = [
                int(k.removeprefix("scorer_"))
                for k, v in form.items()
                if k.startswith("scorer_") and v
            ]
            keys = [
                k.removeprefix("input_") for k, v in form.items() if k.startswith("input_") and v
            ]
            if not keys:
                raise ValidationFailed("Choose at least one input to score.")
            return {"scorer_user_ids": scorers, "keys": keys}

        round_id = await self._act(
            round_services.open_scoring_round,
            minimum=Role.COACH,
            refresh=False,
            prepare=chosen,
            portfolio_id=self._pid(),
            name=form.get("name", ""),
        )
        if round_id is None:
            return None
        return rx.redirect(self._org_path(f"/portfolio/p/{self._pid()}/rounds/{round_id}"))


def _round_row(r: RoundLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(
                r.name, href=portfolio_href(RoundsState.portfolio_id, "/rounds/") + r.id.to_string()
            )
        ),
        rx.table.cell(r.status),
        rx.table.cell(r.inputs),
        rx.table.cell(r.scorers),
        rx.table.cell(r.initiatives),
    )


def _tick(prefix: str, c: Choice, checked: bool) -> rx.Component:
    return rx.el.label(
        rx.el.input(type="checkbox", name=prefix + c.value, value="on", default_checked=checked),
        " ",
        c.label,
        class_name="pmo-label",
        style={"marginRight": "1em"},
    )


def _rounds_body() -> rx.Component:
    s = RoundsState
    return rx.vstack(
        page_heading("Scoring rounds"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            AuthState.is_coach,
            card(
                rx.heading("Open a scoring round", size="4", as_="h2"),
                rx.text(
                    "Each scorer scores privately, one input across all initiatives at a time; "
                    "nobody sees the others' scores until you settle the round.",
                    size="2",
                    color_scheme="gray",
                ),
                rx.form(
                    field("Round name", "name"),
                    rx.el.fieldset(
                        rx.el.legend("Scorers", class_name="pmo-label"),
                        rx.flex(
                            rx.foreach(s.people, lambda c: _tick("scorer_", c, False)), wrap="wrap"
                        ),
                    ),
                    rx.el.fieldset(
                        rx.el.legend("Inputs to score", class_name="pmo-label"),
                        rx.flex(
                            rx.foreach(s.inputs, lambda c: _tick("input_", c, True)), wrap="wrap"
                        ),
                    ),
                    rx.button("Open round", type="submit", margin_top="0.5em"),
                    on_submit=s.open_round,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        data_table(
            "Rounds", ["Round", "Status", "Inputs", "Scorers", "Initiatives"], s.rounds, _round_row
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/rounds",
    title="Scoring rounds",
    on_load=[AuthState.load_workspace, RoundsState.load],
)
@workspace
def rounds_page() -> rx.Component:
    return _rounds_body()


# ---------------------------------------------------------------- one round


class SheetItem(BaseModel):
    id: int
    title: str
    current: str


class CellLine(BaseModel):
    initiative_id: int
    key: str
    title: str
    label: str
    scores: str
    median: str
    spread: str


class ProgressLine(BaseModel):
    name: str
    done: str


class RoundState(BusyWork, WorkspacePage, rx.State):
    portfolio_id: int = 0
    round_name: str = ""
    round_status: str = ""
    steps_total: int = 0
    # the scorer's sheet
    invited: bool = False
    sheet_key: str = ""
    sheet_label: str = ""
    sheet_scale: str = ""
    sheet_step: int = 0
    choices: list[str] = []
    items: list[SheetItem] = []
    # the facilitator's view
    facilitator: bool = False
    progress: list[ProgressLine] = []
    disagreed: list[CellLine] = []
    cells: list[CellLine] = []

    def _ids(self) -> tuple[int, int]:
        path = self.router.url.path
        return id_after(path, "p"), id_after(path, "rounds")

    async def _refresh(self, ctx: TenantContext) -> None:
        pid, rid = self._ids()
        rounds = await in_tenant(ctx, round_services.list_rounds, portfolio_id=pid)
        found = next((r for r in rounds if r.id == rid), None)
        if found is None:
            raise NotFound("That scoring round")
        self.portfolio_id = pid
        self.round_name, self.round_status = found.name, found.status
        self.steps_total = len(found.keys)
        self.invited = ctx.user_id in found.scorer_ids and ctx.has(Role.MEMBER)
        self.sheet_key = ""
        self.items, self.choices = [], []
        if self.invited:
            sheet = await in_tenant(ctx, round_services.scoring_sheet, round_id=rid)
            self.sheet_key = sheet.key or ""
            self.sheet_label, self.sheet_scale, self.sheet_step = (
                sheet.label,
                sheet.scale,
                sheet.step,
            )
            self.choices = [formatting.number(c) for c in sheet.choices]
            self.items = [
                SheetItem(
                    id=i,
                    title=t,
                    current=formatting.optional_number(sheet.my_scores.get(i)),
                )
                for i, t in sheet.initiatives
            ]
        self.facilitator = ctx.has(Role.COACH)
        if self.facilitator or found.status != "open":
            summary = await in_tenant(ctx, round_services.round_summary, round_id=rid)
            people = {p.user_id: p.label for p in await in_tenant(ctx, views.scorer_choices)}
            self.progress = [
                ProgressLine(
                    name=people.get(uid, f"Scorer {uid}"),
                    done=f"{n} of {len(found.keys)} inputs done",
                )
                for uid, n in summary.scorers_done.items()
            ]

            def line(c) -> CellLine:  # type: ignore[no-untyped-def]
                return CellLine(
                    initiative_id=c.initiative_id,
                    key=c.key,
                    title=c.title,
                    label=c.label,
                    scores=", ".join(formatting.number(v) for v in c.scores) or "not scored",
                    median=formatting.optional_number(c.median) or "not scored",
                    spread=formatting.optional_number(c.spread),
                )

            self.disagreed = [line(c) for c in summary.most_disagreed]
            self.cells = [line(c) for c in summary.cells]
        else:
            self.progress, self.disagreed, self.cells = [], [], []

    def _on_failed_load(self) -> None:
        self.items, self.cells, self.disagreed, self.progress = [], [], [], []
        self.round_name = ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def submit_scores(self, form: dict) -> None:
        def given() -> dict[str, dict[int, object]]:
            return {
                "scores": {
                    int(k.removeprefix("score_")): v
                    for k, v in form.items()
                    if k.startswith("score_") and str(v).strip()
                }
            }

        await self._act(
            round_services.submit_round_scores,
            notice=f"Your {self.sheet_label} scores are saved.",
            minimum=Role.MEMBER,
            prepare=given,
            round_id=self._ids()[1],
            key=self.sheet_key,
        )

    @rx.event
    async def settle(self, form: dict) -> None:
        """Each cell's median, unless the facilitator typed the value agreed in discussion."""
        final: dict[tuple[int, str], object] = {}

        def agreed() -> dict[str, object]:
            for name, value in form.items():
                if name.startswith("final_") and str(value).strip():
                    _, initiative_id, key = name.split("_", 2)
                    final[(int(initiative_id), key)] = value
            return {"final": final}

        written = await self._act(
            round_services.settle_round,
            minimum=Role.COACH,
            prepare=agreed,
            round_id=self._ids()[1],
        )
        if written is not None:
            self.notice = f"Round settled: {written} score(s) written" + (
                f", {len(final)} as agreed in discussion." if final else " (the medians)."
            )

    @rx.event
    async def cancel(self) -> None:
        await self._act(
            round_services.cancel_round,
            notice="Round cancelled; no score was changed.",
            minimum=Role.COACH,
            round_id=self._ids()[1],
        )


def _score_input(item: SheetItem) -> rx.Component:
    s = RoundState
    input_id = "score-" + item.id.to_string()
    return rx.table.row(
        rx.table.cell(rx.el.label(item.title, html_for=input_id)),
        rx.table.cell(
            rx.cond(
                s.choices.length() > 0,
                rx.el.select(
                    rx.el.option("Not scored", value=""),
                    rx.foreach(s.choices, lambda c: rx.el.option(c, value=c)),
                    id=input_id,
                    name="score_" + item.id.to_string(),
                    default_value=item.current,
                    class_name="pmo-select",
                ),
                rx.input(
                    id=input_id,
                    name="score_" + item.id.to_string(),
                    default_value=item.current,
                ),
            )
        ),
    )


def _cell_row(c: CellLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c.title),
        rx.table.cell(c.label),
        rx.table.cell(c.scores),
        rx.table.cell(c.median),
        rx.table.cell(c.spread),
    )


def _final_input(c: CellLine) -> rx.Component:
    name = "final_" + c.initiative_id.to_string() + "_" + c.key
    return rx.table.row(
        rx.table.cell(c.title),
        rx.table.cell(c.label),
        rx.table.cell(c.scores),
        rx.table.cell(c.median),
        rx.table.cell(c.spread),
        rx.table.cell(
            rx.input(
                name=name,
                placeholder=c.median,
                aria_label="Agreed " + c.label + " for " + c.title,
                width="6em",
            )
        ),
    )


def _settle_form() -> rx.Component:
    s = RoundState
    return rx.form(
        data_table(
            "Most disagreed",
            ["Initiative", "Input", "Scores", "Median", "Spread", "Agreed value"],
            s.disagreed,
            _final_input,
        ),
        rx.text(
            "Discuss these first. Settling writes each cell's median (snapped to the scale), "
            "or the agreed value typed here.",
            size="1",
            color_scheme="gray",
        ),
        rx.hstack(
            busy_button("Settle round", busy=s.busy == "settle", type="submit"),
            confirm_dialog(
                busy_button(
                    "Cancel round",
                    busy=s.busy == "cancel",
                    type="button",
                    variant="soft",
                    color_scheme="red",
                ),
                title="Cancel this scoring round?",
                description="Its scores are not written to the initiatives, and nobody can score "
                "in it any more. This cannot be undone.",
                confirm_label="Cancel round",
                on_confirm=[s.mark_busy("cancel"), s.cancel],
            ),
            margin_top="0.5em",
        ),
        on_submit=[s.mark_busy("settle"), s.settle],
        width="100%",
    )


def _cells_table(name: str, rows: rx.Var) -> rx.Component:
    return data_table(name, ["Initiative", "Input", "Scores", "Median", "Spread"], rows, _cell_row)


def _sheet() -> rx.Component:
    s = RoundState
    return card(
        rx.heading("Your scores", size="4", as_="h2"),
        rx.cond(
            s.sheet_key == "",
            rx.text("You have scored every input of this round. Thank you."),
            rx.vstack(
                rx.text(
                    "Input " + s.sheet_step.to_string() + " of " + s.steps_total.to_string() + ": ",
                    rx.text.strong(s.sheet_label),
                    " (" + s.sheet_scale + ")",
                ),
                rx.text(
                    "Score this one input for every initiative; the next input comes after. "
                    "Nobody else sees your scores.",
                    size="1",
                    color_scheme="gray",
                ),
                rx.form(
                    data_table(
                        "Score " + s.sheet_label,
                        ["Initiative", s.sheet_label.to(str)],
                        s.items,
                        _score_input,
                        full_width=False,
                    ),
                    rx.button(
                        "Save " + s.sheet_label + " scores", type="submit", margin_top="0.5em"
                    ),
                    on_submit=s.submit_scores,
                    key=s.sheet_key,
                    width="100%",
                ),
                width="100%",
                align="start",
            ),
        ),
        width="100%",
    )


def _round_body() -> rx.Component:
    s = RoundState
    return rx.vstack(
        page_heading("Scoring round"),
        rx.heading(s.round_name, size="5", as_="h2"),
        rx.text("Status: " + s.round_status),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.invited & (s.round_status == "open"), _sheet()),
        rx.cond(
            s.facilitator | (s.round_status != "open"),
            rx.vstack(
                rx.heading("Scorers", size="4", as_="h2"),
                region(
                    "Scorer progress",
                    rx.unordered_list(
                        rx.foreach(s.progress, lambda p: rx.list_item(p.name + ": " + p.done))
                    ),
                ),
                rx.heading("Where scorers disagree most", size="4", as_="h2"),
                rx.cond(
                    s.facilitator & (s.round_status == "open"),
                    _settle_form(),
                    _cells_table("Most disagreed", s.disagreed),
                ),
                rx.heading("All scores: median and spread", size="4", as_="h2"),
                _cells_table("Round results", s.cells),
                comment_thread("scoring_round"),
                width="100%",
                align="start",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/rounds/[round_id]",
    title="Scoring round",
    on_load=[AuthState.load_workspace, RoundState.load],
)
@workspace
def round_page() -> rx.Component:
    return _round_body()
