"""/o/<slug>/rollout/<id>: one wave: its teams' progress against its exit and entry criteria
(coaches and up), the forms to add teams and criteria, and the wave's own edit (a dialog) and
place on the roadmap (earlier / later)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.rollout.models import OPERATORS
from pmo_saas.rollout.pages.common import progress_table, rollout_href, wave_fields, wave_values
from pmo_saas.rollout.schemas import Choice, CriterionRow, WaveProgress, WaveRow
from pmo_saas.rollout.services import progress, waves
from pmo_saas.ui.components import (
    card,
    error_callout,
    field,
    info_callout,
    labelled_select,
    plain_table,
    region,
)
from pmo_saas.ui.dialogs import dialog_actions, form_dialog, open_button

KINDS = [("exit", "Exit"), ("entry", "Entry")]


def _wave_id(path: str) -> int:
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 4 and parts[2] == "rollout" and parts[3].isdigit():
        return int(parts[3])
    return 0


def _figure(raw: str) -> dict[str, str]:
    """The figure select's value: "maturity:<dimension>" or "survey:<instrument>:<question>"."""
    metric, _, rest = raw.partition(":")
    if metric == "survey":
        instrument, _, key = rest.partition(":")
        return {"metric": metric, "instrument": instrument, "key": key}
    return {"metric": metric, "key": rest}


class WaveState(WorkspacePage, rx.State):
    wave: WaveRow | None = None
    progress: WaveProgress | None = None
    figures: list[Choice] = []
    teams: list[Choice] = []
    can_manage: bool = False
    editing: bool = False  # the "Edit wave" dialog is open

    async def _refresh(self, ctx: TenantContext) -> None:
        wave_id = _wave_id(self.router.url.path)
        self.can_manage = ctx.has(Role.COACH)
        self.wave = await in_tenant(ctx, waves.wave_detail, wave_id=wave_id)
        if self.can_manage:
            self.progress = await in_tenant(ctx, progress.wave_progress, wave_id=wave_id)
            choices = await in_tenant(ctx, waves.criterion_choices)
            self.figures = [
                Choice(value="maturity:" + c.value, label="Maturity: " + c.label)
                for c in choices["dimensions"]
            ] + [Choice(value="survey:" + c.value, label=c.label) for c in choices["surveys"]]
            self.teams = choices["teams"]

    def _on_failed_load(self) -> None:
        self.wave, self.progress = None, None

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    def set_editing(self, open_it: bool) -> None:
        if open_it:
            self._clear_messages()
        self.editing = open_it

    @rx.event
    async def save_wave(self, form: dict) -> None:
        await self._act(
            waves.update_wave,
            notice="Wave saved.",
            minimum=Role.COACH,
            wave_id=_wave_id(self.router.url.path),
            **wave_values(form),
        )
        if not self.error:
            self.editing = False  # kept open on a refusal, with what was typed

    @rx.event
    async def move(self, earlier: bool) -> None:
        await self._act(
            waves.move_wave,
            notice="Moved " + ("earlier" if earlier else "later") + " on the roadmap.",
            minimum=Role.COACH,
            wave_id=_wave_id(self.router.url.path),
            earlier=bool(earlier),
        )

    @rx.event
    async def add_team(self, form: dict) -> None:
        team = str(form.get("wave_team", ""))
        await self._act(
            waves.add_wave_team,
            notice="Team added to the wave.",
            minimum=Role.COACH,
            prepare=lambda: {"team_id": int(team)},
            wave_id=_wave_id(self.router.url.path),
        )

    @rx.event
    async def remove_team(self, team_id: int) -> None:
        await self._act(
            waves.remove_wave_team,
            notice="Team taken out of the wave.",
            minimum=Role.COACH,
            wave_id=_wave_id(self.router.url.path),
            team_id=team_id,
        )

    @rx.event
    async def add_criterion(self, form: dict) -> None:
        figure = str(form.get("criterion_figure", ""))
        await self._act(
            waves.add_criterion,
            notice="Criterion added.",
            minimum=Role.COACH,
            prepare=lambda: _figure(figure),
            wave_id=_wave_id(self.router.url.path),
            kind=str(form.get("criterion_kind", "")),
            operator=str(form.get("criterion_operator", "")),
            threshold=str(form.get("criterion_threshold", "")),
        )

    @rx.event
    async def remove_criterion(self, criterion_id: int) -> None:
        await self._act(
            waves.remove_criterion,
            notice="Criterion removed.",
            minimum=Role.COACH,
            criterion_id=criterion_id,
        )


def _criterion_row(c: CriterionRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(c.text),
        rx.table.cell(
            rx.cond(
                WaveState.can_manage,
                rx.button(
                    "Remove",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=WaveState.remove_criterion(c.id),
                    aria_label="Remove " + c.text,
                ),
            )
        ),
    )


def _forms() -> rx.Component:
    s = WaveState
    return rx.hstack(
        card(
            rx.heading("Add a team", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select("Team", "wave_team", s.teams),
                    rx.button("Add team", type="submit"),
                    align="start",
                ),
                on_submit=s.add_team,
            ),
        ),
        card(
            rx.heading("Add a criterion", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select("Kind", "criterion_kind", KINDS, default="exit"),
                    labelled_select("Figure", "criterion_figure", s.figures),
                    labelled_select(
                        "Operator", "criterion_operator", [(o, o) for o in OPERATORS], default=">="
                    ),
                    field("Threshold", "criterion_threshold", type="number", step="any"),
                    rx.button("Add criterion", type="submit"),
                    align="start",
                ),
                on_submit=s.add_criterion,
                reset_on_submit=True,
            ),
        ),
        align="start",
        wrap="wrap",
        width="100%",
    )


def _edit_dialog(w: rx.Var[WaveRow]) -> rx.Component:
    s = WaveState
    return form_dialog(
        "Edit the wave",
        rx.form(
            rx.vstack(
                *wave_fields(w),
                dialog_actions("Save wave"),
                align="start",
                width="100%",
            ),
            on_submit=s.save_wave,
            key=w.title + w.starts_on + w.ends_on,
            width="100%",
        ),
        open=s.editing,
        on_open_change=s.set_editing,
        trigger=open_button("Edit wave", variant="soft"),
        error=s.error,
    )


def _wave_actions(w: rx.Var[WaveRow]) -> rx.Component:
    return rx.hstack(
        _edit_dialog(w),
        rx.button(
            rx.icon("arrow_up", size=16),
            "Move earlier",
            variant="soft",
            color_scheme="gray",
            on_click=WaveState.move(True),
        ),
        rx.button(
            rx.icon("arrow_down", size=16),
            "Move later",
            variant="soft",
            color_scheme="gray",
            on_click=WaveState.move(False),
        ),
        wrap="wrap",
    )


def _team_chip(name: str, team_id: int) -> rx.Component:
    return rx.badge(
        name,
        rx.cond(
            WaveState.can_manage,
            rx.icon_button(
                rx.icon("x", size=12),
                size="1",
                variant="ghost",
                on_click=WaveState.remove_team(team_id),
                aria_label="Take " + name + " out of the wave",
            ),
        ),
        size="2",
    )


def _body() -> rx.Component:
    s = WaveState
    w = s.wave
    return rx.vstack(
        rx.link("All waves", href=rollout_href()),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            w,
            rx.vstack(
                rx.heading(w.title, size="7", as_="h1"),
                rx.text(
                    rx.cond(w.is_pilot, "Pilot wave. ", ""),
                    w.starts_on,
                    " to ",
                    w.ends_on,
                    color_scheme="gray",
                ),
                rx.text(w.notes, size="2"),
                rx.cond(s.can_manage, _wave_actions(w)),
                rx.flex(
                    rx.foreach(w.team_ids, lambda tid, i: _team_chip(w.team_names[i], tid)),
                    gap="2",
                    wrap="wrap",
                ),
                region(
                    "Criteria",
                    rx.heading("Criteria", size="5", as_="h2"),
                    plain_table(["Criterion", ""], w.criteria, _criterion_row),
                ),
                rx.cond(
                    s.progress,
                    region(
                        "Progress",
                        rx.heading("Progress against the criteria", size="5", as_="h2"),
                        rx.text(s.progress.summary, size="2"),
                        progress_table("Team progress", w.criteria, s.progress.teams),
                    ),
                ),
                rx.cond(s.can_manage, _forms()),
                width="100%",
                align="start",
                spacing="4",
            ),
        ),
        width="100%",
        align="start",
        spacing="3",
    )


@rx.page(
    route="/o/[slug]/rollout/[wave_id]",
    title="Roll-out wave",
    on_load=[AuthState.load_workspace, WaveState.load],
)
@workspace
def wave_page() -> rx.Component:
    return _body()
