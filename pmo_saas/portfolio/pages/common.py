"""Pieces shared by the portfolio pages: route helpers, section navigation, labelled selects."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.portfolio import fields, scoring

STATUS_CHOICES = list(fields.STATUSES.items())
MOSCOW_CHOICES = [("", "Not set"), *scoring.MOSCOW_LABELS.items()]
MODEL_CHOICES = list(scoring.MODELS.items())
RISK_STATUS_CHOICES = [(s, s.capitalize()) for s in fields.RISK_STATUSES]


def id_after(path: str, segment: str) -> int:
    """The number following `segment` in a URL path (0 when absent or not a number)."""
    parts = [p for p in (path or "").split("/") if p]
    for before, value in pairwise(parts):
        if before == segment and value.isdigit():
            return int(value)
    return 0


def portfolio_href(portfolio_id: rx.Var | int, suffix: str = "") -> rx.Var:
    return (
        "/o/" + AuthState.org_slug + "/portfolio/p/" + rx.Var.create(portfolio_id).to(str) + suffix
    )


def portfolio_nav(portfolio_id: rx.Var) -> rx.Component:
    return rx.el.nav(
        rx.hstack(
            rx.link("All portfolios", href="/o/" + AuthState.org_slug + "/portfolio"),
            rx.link("Initiatives", href=portfolio_href(portfolio_id)),
            rx.link("Scoring & ranking", href=portfolio_href(portfolio_id, "/ranking")),
            rx.link("Scoring rounds", href=portfolio_href(portfolio_id, "/rounds")),
            rx.link("Funding & scenarios", href=portfolio_href(portfolio_id, "/funding")),
            rx.link("Risks", href=portfolio_href(portfolio_id, "/risks")),
            spacing="4",
            wrap="wrap",
        ),
        aria_label="Portfolio",
    )


def labelled_select(
    label: str,
    name: str,
    options: list[tuple[str, str]] | rx.Var,
    *,
    default: str | rx.Var = "",
    empty: str = "",
    input_id: str = "",
    **props: Any,
) -> rx.Component:
    """A label tied to a select of (value, label) pairs, or of `Choice`s when a Var."""
    input_id = input_id or f"field-{name}"
    first = [rx.el.option(empty, value="")] if empty else []
    if isinstance(options, list):
        opts = [rx.el.option(text, value=value) for value, text in options]
    else:
        opts = [rx.foreach(options, lambda o: rx.el.option(o.label, value=o.value))]
    return rx.vstack(
        rx.el.label(label, html_for=input_id, class_name="pmo-label"),
        rx.el.select(
            *first,
            *opts,
            id=input_id,
            name=name,
            default_value=default,
            class_name="pmo-select",
            **props,
        ),
        spacing="1",
        align="start",
    )


def text_area(label: str, name: str, *, rows: str = "4", **props: Any) -> rx.Component:
    input_id = f"field-{name}"
    return rx.vstack(
        rx.el.label(label, html_for=input_id, class_name="pmo-label"),
        rx.text_area(id=input_id, name=name, rows=rows, width="100%", **props),
        spacing="1",
        width="100%",
        align="start",
    )


def region(name: str | rx.Var, *children: rx.Component) -> rx.Component:
    return rx.el.section(*children, aria_label=name, style={"width": "100%"})


def header_row(*names: str) -> rx.Component:
    return rx.table.header(rx.table.row(*[rx.table.column_header_cell(n) for n in names]))
