"""Views of survey results for the pages, and the components that draw them (no state here).

Results DTOs from the services are reshaped into lists the browser can iterate: chart rows,
figures already formatted, heat-map colours computed on the server.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from pydantic import BaseModel
from reflex.event import EventSpec

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.kernel.paths import id_after  # noqa: F401  (the pages import it from here)
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.schemas import CommentGroup, GroupResult, HeatRow, SurveyResults
from pmo_saas.ui.charts import BASELINE, PRIMARY, chart_figure, figures_table, row_cells
from pmo_saas.ui.palette import heat_colour


def section_href(suffix: str = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/surveys" + suffix


def back_link() -> rx.Component:
    return rx.link("← All surveys", href=section_href())


def figure(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


# Chart rows are plain dicts (recharts takes a list of records).
ChartRows = list[dict[str, Any]]


class QuestionView(BaseModel):
    prompt: str
    kind: str
    answered: int
    mean: str
    bars: ChartRows
    ocai: ChartRows


class GroupView(BaseModel):
    label: str
    survey_team_id: int = 0
    responses: int
    open_responses: int = 0
    visible: bool
    hidden_reason: str
    headline_label: str
    headline_value: str
    headline_detail: str
    # "Whole organisation: 4.20" beside a team's own figure ("" when not comparable).
    comparison: str
    ocai: ChartRows
    questions: list[QuestionView]
    question_count: int = 0
    # A team as the results list it: its questions' bars are read when they are opened.
    bars_pending: bool = False
    comments: list[CommentGroup]
    comments_hidden_reason: str


class HeatCellView(BaseModel):
    text: str
    background: str
    label: str


class HeatRowView(BaseModel):
    label: str
    visible: bool
    hidden_reason: str
    cells: list[HeatCellView]


def _ocai_rows(split: dict[str, dict[str, float]]) -> ChartRows:
    if not split:
        return []
    return [
        {
            "culture": ins.CULTURE_LABELS[c],
            "now": split.get("now", {}).get(c, 0.0),
            "preferred": split.get("preferred", {}).get(c, 0.0),
        }
        for c in ins.CULTURE_TYPES
    ]


def _digits(instrument: str) -> int:
    return 1 if instrument == ins.ENPS else 2


def group_view(group: GroupResult, org: GroupResult | None, instrument: str) -> GroupView:
    headline = group.headline
    value = headline.value if headline else None
    comparison = ""
    if (
        org is not None
        and org is not group
        and group.visible
        and org.visible
        and org.headline is not None
        and org.headline.value is not None
        and value is not None
    ):
        delta = value - org.headline.value
        comparison = (
            f"Whole organisation: {figure(org.headline.value, _digits(instrument))} "
            f"({delta:+.{_digits(instrument)}f})"
        )
    elif org is not None and org is not group and group.visible and not org.visible:
        comparison = "The whole organisation's figure is hidden (see below)."
    return GroupView(
        label=group.label,
        survey_team_id=group.survey_team_id or 0,
        responses=group.responses,
        open_responses=group.open_responses,
        visible=group.visible,
        hidden_reason=group.hidden_reason,
        headline_label=headline.label if headline else "",
        headline_value=figure(value, _digits(instrument)) if headline else "",
        headline_detail=headline.detail if headline else "",
        comparison=comparison,
        ocai=_ocai_rows(headline.ocai) if headline else [],
        questions=[
            QuestionView(
                prompt=q.prompt,
                kind=q.kind,
                answered=q.answered,
                mean="" if q.mean is None else figure(q.mean),
                bars=[b.model_dump() for b in q.bars],
                ocai=_ocai_rows(q.split),
            )
            for q in group.questions
            if not group.bars_omitted
        ],
        question_count=len(group.questions),
        bars_pending=group.bars_omitted,
        comments=[c for c in group.comments if c.comments],
        comments_hidden_reason=group.comments_hidden_reason,
    )


def heat_rows(results: SurveyResults, kinds: dict[str, str]) -> list[HeatRowView]:
    def row(r: HeatRow) -> HeatRowView:
        cells = []
        for cell in r.cells:
            kind = kinds.get(cell.question_key, ins.SCALE5)
            low, high = ins.SCALE_RANGE.get(kind, (1, 5))
            text = figure(cell.value) if r.visible else "hidden"
            cells.append(
                HeatCellView(
                    text=text,
                    background=heat_colour(cell.value, low, high),
                    label=f"{r.label}, {cell.question_key}: {text}",
                )
            )
        return HeatRowView(
            label=r.label, visible=r.visible, hidden_reason=r.hidden_reason, cells=cells
        )

    return [row(r) for r in results.heatmap]


# ---------------------------------------------------------------- components


def _bars_chart(q: QuestionView, name: rx.Var) -> rx.Component:
    # Horizontal bars: every answer label stays readable, even the 7-point scale's.
    return chart_figure(
        name,
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", horizontal=False),
            rx.recharts.x_axis(type_="number", unit="%", allow_decimals=False, domain=[0, 100]),
            rx.recharts.y_axis(
                data_key="label", type_="category", width=150, interval=0, tick={"fontSize": 12}
            ),
            rx.recharts.tooltip(),
            rx.recharts.bar(
                data_key="percent", name="Share of answers", fill=PRIMARY, is_animation_active=False
            ),
            data=q.bars,
            layout="vertical",
            width="100%",
            height=rx.cond(q.bars.length() > 7, 300, 200),
        ),
        figures_table(
            ["Answer", "Answers", "Share (%)"], q.bars, row_cells("label", "count", "percent")
        ),
        max_width="560px",
    )


def _ocai_chart(rows: rx.Var[ChartRows], name: str | rx.Var) -> rx.Component:
    return chart_figure(
        name,
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
            rx.recharts.x_axis(data_key="culture", tick={"fontSize": 11}, interval=0),
            rx.recharts.y_axis(allow_decimals=False, domain=[0, 100]),
            rx.recharts.tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="now", name="Now", fill=BASELINE, is_animation_active=False),
            rx.recharts.bar(
                data_key="preferred", name="Preferred", fill=PRIMARY, is_animation_active=False
            ),
            data=rows,
            width="100%",
            height=260,
        ),
        figures_table(
            ["Culture type", "Now", "Preferred"], rows, row_cells("culture", "now", "preferred")
        ),
    )


def _question(q: QuestionView, group: GroupView) -> rx.Component:
    return rx.vstack(
        rx.text(q.prompt, weight="medium"),
        rx.text(
            q.answered.to_string() + " answered",
            rx.cond(q.mean != "", " · mean " + q.mean, ""),
            size="2",
            color_scheme="gray",
        ),
        rx.cond(
            q.kind == ins.OCAI_SPLIT,
            _ocai_chart(q.ocai, "Culture profile of " + group.label + ": " + q.prompt),
            _bars_chart(q, "Distribution of " + q.prompt + " in " + group.label),
        ),
        width="100%",
        align="start",
        spacing="1",
    )


def _comments(group: GroupView) -> rx.Component:
    return rx.el.section(
        rx.heading("Comments", size="3", as_="h4"),
        rx.cond(
            group.comments.length() > 0,
            rx.foreach(
                group.comments,
                lambda cg: rx.vstack(
                    rx.text(cg.prompt, size="2", color_scheme="gray"),
                    rx.unordered_list(rx.foreach(cg.comments, lambda c: rx.list_item(c))),
                    align="start",
                    spacing="1",
                ),
            ),
            rx.text(
                rx.cond(
                    group.comments_hidden_reason != "",
                    group.comments_hidden_reason,
                    "No comments.",
                ),
                size="2",
                color_scheme="gray",
            ),
        ),
        aria_label="Comments of " + group.label,
        style={"width": "100%"},
    )


def group_card(
    group: GroupView, *, details: bool = True, open_answers: EventSpec | None = None
) -> rx.Component:
    """One group's results, or the reason they are hidden; `open_answers` reads a listed
    team's bars when its "Answers per question" is opened."""
    summary = rx.el.summary(
        "Answers per question (" + group.question_count.to_string() + ")",
        **({"on_click": open_answers} if open_answers is not None else {}),
    )
    return rx.el.section(
        card_box(
            rx.hstack(
                rx.heading(group.label, size="4", as_="h3"),
                rx.badge(group.responses.to_string() + " responses"),
                rx.cond(
                    group.open_responses > 0,
                    rx.badge(
                        group.open_responses.to_string() + " through open links",
                        color_scheme="gray",
                    ),
                ),
                rx.cond(~group.visible, rx.badge("hidden", color_scheme="orange")),
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                group.visible,
                rx.vstack(
                    rx.cond(
                        group.headline_label != "",
                        rx.vstack(
                            rx.hstack(
                                rx.text(group.headline_label + ":", weight="medium"),
                                rx.cond(
                                    group.headline_value != "",
                                    rx.text(group.headline_value, weight="bold", size="5"),
                                ),
                                align="baseline",
                            ),
                            rx.cond(
                                group.headline_detail != "",
                                rx.text(group.headline_detail, size="2", color_scheme="gray"),
                            ),
                            rx.cond(group.comparison != "", rx.text(group.comparison, size="2")),
                            rx.cond(
                                group.ocai.length() > 0,
                                _ocai_chart(group.ocai, "Culture profile of " + group.label),
                            ),
                            align="start",
                            spacing="1",
                            width="100%",
                        ),
                    ),
                    (
                        rx.el.details(
                            summary,
                            rx.vstack(
                                rx.cond(
                                    group.bars_pending,
                                    rx.text("Loading the answers…", size="2", color_scheme="gray"),
                                ),
                                rx.foreach(group.questions, lambda q: _question(q, group)),
                                spacing="4",
                                width="100%",
                                padding_bottom="1em",
                            ),
                            class_name="pmo-disclosure",
                        )
                        if details
                        else rx.fragment()
                    ),
                    _comments(group),
                    align="start",
                    width="100%",
                    spacing="3",
                ),
                rx.text(group.hidden_reason, role="note"),
            ),
        ),
        aria_label="Results of " + group.label,
        style={"width": "100%"},
    )


def card_box(*children: rx.Component) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", align="start", width="100%"), width="100%")
