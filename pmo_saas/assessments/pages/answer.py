"""/o/<slug>/assessments/answer/<participant id>: one person answers alone.

Only the respondent reads or writes these answers (the services refuse anyone else with the
same "not found" as a missing questionnaire). Answers are kept in the page until saved; "Save
and continue later" stores them, "Submit" marks the questionnaire done.
"""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.assessments.pages.common import back_link, id_after
from pmo_saas.assessments.schemas import LevelRow, ModelVersionDetail, MyAnswers, MyAssignment
from pmo_saas.assessments.services import answering, catalog, rounds
from pmo_saas.db import cached_in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage, unproxied
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from pmo_saas.ui.components import card, error_callout, info_callout, page_heading

TRENDS = [("1", "Getting better"), ("0", "About the same"), ("-1", "Getting worse")]


class AnswerOption(BaseModel):
    value: int
    label: str
    description: str


class AnswerStatement(BaseModel):
    id: int
    number: int
    text: str
    options: list[AnswerOption]


class AnswerDimension(BaseModel):
    id: int
    name: str
    description: str
    comment: str
    trend: str
    statements: list[AnswerStatement]


def _questionnaire(
    *, session: Session, ctx: TenantContext, participant_id: int
) -> tuple[MyAssignment, ModelVersionDetail, MyAnswers]:
    mine = next(
        (
            a
            for a in answering.my_assignments(session=session, ctx=ctx)
            if a.participant_id == participant_id
        ),
        None,
    )
    if mine is None:
        raise NotFound("That questionnaire")
    summary = rounds.get_round(session=session, ctx=ctx, round_id=mine.round_id)
    detail = catalog.model_version(session=session, ctx=ctx, version_id=summary.model_version_id)
    answers = answering.my_answers(session=session, ctx=ctx, participant_id=participant_id)
    return mine, detail, answers


class AnswerState(WorkspacePage, rx.State):
    round_title: str = ""
    team_name: str = ""
    round_open: bool = False
    submitted: bool = False
    asks_trend: bool = False
    levels: list[LevelRow] = []
    dimensions: list[AnswerDimension] = []
    answered: int = 0
    total: int = 0
    # statement id (as text) -> the value chosen: a choice sends this, not the questionnaire
    chosen: dict[str, int] = {}
    # what the person has chosen in this page, saved or not: statement id -> value
    _values: dict[int, int] = {}
    _comments: dict[int, str] = {}
    _trends: dict[int, int | None] = {}
    _detail: ModelVersionDetail | None = None

    def _participant_id(self) -> int:
        return id_after(self.router.url.path, "answer")

    def _render(self) -> None:
        detail = unproxied(self._detail)
        comments, trends = unproxied(self._comments), unproxied(self._trends)
        values = unproxied(self._values)
        if detail is None:
            self.dimensions, self.levels, self.answered, self.total = [], [], 0, 0
            self.chosen = {}
            return
        self.levels = list(detail.levels)
        numbers = {
            s.id: n
            for n, s in enumerate((s for d in detail.dimensions for s in d.statements), start=1)
        }
        self.dimensions = [
            AnswerDimension(
                id=d.id,
                name=d.name,
                description=d.description,
                comment=comments.get(d.id, ""),
                trend=str(trends[d.id]) if trends.get(d.id) is not None else "",
                statements=[
                    AnswerStatement(
                        id=s.id,
                        number=numbers[s.id],
                        text=s.text,
                        options=[
                            AnswerOption(
                                value=lv.value,
                                label=lv.label,
                                description=lv.description,
                            )
                            for lv in detail.levels
                        ],
                    )
                    for s in d.statements
                ],
            )
            for d in detail.dimensions
        ]
        statement_ids = {s.id for d in detail.dimensions for s in d.statements}
        self.total = len(statement_ids)
        self.answered = len(statement_ids & set(values))
        self.chosen = {str(k): v for k, v in values.items() if k in statement_ids}

    def _on_failed_load(self) -> None:
        self.round_title = self.team_name = ""
        self.round_open = self.submitted = self.asks_trend = False
        self._values, self._comments, self._trends, self._detail = {}, {}, {}, None
        self._render()

    async def _refresh(self, ctx: TenantContext) -> None:
        mine, detail, answers = await cached_in_tenant(
            ctx, _questionnaire, participant_id=self._participant_id()
        )
        self.round_title, self.team_name = mine.round_title, mine.team_name
        self.round_open, self.submitted = mine.round_open, answers.submitted
        self.asks_trend = detail.asks_trend
        self._detail = detail
        self._values = dict(answers.values)
        self._comments = dict(answers.comments)
        self._trends = {k: v for k, v in answers.trends.items()}
        self._render()

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    def choose(self, statement_id: int, value: int) -> None:
        detail = unproxied(self._detail)
        statement_id, value = int(statement_id), int(value)
        if detail is None or value not in {lv.value for lv in detail.levels}:
            return
        statement_ids = {s.id for d in detail.dimensions for s in d.statements}
        if statement_id not in statement_ids:
            return
        values = {**unproxied(self._values), statement_id: value}
        self._values = values
        self.notice = ""
        # Only the choices and the count are sent again (the radios read `chosen`).
        self.chosen = {**unproxied(self.chosen), str(statement_id): value}
        self.answered = len(statement_ids & set(values))

    @rx.event
    def set_comment(self, dimension_id: int, text: str) -> None:
        self._comments = {**self._comments, int(dimension_id): text}
        self._render()

    @rx.event
    def set_trend(self, dimension_id: int, value: str) -> None:
        trend = int(value) if value in ("1", "0", "-1") else None
        self._trends = {**self._trends, int(dimension_id): trend}
        self._render()

    async def _save(self, submit: bool) -> None:
        # No refresh: the page keeps what the person chose, saved or not.
        progress = await self._act(
            answering.save_answers,
            refresh=False,
            participant_id=self._participant_id(),
            values=dict(unproxied(self._values)),
            comments=dict(unproxied(self._comments)),
            trends=dict(unproxied(self._trends)) if self.asks_trend else None,
            submit=submit,
        )
        if progress is None:
            return
        self.submitted = progress.submitted
        counted = f"{progress.answered} of {progress.total} statements answered"
        self.notice = (
            f"Submitted, thank you. {counted}; you can still change your answers while the "
            "round is open."
            if submit
            else f"Saved. {counted}; come back any time to continue."
        )

    @rx.event
    async def save_for_later(self) -> None:
        await self._save(submit=False)

    @rx.event
    async def submit(self) -> None:
        await self._save(submit=True)


def _option(statement: AnswerStatement, option: AnswerOption) -> rx.Component:
    return rx.el.label(
        rx.el.input(
            type="radio",
            name="statement-" + statement.id.to_string(),
            value=option.value.to_string(),
            checked=AnswerState.chosen[statement.id.to_string()] == option.value,
            disabled=~AnswerState.round_open,
            on_change=lambda _value: AnswerState.choose(statement.id, option.value),
        ),
        rx.text(option.value.to_string() + " · " + option.label, as_="span", size="2"),
        title=option.description,
        class_name="pmo-option",
    )


def _statement(statement: AnswerStatement) -> rx.Component:
    # A vertical scale of whole-row targets on a phone; "Statement 3 of 12" says where one is.
    return rx.el.fieldset(
        rx.el.legend(
            rx.el.span(
                "Statement "
                + statement.number.to_string()
                + " of "
                + AnswerState.total.to_string(),
                class_name="pmo-step",
            ),
            statement.text,
            style={"fontWeight": 500, "marginBottom": "0.5em"},
        ),
        rx.el.div(
            rx.foreach(statement.options, lambda o: _option(statement, o)),
            class_name="pmo-scale",
        ),
        style={"border": "none", "padding": "0.75em 0", "width": "100%", "margin": 0},
    )


def _dimension(dim: AnswerDimension) -> rx.Component:
    return card(
        rx.heading(dim.name, size="4", as_="h2"),
        rx.cond(dim.description != "", rx.text(dim.description, color_scheme="gray", size="2")),
        rx.foreach(dim.statements, _statement),
        rx.cond(
            AnswerState.asks_trend,
            rx.vstack(
                rx.el.label(
                    "Trend of " + dim.name,
                    html_for="trend-" + dim.id.to_string(),
                    class_name="pmo-label",
                ),
                rx.el.select(
                    rx.el.option("No opinion", value=""),
                    *[rx.el.option(label, value=value) for value, label in TRENDS],
                    id="trend-" + dim.id.to_string(),
                    value=dim.trend,
                    on_change=lambda v: AnswerState.set_trend(dim.id, v),
                    disabled=~AnswerState.round_open,
                    class_name="pmo-select",
                ),
                spacing="1",
                align="start",
            ),
        ),
        rx.el.label(
            "Comment on " + dim.name + " (optional)",
            html_for="comment-" + dim.id.to_string(),
            class_name="pmo-label",
        ),
        rx.text_area(
            id="comment-" + dim.id.to_string(),
            default_value=dim.comment,
            on_blur=lambda text: AnswerState.set_comment(dim.id, text),
            read_only=~AnswerState.round_open,
            width="100%",
            rows="2",
        ),
        width="100%",
    )


@rx.page(
    route="/o/[slug]/assessments/answer/[participant_id]",
    title="Answer an assessment",
    on_load=[AuthState.load_workspace, AnswerState.load],
)
@workspace
def answer_page() -> rx.Component:
    return rx.vstack(
        back_link(),
        page_heading("Your answers", "Only you can see them; coaches see team aggregates."),
        rx.cond(AnswerState.round_title == "", error_callout(AnswerState.error)),
        rx.cond(
            AnswerState.round_title != "",
            rx.vstack(
                rx.heading(AnswerState.round_title + " · " + AnswerState.team_name, size="5"),
                rx.hstack(
                    rx.progress(
                        value=rx.cond(
                            AnswerState.total > 0,
                            (AnswerState.answered * 100 / AnswerState.total).to(int),
                            0,
                        ),
                        aria_label="Answered",
                        width="240px",
                    ),
                    rx.text(
                        AnswerState.answered.to_string()
                        + " of "
                        + AnswerState.total.to_string()
                        + " answered",
                        aria_live="polite",
                    ),
                    rx.cond(AnswerState.submitted, rx.badge("submitted", color_scheme="green")),
                    align="center",
                ),
                rx.cond(
                    ~AnswerState.round_open,
                    info_callout("This round is closed; your answers can no longer change."),
                ),
                rx.el.details(
                    rx.el.summary("What the levels mean"),
                    rx.el.dl(
                        rx.foreach(
                            AnswerState.levels,
                            lambda lv: rx.fragment(
                                rx.el.dt(
                                    lv.value.to_string() + " · " + lv.label,
                                    style={"fontWeight": 600, "marginTop": "0.4em"},
                                ),
                                rx.el.dd(lv.description, style={"marginLeft": "1em"}),
                            ),
                        ),
                    ),
                    open=True,
                    style={"width": "100%"},
                ),
                rx.foreach(AnswerState.dimensions, _dimension),
                info_callout(AnswerState.notice),
                error_callout(AnswerState.error),
                rx.cond(
                    AnswerState.round_open,
                    # Kept in reach on a phone: saved answers wait on the server for later.
                    rx.hstack(
                        rx.text(
                            AnswerState.answered.to_string()
                            + " of "
                            + AnswerState.total.to_string(),
                            size="2",
                            color_scheme="gray",
                        ),
                        rx.spacer(),
                        rx.button(
                            "Save and continue later",
                            variant="soft",
                            size="3",
                            on_click=AnswerState.save_for_later,
                        ),
                        rx.button("Submit answers", size="3", on_click=AnswerState.submit),
                        class_name="pmo-sticky-actions",
                        align="center",
                        wrap="wrap",
                    ),
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
