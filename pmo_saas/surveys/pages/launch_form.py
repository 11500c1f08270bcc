"""The surveys page's launch form: the card coaches fill in, and reading what they typed (the
custom questions, the sizes and days). Pure components; the page passes its state in."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.kernel.anonymity import DEFAULT_MIN_COMMENTS, DEFAULT_MIN_GROUP
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys import services
from pmo_saas.surveys.schemas import QuestionInput
from pmo_saas.ui.components import card, field
from pmo_saas.ui.dialogs import busy_button

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


def reminder_days(form: dict) -> list[int] | None:
    """The schedule field: absent means the default (3 and 7 days), empty means none."""
    if "reminder_days" not in form:
        return None
    return services.parse_reminder_days(str(form.get("reminder_days") or ""))


def whole_number(form: dict, name: str, default: int) -> int:
    """A whole number typed in the form (`default` when left empty)."""
    raw = str(form.get(name, "") or "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit():
        raise ValidationFailed("Enter whole numbers for the sizes and days.", field=name)
    return int(raw)


def launch_card(s: Any) -> rx.Component:
    """The launch form; `s` is the surveys page's state (its instrument and chosen teams)."""
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
                        value=s.instrument,
                        on_change=s.choose_instrument,
                        class_name="pmo-select",
                    ),
                    spacing="1",
                    align="start",
                ),
                rx.cond(
                    s.instrument == ins.CUSTOM,
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
                            s.teams,
                            lambda t: rx.checkbox(
                                t.name + " (" + t.member_count.to_string() + ")",
                                checked=s.chosen_team_ids.contains(t.id),
                                on_change=lambda checked: s.choose_team(t.id, checked),
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
                    field(
                        "Reminders (days after launch)",
                        "reminder_days",
                        default_value=", ".join(str(d) for d in services.DEFAULT_REMINDER_DAYS),
                        required=False,
                        hint="Only to those who have not answered; empty: no reminders.",
                    ),
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
                busy_button("Launch survey", busy=s.busy == "launch", type="submit"),
                spacing="3",
                align="start",
                width="100%",
            ),
            on_submit=[s.mark_busy("launch"), s.launch],
            reset_on_submit=False,
            width="100%",
        ),
        width="100%",
    )
