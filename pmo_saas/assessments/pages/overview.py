"""/o/<slug>/assessments: my questionnaires; for coaches also models, rounds and a new round."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.assessments.pages.common import section_href
from pmo_saas.assessments.schemas import DimensionInput, LevelInput, ModelRow, MyAssignment
from pmo_saas.assessments.services import answering, catalog
from pmo_saas.assessments.services import rounds as round_services
from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
    plain_table,
    region,
)
from pmo_saas.ui.dialogs import busy_button
from pmo_saas.ui.empty import action_link, empty_state

ROUNDS_SHOWN = 50  # the newest; each row costs a progress query


class RoundListRow(BaseModel):
    id: int
    title: str
    status: str
    model: str
    opened: str
    progress: str


class TeamChoice(BaseModel):
    id: int
    name: str
    member_count: int


def _coach_overview(
    *, session: Session, ctx: TenantContext
) -> tuple[list[ModelRow], list[RoundListRow], list[TeamChoice]]:
    models = catalog.list_models(session=session, ctx=ctx)
    rounds = []
    for summary in round_services.list_rounds(session=session, ctx=ctx)[:ROUNDS_SHOWN]:
        progress = round_services.round_progress(session=session, ctx=ctx, round_id=summary.id)
        rounds.append(
            RoundListRow(
                id=summary.id,
                title=summary.title,
                status=summary.status,
                model=f"{summary.model_name} v{summary.version_number}",
                opened=summary.opened_at[:10],
                progress=" · ".join(
                    f"{p.team_name}: {p.submitted} of {p.invited} submitted" for p in progress
                ),
            )
        )
    teams = [
        TeamChoice(id=t.id, name=t.name, member_count=t.member_count)
        for t in identity.list_teams(session=session, ctx=ctx)
    ]
    return models, rounds, teams


def _free_name(taken: set[str], wanted: str) -> str:
    name, n = wanted, 2
    while name.lower() in taken:
        name, n = f"{wanted} {n}", n + 1
    return name


def _start_chosen_round(
    *, session: Session, ctx: TenantContext, model_id: str, team_ids: list[int], title: str
) -> int:
    if not model_id.isdigit():
        raise ValidationFailed("Choose a model.", field="model")
    return round_services.start_round(
        session=session, ctx=ctx, model_id=int(model_id), team_ids=team_ids, title=title
    )


def _copy_under_a_free_name(*, session: Session, ctx: TenantContext, model_id: int) -> int:
    models = catalog.list_models(session=session, ctx=ctx)
    source = next((m for m in models if m.id == model_id), None)
    if source is None:
        raise NotFound("That assessment model")
    name = _free_name({m.name.lower() for m in models}, f"Copy of {source.name}")
    return catalog.copy_model(session=session, ctx=ctx, model_id=model_id, name=name)


def _new_model_under_a_free_name(*, session: Session, ctx: TenantContext) -> int:
    models = catalog.list_models(session=session, ctx=ctx)
    return catalog.create_model(
        session=session,
        ctx=ctx,
        name=_free_name({m.name.lower() for m in models}, "New model"),
        levels=[LevelInput(value=v, label=f"Level {v}") for v in range(1, 6)],
        dimensions=[DimensionInput(name="First dimension", statements=["First statement"])],
    )


class AssessmentsState(BusyWork, WorkspacePage, rx.State):
    assignments: list[MyAssignment] = []
    models: list[ModelRow] = []
    rounds: list[RoundListRow] = []
    teams: list[TeamChoice] = []
    chosen_team_ids: list[int] = []
    chosen_model_id: str = ""

    async def _refresh(self, ctx: TenantContext) -> None:
        self.assignments = await in_tenant(ctx, answering.my_assignments)
        if ctx.has(Role.COACH):
            self.models, self.rounds, self.teams = await in_tenant(ctx, _coach_overview)
            if self.models and not any(str(m.id) == self.chosen_model_id for m in self.models):
                self.chosen_model_id = str(self.models[0].id)
        else:
            self.models, self.rounds, self.teams = [], [], []

    def _on_failed_load(self) -> None:
        self.assignments, self.models, self.rounds, self.teams = [], [], [], []

    @rx.event
    async def load(self) -> None:
        self.chosen_team_ids = []
        await self._load()

    @rx.event
    def choose_team(self, team_id: int, chosen: bool) -> None:
        team_id = int(team_id)
        others = [t for t in self.chosen_team_ids if t != team_id]
        self.chosen_team_ids = [*others, team_id] if chosen else others

    @rx.event
    def choose_model(self, model_id: str) -> None:
        self.chosen_model_id = model_id

    @rx.event
    async def start_round(self, form: dict):
        round_id = await self._act(
            _start_chosen_round,
            minimum=Role.COACH,
            refresh=False,
            model_id=self.chosen_model_id,
            team_ids=list(self.chosen_team_ids),
            title=form.get("title", ""),
        )
        self.busy = ""
        if round_id is None:
            return None
        self.chosen_team_ids = []
        return rx.redirect(self._org_path(f"/assessments/rounds/{round_id}"))

    @rx.event
    async def copy_model(self, model_id: int):
        new_id = await self._act(
            _copy_under_a_free_name, minimum=Role.COACH, refresh=False, model_id=int(model_id)
        )
        if new_id is None:
            return None
        return rx.redirect(self._org_path(f"/assessments/models/{new_id}"))

    @rx.event
    async def new_model(self):
        new_id = await self._act(_new_model_under_a_free_name, minimum=Role.COACH, refresh=False)
        if new_id is None:
            return None
        return rx.redirect(self._org_path(f"/assessments/models/{new_id}"))


def _assignment_row(a: MyAssignment) -> rx.Component:
    return rx.table.row(
        rx.table.cell(a.round_title),
        rx.table.cell(a.team_name),
        rx.table.cell(
            rx.hstack(
                rx.progress(
                    value=rx.cond(a.total > 0, (a.answered * 100 / a.total).to(int), 0),
                    width="120px",
                    aria_label="Progress of " + a.round_title,
                ),
                rx.text(a.answered.to_string() + " of " + a.total.to_string(), size="2"),
                align="center",
            )
        ),
        rx.table.cell(
            rx.cond(a.submitted, rx.badge("submitted", color_scheme="green"), rx.badge("to do"))
        ),
        rx.table.cell(
            rx.cond(
                a.round_open,
                rx.link(
                    rx.cond(a.answered > 0, "Continue", "Answer"),
                    href=section_href("/answer/") + a.participant_id.to_string(),
                    aria_label="Answer " + a.round_title + " for " + a.team_name,
                ),
                rx.text("closed", color_scheme="gray", size="2"),
            )
        ),
    )


def _my_questionnaires() -> rx.Component:
    return rx.vstack(
        rx.heading("Your questionnaires", size="4", as_="h2"),
        rx.cond(
            AssessmentsState.assignments.length() > 0,
            data_table(
                "Your questionnaires",
                ["Round", "Team", "Progress", "Status", ""],
                AssessmentsState.assignments,
                _assignment_row,
            ),
            empty_state(
                "No questionnaires for you yet",
                "When a coach starts an assessment round for your team, your questionnaire "
                "appears here: answer alone, save halfway and continue later.",
                icon="list-checks",
            ),
        ),
        width="100%",
        align="start",
    )


def _model_row(m: ModelRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(m.name, href=section_href("/models/") + m.id.to_string()),
            rx.cond(m.builtin, rx.badge("built-in", margin_left="0.5em")),
        ),
        rx.table.cell(rx.cond(m.kind == "health_check", "health check", "maturity")),
        rx.table.cell("v" + m.latest_version.to_string()),
        rx.table.cell(m.dimension_count),
        rx.table.cell(m.statement_count),
        rx.table.cell(
            rx.button(
                "Copy",
                size="1",
                variant="soft",
                aria_label="Copy " + m.name,
                on_click=AssessmentsState.copy_model(m.id),
            )
        ),
    )


def _models() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Models", size="4", as_="h2"),
            rx.spacer(),
            rx.button("New model", size="2", variant="soft", on_click=AssessmentsState.new_model),
            width="100%",
            align="center",
        ),
        data_table(
            "Models",
            ["Model", "Kind", "Version", "Dimensions", "Statements", ""],
            AssessmentsState.models,
            _model_row,
        ),
        width="100%",
        align="start",
    )


def _round_row(r: RoundListRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r.title, href=section_href("/rounds/") + r.id.to_string())),
        rx.table.cell(r.model),
        rx.table.cell(r.opened),
        rx.table.cell(rx.badge(r.status, color_scheme=rx.cond(r.status == "open", "blue", "gray"))),
        rx.table.cell(r.progress),
    )


def _rounds() -> rx.Component:
    return rx.vstack(
        rx.heading("Rounds", size="4", as_="h2"),
        rx.text(f"The {ROUNDS_SHOWN} newest rounds.", size="1", color_scheme="gray"),
        region(
            "Rounds",
            rx.cond(
                AssessmentsState.rounds.length() == 0,
                empty_state(
                    "No round yet",
                    "A round asks the members of chosen teams to rate a model's statements; the "
                    "results show where each team stands (radar, heat map) and how it moves.",
                    rx.cond(
                        AssessmentsState.teams.length() > 0,
                        action_link("Start your first round", "#start-round"),
                        action_link("Create a team first", "/o/" + AuthState.org_slug + "/teams"),
                    ),
                    icon="radar",
                ),
                plain_table(
                    ["Round", "Model", "Opened", "Status", "Progress per team"],
                    AssessmentsState.rounds,
                    _round_row,
                ),
            ),
        ),
        width="100%",
        align="start",
    )


def _start_round() -> rx.Component:
    return card(
        rx.heading("Start a round", size="4", as_="h2"),
        rx.form(
            rx.vstack(
                rx.vstack(
                    rx.el.label("Model", html_for="field-round-model", class_name="pmo-label"),
                    rx.el.select(
                        rx.foreach(
                            AssessmentsState.models,
                            lambda m: rx.el.option(
                                m.name + " (v" + m.latest_version.to_string() + ")",
                                value=m.id.to_string(),
                            ),
                        ),
                        id="field-round-model",
                        name="model",
                        value=AssessmentsState.chosen_model_id,
                        on_change=AssessmentsState.choose_model,
                        class_name="pmo-select",
                    ),
                    spacing="1",
                    align="start",
                ),
                field("Round title", "title", required=False, hint="Defaults to model and month."),
                rx.el.fieldset(
                    rx.el.legend("Teams", class_name="pmo-label"),
                    rx.hstack(
                        rx.foreach(
                            AssessmentsState.teams,
                            lambda t: rx.checkbox(
                                t.name + " (" + t.member_count.to_string() + ")",
                                checked=AssessmentsState.chosen_team_ids.contains(t.id),
                                on_change=lambda checked: AssessmentsState.choose_team(
                                    t.id, checked
                                ),
                            ),
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    style={"border": "none", "padding": 0},
                ),
                busy_button("Start round", busy=AssessmentsState.busy == "start", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=[AssessmentsState.mark_busy("start"), AssessmentsState.start_round],
            width="100%",
        ),
        width="100%",
    )


@rx.page(
    route="/o/[slug]/assessments",
    title="Assessments",
    on_load=[AuthState.load_workspace, AssessmentsState.load],
)
@workspace
def assessments_page() -> rx.Component:
    return rx.vstack(
        page_heading(
            "Assessments", "Where each team stands in its transformation, and how it moves."
        ),
        error_callout(AssessmentsState.error),
        info_callout(AssessmentsState.notice),
        _my_questionnaires(),
        rx.cond(
            AuthState.is_coach,
            rx.vstack(
                _rounds(),
                rx.box(_start_round(), id="start-round", width="100%"),
                _models(),
                width="100%",
                spacing="5",
            ),
        ),
        width="100%",
        align="start",
        spacing="5",
    )
