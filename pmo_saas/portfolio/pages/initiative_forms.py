"""The initiatives page's larger pieces: the initiative form fields (shared by the new and the
edit form) and the CSV import card. Pure components; the page passes its state in."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.portfolio.pages.common import MOSCOW_CHOICES, STATUS_CHOICES
from pmo_saas.ui.components import card, labelled, labelled_select, region, text_area

UPLOAD_ID = "portfolio_csv"


def initiative_fields(prefix: str, values: rx.vars.ObjectVar | None) -> rx.Component:
    """Inputs named as the service expects; ids and labels differ between the two forms."""

    def default(key: str) -> rx.Var | str:
        return values[key] if values is not None else ""

    word = "Edit " if prefix else ""

    def text(label: str, name: str, *, required: bool = False, type: str = "text") -> rx.Component:
        input_id = f"{prefix}field-{name}"
        control = rx.input(
            id=input_id,
            name=name,
            type=type,
            required=required,
            default_value=default(name),
            width="100%",
        )
        return labelled(
            word + label.lower() if word else label, input_id, control, min_width="10em"
        )

    return rx.vstack(
        rx.hstack(
            text("Title", "title", required=True),
            text("Owner", "owner"),
            text("Value stream", "value_stream"),
            labelled_select(
                "Edit status" if word else "Status",
                "status",
                STATUS_CHOICES,
                default=default("status") if values is not None else "funnel",
                input_id=f"{prefix}field-status",
            ),
            labelled_select(
                "Edit MoSCoW" if word else "MoSCoW",
                "moscow",
                MOSCOW_CHOICES,
                default=default("moscow"),
                input_id=f"{prefix}field-moscow",
            ),
            wrap="wrap",
            width="100%",
            align="end",
        ),
        rx.hstack(
            text("Cost", "cost"),
            text("Job size", "job_size"),
            text("Start date", "start_date", type="date"),
            text("End date", "end_date", type="date"),
            text("Tags (comma separated)", "tags"),
            text("Depends on (titles, comma separated)", "depends_on"),
            wrap="wrap",
            width="100%",
            align="end",
        ),
        labelled(
            "Edit description" if word else "Description",
            f"{prefix}field-description",
            rx.text_area(
                id=f"{prefix}field-description",
                name="description",
                default_value=default("description"),
                rows="2",
                width="100%",
            ),
            full_width=True,
        ),
        width="100%",
        align="start",
    )


def import_card(s: Any) -> rx.Component:
    """The CSV import: paste or upload, preview (nothing written), then confirm; `s` is the
    initiatives page state, whose handlers the buttons call."""
    return card(
        rx.heading("Import from CSV", size="4", as_="h2"),
        rx.text(
            "Columns: title, description, owner, value_stream, status, cost, moscow, tags, "
            "depends_on, and the scoring inputs (business_value, time_criticality, "
            "risk_reduction, job_size, reach, impact, confidence, effort). Nothing is written "
            "until you confirm the preview.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            text_area("CSV to import", "csv", rows="6"),
            rx.button("Preview import", type="submit", margin_top="0.5em"),
            on_submit=s.preview_import,
            width="100%",
        ),
        rx.hstack(
            rx.upload(
                rx.hstack(
                    rx.button("Choose a CSV file", type="button", variant="outline"),
                    rx.text(
                        rx.foreach(rx.selected_files(UPLOAD_ID), lambda f: rx.text(f, as_="span")),
                        size="2",
                    ),
                    align="center",
                ),
                id=UPLOAD_ID,
                accept={"text/csv": [".csv"], "text/plain": [".txt"]},
                max_files=1,
                multiple=False,
                no_drag=False,
                border="1px dashed var(--gray-7)",
                padding="0.5em",
            ),
            rx.button(
                "Preview uploaded file",
                type="button",
                on_click=s.preview_upload(rx.upload_files(upload_id=UPLOAD_ID)),
            ),
            align="center",
        ),
        rx.cond(
            s.previewing,
            region(
                "Import preview",
                rx.vstack(
                    rx.text(s.preview_rows.to_string() + " row(s) ready to import."),
                    rx.cond(
                        s.preview_file_errors.length() > 0,
                        rx.callout(
                            rx.foreach(s.preview_file_errors, lambda e: rx.text(e)),
                            color_scheme="red",
                            icon="triangle_alert",
                        ),
                    ),
                    rx.cond(
                        s.preview_errors.length() > 0,
                        region(
                            "Import problems",
                            rx.unordered_list(
                                rx.foreach(
                                    s.preview_errors,
                                    lambda e: rx.list_item(
                                        "Line " + e.row.to_string() + ": " + e.message
                                    ),
                                )
                            ),
                        ),
                    ),
                    rx.hstack(
                        rx.cond(
                            (s.preview_file_errors.length() == 0) & (s.preview_rows > 0),
                            rx.button(
                                "Import " + s.preview_rows.to_string() + " valid row(s)",
                                on_click=s.confirm_import,
                            ),
                        ),
                        rx.button("Cancel import", variant="soft", on_click=s.cancel_import),
                    ),
                    align="start",
                    width="100%",
                ),
            ),
        ),
        width="100%",
    )
