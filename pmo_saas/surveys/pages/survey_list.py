"""The surveys page's list of survey rounds for coaches (response rate per team, open links,
reminders, close, re-run, delete) and the delete confirmation. Pure components; the page
passes its state in."""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel

from pmo_saas.surveys.pages.common import section_href
from pmo_saas.surveys.schemas import SurveyRow, TeamProgress
from pmo_saas.ui.dialogs import busy_button, confirm_dialog
from pmo_saas.ui.empty import action_link, empty_state


class SurveyItem(BaseModel):
    survey: SurveyRow
    progress: list[TeamProgress]


def _team_progress(s: Any, item: SurveyItem, p: TeamProgress) -> rx.Component:
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
                on_click=s.make_open_link(item.survey.id, p.survey_team_id, p.team_name),
            ),
        ),
        align="center",
        spacing="3",
        wrap="wrap",
    )


def _survey_row(state: Any, item: SurveyItem) -> rx.Component:
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
                rx.foreach(item.progress, lambda p: _team_progress(state, item, p)),
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
                        busy_button(
                            "Remind",
                            busy=state.busy == "remind-" + s.id.to_string(),
                            size="1",
                            variant="soft",
                            aria_label="Remind who has not answered " + s.title,
                            on_click=[
                                state.mark_busy("remind-" + s.id.to_string()),
                                state.remind(s.id),
                            ],
                        ),
                        confirm_dialog(
                            busy_button(
                                "Close",
                                busy=state.busy == "close-" + s.id.to_string(),
                                size="1",
                                color_scheme="orange",
                                aria_label="Close " + s.title,
                            ),
                            title="Close the survey " + s.title + "?",
                            description="Nobody can answer it any more and its results are "
                            "fixed. This cannot be undone.",
                            confirm_label="Close survey",
                            on_confirm=[
                                state.mark_busy("close-" + s.id.to_string()),
                                state.close(s.id),
                            ],
                            danger=False,
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
                        on_click=state.rerun(s.id),
                    ),
                ),
                rx.button(
                    "Delete",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    aria_label="Delete " + s.title,
                    on_click=state.ask_delete(s.id, s.title),
                ),
                spacing="2",
                wrap="wrap",
                align="center",
            )
        ),
    )


def survey_rounds(s: Any) -> rx.Component:
    return rx.vstack(
        rx.heading("Survey rounds", size="4", as_="h2"),
        rx.el.section(
            rx.cond(
                s.surveys.length() == 0,
                empty_state(
                    "No survey yet",
                    "Surveys measure culture and engagement (Westrum, eNPS, team health, OCAI or "
                    "your own questions) without exposing anyone: answers are stored without names "
                    "and shown only for groups large enough.",
                    action_link("Launch your first survey", "#launch-survey"),
                    icon="clipboard-list",
                ),
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[
                                rx.table.column_header_cell(h)
                                for h in ("Survey", "Status", "Response rate per team", "")
                            ]
                        )
                    ),
                    rx.table.body(rx.foreach(s.surveys, lambda item: _survey_row(s, item))),
                    width="100%",
                ),
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


def delete_dialog(s: Any) -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Delete this survey?"),
            rx.alert_dialog.description(
                "Deleting " + s.confirm_delete_title + " also deletes all its "
                "responses and comments. This cannot be undone."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button("Keep it", variant="soft", on_click=s.cancel_delete)
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Delete survey and responses",
                        color_scheme="red",
                        on_click=s.delete_confirmed,
                    )
                ),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=s.confirm_delete_id > 0,
    )
