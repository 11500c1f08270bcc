"""/s/<token>: answering a survey through a personal link (from the email) or an open link.

Public: no account and no sign-in. The token identifies the invitation (or the team, for an
open link) only to check that it may answer; the stored response carries neither. The form
is read as a whole on submit, so answering costs one round trip.

The token never stays in Reflex's state (persisted to disk or Redis): `/s/<token>` swaps it
for a sealed, short-lived handle in a backend var (useless without the server's secret),
scrubs the URL from the state's router data and sends the browser on to `/s` (replacing the
history entry), so no later event carries the token either. An open link's browser keeps a
random key in its localStorage: a reload brings the same key back, so it answers once.
"""

from __future__ import annotations

import secrets
from typing import Any

import reflex as rx
from pydantic import BaseModel
from reflex.event import EventSpec

from pmo_saas.identity.link_tokens import forget_route
from pmo_saas.identity.page_state import PublicPage, unproxied
from pmo_saas.identity.shell import public
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import sealing, services
from pmo_saas.surveys.schemas import QuestionForm, WeDidNote
from pmo_saas.surveys.wedid.pages import since_last_survey
from pmo_saas.ui.components import Choice, card, error_callout, page_heading

SEP = "::"
ANSWER_ROUTE = "/s"
EXPIRED = "This page has been open too long. Open the link from your mail (or the open link) again."


class FormQuestion(BaseModel):
    key: str
    kind: str
    prompt: str
    required: bool
    choices: list[Choice]


def form_question(q: QuestionForm) -> FormQuestion:
    if q.kind in ins.NUMERIC_KINDS:
        low, _ = ins.SCALE_RANGE[q.kind]
        choices = [Choice(value=str(low + i), label=label) for i, label in enumerate(q.scale)]
    else:
        choices = [Choice(value=k, label=label) for k, label in q.options]
    return FormQuestion(
        key=q.key, kind=q.kind, prompt=q.prompt, required=q.required, choices=choices
    )


def answers_from_form(questions: list[FormQuestion], form: dict[str, Any]) -> dict[str, Any]:
    """The answers dict the service checks, from the submitted form's fields."""
    answers: dict[str, Any] = {}
    for q in questions:
        if q.kind == ins.MULTI:
            chosen = [c.value for c in q.choices if form.get(f"{q.key}{SEP}{c.value}")]
            if chosen:
                answers[q.key] = chosen
        elif q.kind == ins.OCAI_SPLIT:
            answers[q.key] = {
                phase: {
                    c.value: str(form.get(f"{q.key}{SEP}{phase}{SEP}{c.value}", "")).strip() or "0"
                    for c in q.choices
                }
                for phase in ins.PHASES
            }
        else:
            value = form.get(q.key)
            if value not in (None, ""):
                answers[q.key] = value
    return answers


class RespondState(PublicPage, rx.State):
    title: str = ""
    team_name: str = ""
    closes_at: str = ""
    personal: bool = True
    questions: list[FormQuestion] = []
    # What the team's last round committed (no names): read before answering.
    we_did: list[WeDidNote] = []
    submitted: bool = False
    # Open links: this browser's key, kept in its localStorage (a reload brings it back).
    browser_key: str = rx.LocalStorage("", name="pmo_survey_browser")
    # The link's token, sealed by the server and expiring (see sealing.page_handle).
    _handle: str = ""
    # This filled-in form's receipt key: its retry (the reply lost with a crashed server) is
    # told the answers were already received.
    _form_key: str = ""

    @rx.event
    def open_link(self) -> EventSpec:
        """On `/s/<token>`: keep the token only sealed, forget the URL, go on to `/s`."""
        token = self.router.url.path.rstrip("/").split("/")[-1]
        self._handle = sealing.page_handle(token) if 0 < len(token) <= 200 else ""
        forget_route(self, ANSWER_ROUTE)
        return rx.redirect(ANSWER_ROUTE, replace=True)

    def _token(self) -> str:
        try:
            return sealing.token_from_handle(self._handle)
        except sealing.Unsealable:
            return ""

    @rx.event
    async def load(self) -> None:
        forget_route(self, ANSWER_ROUTE)
        self.error, self.notice, self.submitted = "", "", False
        self._form_key = secrets.token_urlsafe(18)
        if not self.browser_key:
            self.browser_key = secrets.token_urlsafe(24)
        token = self._token()
        if not token:
            self.title, self.questions, self.we_did = "", [], []
            self.error = EXPIRED if self._handle else str(services.InvalidLink())
            return
        form = await self._run(
            services.load_survey_form, token=token, submission_key=self.browser_key
        )
        if form is None:
            self.title, self.questions, self.we_did = "", [], []
            return
        self.title, self.team_name, self.closes_at = form.title, form.team_name, form.closes_at
        self.personal = form.personal
        self.questions = [form_question(q) for q in form.questions]
        self.we_did = form.we_did

    @rx.event
    async def submit(self, form: dict) -> None:
        if self.submitted:  # the same form again: already counted; said again (a lost reply)
            self.submitted = True
            return
        self.error = ""
        forget_route(self, ANSWER_ROUTE)
        token = self._token()
        if not token:
            self.error = EXPIRED
            return
        await self._run(
            services.submit_response,
            # A retry of this form finding its answers stored: "already received", a notice.
            already_done=services.AlreadyReceived,
            token=token,
            answers=answers_from_form(unproxied(self.questions), form),
            # Used for open links only (a personal link is its own once-only key).
            submission_key=self.browser_key,
            form_key=self._form_key,
        )
        self.submitted = not self.error


# ---------------------------------------------------------------- components


def _options(q: FormQuestion, kind: str) -> rx.Component:
    # One clear vertical scale on a phone (a grid of equal cells from a tablet up): every
    # option is a whole-row target at least 44px tall, so labels never wrap unevenly.
    def option(c: Choice) -> rx.Component:
        control = (
            rx.el.input(type="radio", name=q.key, value=c.value, required=q.required)
            if kind == "radio"
            else rx.el.input(type="checkbox", name=q.key + SEP + c.value, value="on")
        )
        return rx.el.label(control, rx.text(c.label, as_="span", size="2"), class_name="pmo-option")

    return rx.el.div(rx.foreach(q.choices, option), class_name="pmo-scale")


def _ocai(q: FormQuestion) -> rx.Component:
    def points(c: Choice, phase: str) -> rx.Component:
        return rx.el.input(
            type="number",
            name=q.key + SEP + phase + SEP + c.value,
            min=0,
            max=100,
            step=1,
            default_value="25",
            aria_label=phase.capitalize() + ": " + c.label,
            style={"width": "5em"},
        )

    return rx.vstack(
        rx.text(
            "Split 100 points between the four statements, once for how it is now and once "
            "for how you would like it to be.",
            size="1",
            color_scheme="gray",
        ),
        rx.el.table(
            rx.el.thead(rx.el.tr(rx.el.th("Statement"), rx.el.th("Now"), rx.el.th("Preferred"))),
            rx.el.tbody(
                rx.foreach(
                    q.choices,
                    lambda c: rx.el.tr(
                        rx.el.td(c.label),
                        rx.el.td(points(c, "now")),
                        rx.el.td(points(c, "preferred")),
                    ),
                )
            ),
        ),
        align="start",
    )


def _question(q: FormQuestion, index: rx.Var[int]) -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend(
            rx.el.span(
                "Question "
                + (index + 1).to_string()
                + " of "
                + RespondState.questions.length().to_string(),
                class_name="pmo-step",
            ),
            q.prompt,
            style={"fontWeight": 500, "marginBottom": "0.5em"},
        ),
        rx.match(
            q.kind,
            (
                ins.TEXT,
                rx.text_area(name=q.key, rows="3", width="100%", aria_label=q.prompt),
            ),
            (ins.MULTI, _options(q, "checkbox")),
            (ins.OCAI_SPLIT, _ocai(q)),
            _options(q, "radio"),
        ),
        style={"border": "none", "padding": "0.75em 0", "width": "100%", "margin": 0},
    )


def _answered_so_far() -> rx.Component:
    # Counted in the browser (assets/survey_draft.js): nothing leaves it before "Send my
    # answers", so an unsent answer is never stored, nor linked to the link it came by.
    return rx.text(
        rx.el.span("0", class_name="pmo-answered"),
        " of " + RespondState.questions.length().to_string() + " questions answered",
        size="2",
        color_scheme="gray",
    )


@rx.page(route="/s/[token]", title="Survey", on_load=RespondState.open_link)
@public
def open_link_page() -> rx.Component:
    return rx.vstack(page_heading("Your view, anonymously"), rx.text("Opening the survey…"))


@rx.page(route=ANSWER_ROUTE, title="Survey", on_load=RespondState.load)
@public
def respond_page() -> rx.Component:
    return rx.vstack(
        page_heading("Your view, anonymously"),
        rx.cond(
            RespondState.submitted,
            rx.callout(
                rx.cond(
                    RespondState.notice != "",
                    RespondState.notice,
                    "Thank you: your answers were received and count once. They are stored "
                    "without your name; results are shown only for groups large enough to keep "
                    "everyone anonymous.",
                ),
                icon="check",
                color_scheme="green",
                role="status",
                width="100%",
            ),
        ),
        error_callout(RespondState.error),
        rx.cond(
            (RespondState.title != "") & ~RespondState.submitted,
            since_last_survey(RespondState.we_did),
        ),
        rx.cond(
            (RespondState.title != "") & ~RespondState.submitted,
            card(
                rx.heading(RespondState.title, size="5", as_="h2"),
                rx.text(
                    rx.cond(
                        RespondState.team_name != "", "For " + RespondState.team_name + " · ", ""
                    ),
                    "open until ",
                    RespondState.closes_at,
                    size="2",
                    color_scheme="gray",
                ),
                rx.text(
                    "Nobody, not even the people running the survey, can see what you answer: "
                    "your response is stored without your name or account, only with your team.",
                    size="2",
                ),
                rx.text(
                    "Your answers stay in this tab until you send them (a reload keeps them; "
                    "closing the tab forgets them).",
                    size="2",
                    color_scheme="gray",
                ),
                rx.form(
                    rx.vstack(
                        rx.foreach(RespondState.questions, _question),
                        rx.hstack(
                            _answered_so_far(),
                            rx.spacer(),
                            rx.button("Send my answers", type="submit", size="3"),
                            class_name="pmo-sticky-actions",
                            align="center",
                            wrap="wrap",
                        ),
                        width="100%",
                        align="start",
                        spacing="3",
                    ),
                    on_submit=RespondState.submit,
                    reset_on_submit=False,
                    class_name="pmo-survey-form",
                    custom_attrs={"data-draft": RespondState.title + "|" + RespondState.closes_at},
                    width="100%",
                ),
                width="100%",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )
