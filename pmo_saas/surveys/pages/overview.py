"""/o/<slug>/surveys: your surveys (everyone); for coaches, launching a survey to teams and
the list of surveys with the response rate per team, open links, reminders, close, re-run as
a new round and delete (confirmed first)."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel
from sqlmodel import Session

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState, tenant_context
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from pmo_saas.surveys.anonymity import DEFAULT_MIN_COMMENTS, DEFAULT_MIN_GROUP
from pmo_saas.surveys.pages.common import section_href
from pmo_saas.surveys.schemas import MySurveyRow, QuestionInput, SurveyRow, TeamProgress
from pmo_saas.ui.components import card, error_callout, field, info_callout, page_heading

INSTRUMENT_CHOICES = [(key, ins.INSTRUMENT_LABELS[key]) for key in ins.INSTRUMENTS]
# How a coach names a custom question's type on its line: "<type>: question | choice | ...".
CUSTOM_KINDS = {
    "agree5": ins.SCALE5,
    "scale5": ins.SCALE5,
    "agree7": ins.SCALE7,
    "scale7": ins.SCALE7,
    "0-10": ins.NPS,
    "nps": ins.NPS,
    "single": ins.SINGLE,
    "multi": ins.MULTI,
    "text": ins.TEXT,
}
CUSTOM_HINT = (
    "One question per line: type, a colon, the question; choices after |. Types: agree5, "
    "agree7, 0-10, single, multi, text. Example: single: Which day suits retros? | Mon | Fri"
)


class TeamChoice(BaseModel):
    id: int
    name: str
    member_count: int


class SurveyItem(BaseModel):
    survey: SurveyRow
    progress: list[TeamProgress]


def parse_custom_questions(text: str) -> list[QuestionInput]:
    """The custom questions typed in the launch form (see CUSTOM_HINT)."""
    questions = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        kind_name, sep, rest = line.partition(":")
        kind = CUSTOM_KINDS.get(kind_name.strip().lower())
        if not sep or kind is None:
            raise ValidationFailed(
                f"Line {n} of the custom questions does not start with a type "
                "(agree5, agree7, 0-10, single, multi or text) and a colon.",
                field="questions",
            )
        prompt, *choices = [part.strip() for part in rest.split("|")]
        options = [(f"o{i}", c) for i, c in enumerate(choices, start=1) if c]
        questions.append(QuestionInput(kind=kind, prompt=prompt, options=options))
    return questions


def _int(form: dict, name: str, default: int) -> int:
    raw = str(form.get(name, "") or "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit():
        raise ValidationFailed("Enter whole numbers for the sizes and days.", field=name)
    return int(raw)


def _coach_overview(
    *, session: Session, ctx: TenantContext
) -> tuple[list[SurveyItem], list[TeamChoice]]:
    items = [
        SurveyItem(
            survey=row,
            progress=services.survey_progress(session=session, ctx=ctx, survey_id=row.id),
        )
        for row in services.list_surveys(session=session, ctx=ctx)
    ]
    teams = [
        TeamChoice(id=t.id, name=t.name, member_count=t.member_count)
        for t in identity.list_teams(session=session, ctx=ctx)
    ]
    return items, teams


class SurveysState(rx.State):
    mine: list[MySurveyRow] = []
    surveys: list[SurveyItem] = []
    teams: list[TeamChoice] = []
    chosen_team_ids: list[int] = []
    instrument: str = ins.WESTRUM
    # The open link just made (shown once; only its hash is stored).
    open_link: str = ""
    open_link_team: str = ""
    confirm_delete_id: int = 0
    confirm_delete_title: str = ""
    error: str = ""
    notice: str = ""

    async def _refresh(self) -> None:
        ctx = await tenant_context(self)
        self.mine = await in_tenant(ctx, services.my_surveys)
        if ctx.has(Role.COACH):
            self.surveys, self.teams = await in_tenant(ctx, _coach_overview)
        else:
            self.surveys, self.teams = [], []

    def _reset_messages(self) -> None:
        self.error = self.notice = ""
        self.open_link = self.open_link_team = ""

    @rx.event
    async def load(self) -> None:
        self._reset_messages()
        self.chosen_team_ids = []
        self.confirm_delete_id, self.confirm_delete_title = 0, ""
        try:
            await self._refresh()
        except DomainError as error:
            self.mine, self.surveys, self.teams = [], [], []
            self.error = str(error)

    @rx.event
    def choose_team(self, team_id: int, chosen: bool) -> None:
        team_id = int(team_id)
        others = [t for t in self.chosen_team_ids if t != team_id]
        self.chosen_team_ids = [*others, team_id] if chosen else others

    @rx.event
    def choose_instrument(self, instrument: str) -> None:
        self.instrument = instrument if instrument in ins.INSTRUMENTS else ins.WESTRUM

    @rx.event
    async def launch(self, form: dict) -> None:
        self._reset_messages()
        open_links = str(form.get("distribution", "personal")) == "open"
        try:
            ctx = await tenant_context(self, Role.COACH)
            questions = (
                parse_custom_questions(str(form.get("questions", "")))
                if self.instrument == ins.CUSTOM
                else None
            )
            await in_tenant(
                ctx,
                services.launch_survey,
                title=str(form.get("title", "")),
                instrument=self.instrument,
                team_ids=list(self.chosen_team_ids),
                questions=questions,
                min_group_size=_int(form, "min_group_size", DEFAULT_MIN_GROUP),
                min_comment_group_size=_int(form, "min_comment_group_size", DEFAULT_MIN_COMMENTS),
                days_open=_int(form, "days_open", 14),
                personal_links=not open_links,
                open_links=open_links,
                open_link_cap=_int(form, "open_link_cap", 0) or None,
            )
            self.chosen_team_ids = []
            await self._refresh()
            if open_links:
                self.notice = (
                    "Survey launched for open links: make each team's link from the list below."
                )
            elif not services.links_deliverable():
                self.notice = services.UNDELIVERED
            else:
                self.notice = (
                    "Survey launched: everyone in the chosen teams got a personal link by email."
                )
        except DomainError as error:
            self.error = str(error)

    async def _coach_action(self, fn, notice: str, **kwargs) -> object:  # type: ignore[no-untyped-def]
        self._reset_messages()
        try:
            ctx = await tenant_context(self, Role.COACH)
            result = await in_tenant(ctx, fn, **kwargs)
            await self._refresh()
            self.notice = notice
            return result
        except (DomainError, ValueError) as error:
            self.error = str(error)
            return None

    @rx.event
    async def close(self, survey_id: int) -> None:
        await self._coach_action(
            services.close_survey,
            "Survey closed: no more answers are collected and its results are ready.",
            survey_id=int(survey_id),
        )

    @rx.event
    async def rerun(self, survey_id: int) -> None:
        await self._coach_action(
            services.rerun_survey,
            "A new round was launched to the same teams; everyone got a new link.",
            survey_id=int(survey_id),
        )

    @rx.event
    async def remind(self, survey_id: int) -> None:
        count = await self._coach_action(
            services.send_reminders, "Reminders sent.", survey_id=int(survey_id)
        )
        if isinstance(count, int):
            self.notice = f"Reminders sent to {count} people who have not answered yet."

    @rx.event
    async def make_open_link(self, survey_id: int, survey_team_id: int, team_name: str) -> None:
        url = await self._coach_action(
            services.create_open_link,
            "Open link created.",
            survey_id=int(survey_id),
            team_id=int(survey_team_id),
        )
        if isinstance(url, str):
            self.open_link, self.open_link_team = url, team_name
            self.notice = (
                f"Open link for {team_name}: each browser answers once through it, up to the "
                "limit set at launch, so share it only with the team. It is shown only now; "
                "a new one replaces it."
            )

    @rx.event
    def ask_delete(self, survey_id: int, title: str) -> None:
        self.confirm_delete_id, self.confirm_delete_title = int(survey_id), title

    @rx.event
    def cancel_delete(self) -> None:
        self.confirm_delete_id, self.confirm_delete_title = 0, ""

    @rx.event
    async def delete_confirmed(self) -> None:
        survey_id, title = self.confirm_delete_id, self.confirm_delete_title
        self.confirm_delete_id, self.confirm_delete_title = 0, ""
        if survey_id:
            await self._coach_action(
                services.delete_survey,
                f"Survey {title} deleted with all its responses.",
                survey_id=survey_id,
            )


# ---------------------------------------------------------------- your surveys


def _my_row(s: MySurveyRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            s.title, rx.cond(s.round_number > 1, " (round " + s.round_number.to_string() + ")", "")
        ),
        rx.table.cell(s.team_name),
        rx.table.cell(rx.badge(s.status, color_scheme=rx.cond(s.status == "open", "blue", "gray"))),
        rx.table.cell(s.closes_at),
        rx.table.cell(
            rx.cond(
                s.results_ready,
                rx.link(
                    "Your team's results",
                    href=section_href("/team/") + s.survey_id.to_string(),
                    aria_label="Your team's results for " + s.title,
                ),
                rx.text("Answer through the link in your email", size="2", color_scheme="gray"),
            )
        ),
    )


def _my_surveys() -> rx.Component:
    return rx.vstack(
        rx.heading("Your surveys", size="4", as_="h2"),
        rx.text(
            "Your answers are stored without your name: only your team is kept. Whether you "
            "answered is known only for reminders.",
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            SurveysState.mine.length() > 0,
            rx.el.section(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Survey", "Team", "Status", "Closes", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(SurveysState.mine, _my_row)),
                    width="100%",
                ),
                aria_label="Your surveys",
                style={"width": "100%"},
            ),
            rx.text("Nobody has asked you to answer a survey yet.", color_scheme="gray"),
        ),
        width="100%",
        align="start",
    )


# ---------------------------------------------------------------- launch


def _launch() -> rx.Component:
    return card(
        rx.heading("Launch a survey", size="4", as_="h2"),
        rx.form(
            rx.vstack(
                field("Survey title", "title", placeholder="How we work, spring"),
                rx.vstack(
                    rx.el.label("Survey type", html_for="field-instrument", class_name="pmo-label"),
                    rx.el.select(
                        *[rx.el.option(label, value=key) for key, label in INSTRUMENT_CHOICES],
                        id="field-instrument",
                        name="instrument",
                        value=SurveysState.instrument,
                        on_change=SurveysState.choose_instrument,
                        class_name="pmo-select",
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.cond(
                    SurveysState.instrument == ins.CUSTOM,
                    rx.vstack(
                        rx.el.label(
                            "Custom questions", html_for="field-questions", class_name="pmo-label"
                        ),
                        rx.text_area(
                            id="field-questions",
                            name="questions",
                            rows="5",
                            width="100%",
                            placeholder="agree5: Our retrospectives lead to change",
                        ),
                        rx.text(CUSTOM_HINT, size="1", color_scheme="gray"),
                        spacing="1",
                        width="100%",
                        align="start",
                    ),
                ),
                rx.el.fieldset(
                    rx.el.legend("Teams", class_name="pmo-label"),
                    rx.hstack(
                        rx.foreach(
                            SurveysState.teams,
                            lambda t: rx.checkbox(
                                t.name + " (" + t.member_count.to_string() + ")",
                                checked=SurveysState.chosen_team_ids.contains(t.id),
                                on_change=lambda checked: SurveysState.choose_team(t.id, checked),
                            ),
                        ),
                        spacing="4",
                        wrap="wrap",
                    ),
                    style={"border": "none", "padding": 0},
                ),
                rx.hstack(
                    field(
                        "Minimum responses per group",
                        "min_group_size",
                        type="number",
                        default_value=str(DEFAULT_MIN_GROUP),
                        min=3,
                        hint="Never below 3.",
                    ),
                    field(
                        "Minimum responses for comments",
                        "min_comment_group_size",
                        type="number",
                        default_value=str(DEFAULT_MIN_COMMENTS),
                        min=3,
                    ),
                    field("Days open", "days_open", type="number", default_value="14", min=1),
                    spacing="4",
                    width="100%",
                    align="start",
                ),
                rx.hstack(
                    rx.vstack(
                        rx.el.label(
                            "How people answer",
                            html_for="field-distribution",
                            class_name="pmo-label",
                        ),
                        rx.el.select(
                            rx.el.option("Personal links by email", value="personal"),
                            rx.el.option("Open links, one per team", value="open"),
                            id="field-distribution",
                            name="distribution",
                            default_value="personal",
                            class_name="pmo-select",
                        ),
                        spacing="1",
                        align="start",
                    ),
                    field(
                        "Open link limit (answers per team)",
                        "open_link_cap",
                        type="number",
                        min=1,
                        required=False,
                        hint="Open links only; empty: the team's size.",
                    ),
                    spacing="4",
                    width="100%",
                    align="start",
                ),
                rx.button("Launch survey", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=SurveysState.launch,
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )


# ---------------------------------------------------------------- list


def _team_progress(item: SurveyItem, p: TeamProgress) -> rx.Component:
    return rx.hstack(
        rx.text(p.team_name, size="2", min_width="8em"),
        rx.progress(
            value=p.response_rate.to(int),
            width="140px",
            aria_label="Response rate of " + p.team_name + " in " + item.survey.title,
        ),
        rx.text(
            p.answered.to_string() + " of " + p.invited.to_string() + " answered",
            rx.cond(
                p.open_responses > 0,
                " · " + p.open_responses.to_string() + " through the open link",
                "",
            ),
            size="2",
        ),
        rx.cond(
            (item.survey.status == "open") & item.survey.open_links,
            rx.button(
                "Open link",
                size="1",
                variant="ghost",
                aria_label="Make an open link for " + p.team_name + " in " + item.survey.title,
                on_click=SurveysState.make_open_link(item.survey.id, p.survey_team_id, p.team_name),
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _survey_row(item: SurveyItem) -> rx.Component:
    s = item.survey
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(s.title, weight="medium"),
                rx.text(
                    s.instrument_label,
                    rx.cond(s.round_number > 1, " · round " + s.round_number.to_string(), ""),
                    size="1",
                    color_scheme="gray",
                ),
                spacing="0",
                align="start",
            )
        ),
        rx.table.cell(
            rx.badge(
                s.status,
                color_scheme=rx.cond(s.status == "open", "blue", "gray"),
                aria_label="Status of " + s.title,
            ),
            rx.text("until " + s.closes_at, size="1", color_scheme="gray"),
        ),
        rx.table.cell(
            rx.vstack(
                rx.foreach(item.progress, lambda p: _team_progress(item, p)),
                spacing="1",
                align="start",
            )
        ),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    s.status == "closed",
                    rx.link(
                        "Results",
                        href=section_href("/results/") + s.id.to_string(),
                        aria_label="Results of " + s.title,
                    ),
                    rx.fragment(
                        rx.button(
                            "Remind",
                            size="1",
                            variant="soft",
                            aria_label="Remind who has not answered " + s.title,
                            on_click=SurveysState.remind(s.id),
                        ),
                        rx.button(
                            "Close",
                            size="1",
                            color_scheme="orange",
                            aria_label="Close " + s.title,
                            on_click=SurveysState.close(s.id),
                        ),
                    ),
                ),
                rx.cond(
                    s.status == "closed",
                    rx.button(
                        "Re-run",
                        size="1",
                        variant="soft",
                        aria_label="Re-run " + s.title + " as a new round",
                        on_click=SurveysState.rerun(s.id),
                    ),
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Delete " + s.title,
                    on_click=SurveysState.ask_delete(s.id, s.title),
                ),
                spacing="2",
                wrap="wrap",
                align="center",
            )
        ),
    )


def _surveys() -> rx.Component:
    return rx.vstack(
        rx.heading("Survey rounds", size="4", as_="h2"),
        rx.el.section(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        *[
                            rx.table.column_header_cell(h)
                            for h in ("Survey", "Status", "Response rate per team", "")
                        ]
                    )
                ),
                rx.table.body(rx.foreach(SurveysState.surveys, _survey_row)),
                width="100%",
            ),
            aria_label="Surveys",
            style={"width": "100%"},
        ),
        rx.text(
            "Results appear once a survey has closed: figures that change while people "
            "answer would let anyone compare them before and after one colleague answers.",
            size="2",
            color_scheme="gray",
        ),
        width="100%",
        align="start",
    )


def _delete_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this survey?"),
            rx.alert_dialog.description(
                "Deleting " + SurveysState.confirm_delete_title + " also deletes all its "
                "responses and comments. This cannot be undone."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Keep it", variant="soft", on_click=SurveysState.cancel_delete)
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete survey and responses",
                        color_scheme="red",
                        on_click=SurveysState.delete_confirmed,
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=SurveysState.confirm_delete_id > 0,
    )


@rx.page(
    route="/o/[slug]/surveys",
    title="Surveys",
    on_load=[AuthState.load_workspace, SurveysState.load],
)
@workspace
def surveys_page() -> rx.Component:
    return rx.vstack(
        page_heading("Surveys", "Culture and engagement, measured without exposing anyone."),
        error_callout(SurveysState.error),
        info_callout(SurveysState.notice),
        rx.cond(
            SurveysState.open_link != "",
            rx.code(
                SurveysState.open_link, aria_label="Open link for " + SurveysState.open_link_team
            ),
        ),
        _my_surveys(),
        rx.cond(
            AuthState.is_coach,
            rx.vstack(_launch(), _surveys(), width="100%", spacing="5"),
        ),
        _delete_dialog(),
        width="100%",
        align="start",
        spacing="5",
    )
