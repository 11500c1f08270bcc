"""The initiatives page's larger pieces: the initiative form fields (shared by the new and the
edit form) and the CSV import card. Pure components; the page passes its state in."""

from __future__ import annotations

from typing import Any

import reflex as rx

from pmo_saas.portfolio.pages.common import MOSCOW_CHOICES, STATUS_CHOICES
from pmo_saas.portfolio.views import ScoreInput
from pmo_saas.ui.components import labelled, labelled_select, region, text_area
from pmo_saas.ui.dialogs import (
    busy_button,
    dialog_actions,
    form_dialog,
    open_button,
    progress_bar,
)
from pmo_saas.ui.pickers import multi_picker

UPLOAD_ID = "portfolio_csv"


DEPENDS_PREFIX = "depends_on__"
SCORE_PREFIX = "score__"


def field_error(
    error: rx.Var[str], error_field: rx.Var[str], what: str, input_id: str
) -> rx.Component:
    """The refusal beside the input it names (a ValidationFailed's `field`, the service's word
    for it: "cost", "start date")."""
    return rx.cond(
        error_field == what,
        rx.text(error, id=input_id + "-error", size="1", color_scheme="red"),
    )


def initiative_fields(
    prefix: str,
    values: rx.vars.ObjectVar | None,
    s: Any,
    selected: rx.Var[list[str]] | None = None,
) -> rx.Component:
    """Inputs named as the service expects (ids differ between the new and the edit dialog);
    a refusal is shown at its field; dependencies are picked from the portfolio's initiatives
    (`s.dependency_choices`), `selected` ticked."""

    def default(key: str) -> rx.Var | str:
        return values[key] if values is not None else ""

    def text(label: str, name: str, *, required: bool = False, type: str = "text") -> rx.Component:
        input_id = f"{prefix}field-{name}"
        what = name.replace("_", " ")
        control = rx.input(
            id=input_id,
            name=name,
            type=type,
            required=required,
            default_value=default(name),
            aria_invalid=rx.cond(s.error_field == what, "true", "false"),
            aria_describedby=rx.cond(s.error_field == what, input_id + "-error", ""),
            width="100%",
        )
        return labelled(
            label,
            input_id,
            control,
            field_error(s.error, s.error_field, what, input_id),
            full_width=True,
        )

    return rx.vstack(
        rx.grid(
            text("Title", "title", required=True),
            text("Owner", "owner"),
            text("Value stream", "value_stream"),
            labelled_select(
                "Status",
                "status",
                STATUS_CHOICES,
                default=default("status") if values is not None else "funnel",
                input_id=f"{prefix}field-status",
            ),
            labelled_select(
                "MoSCoW",
                "moscow",
                MOSCOW_CHOICES,
                default=default("moscow"),
                input_id=f"{prefix}field-moscow",
            ),
            text("Cost", "cost"),
            text("Job size", "job_size"),
            text("Tags (comma separated)", "tags"),
            text("Start date", "start_date", type="date"),
            text("End date", "end_date", type="date"),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        multi_picker(
            "Depends on",
            DEPENDS_PREFIX,
            s.dependency_choices,
            picker_id=f"{prefix}depends-on",
            selected=selected,
            empty="No other initiative in this portfolio yet.",
            hide=s.editing_id.to_string() if values is not None else None,
        ),
        field_error(s.error, s.error_field, "depends_on", f"{prefix}depends-on"),
        labelled(
            "Description",
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
    """The CSV import dialog's content: paste or upload, preview (nothing written), then
    confirm; `s` is the initiatives page state, whose handlers the buttons call."""
    return rx.vstack(
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
            busy_button(
                "Preview import", busy=s.busy == "preview", type="submit", margin_top="0.5em"
            ),
            on_submit=[s.mark_busy("preview"), s.preview_import],
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
            busy_button(
                "Preview uploaded file",
                busy=s.busy == "preview",
                type="button",
                on_click=[
                    s.mark_busy("preview"),
                    s.preview_upload(rx.upload_files(upload_id=UPLOAD_ID)),
                ],
            ),
            align="center",
            wrap="wrap",
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
                            busy_button(
                                "Import " + s.preview_rows.to_string() + " valid row(s)",
                                busy=s.busy == "import",
                                on_click=s.confirm_import,
                            ),
                        ),
                        rx.button("Cancel import", variant="soft", on_click=s.cancel_import),
                    ),
                    progress_bar(
                        "Importing " + s.preview_rows.to_string() + " row(s)…",
                        s.import_progress,
                        shown=s.busy == "import",
                    ),
                    align="start",
                    width="100%",
                ),
            ),
        ),
        width="100%",
        align="start",
    )


def _score_field(s: Any, spec: ScoreInput) -> rx.Component:
    input_id = "edit-score-" + spec.key
    return rx.vstack(
        rx.el.label(spec.label, html_for=input_id, class_name="pmo-label"),
        rx.input(
            id=input_id,
            name=SCORE_PREFIX + spec.key,
            default_value=s.edit_values[SCORE_PREFIX + spec.key],
            placeholder="not scored",
        ),
        spacing="1",
        align="start",
    )


def _score_fields(s: Any) -> rx.Component:
    return rx.cond(
        s.inputs.length() > 0,
        rx.el.fieldset(
            rx.el.legend("Scores (empty: not scored)", class_name="pmo-label"),
            rx.flex(
                rx.foreach(s.inputs, lambda spec: _score_field(s, spec)), wrap="wrap", gap="1em"
            ),
            style={"border": "none", "padding": "0", "margin": "0.5em 0"},
        ),
    )


def new_dialog(s: Any) -> rx.Component:
    return form_dialog(
        "New initiative",
        rx.form(
            initiative_fields("", None, s),
            dialog_actions("Add initiative", busy=s.busy == "create"),
            on_submit=[s.mark_busy("create"), s.create],
            width="100%",
        ),
        open=s.dialog == "new",
        on_open_change=lambda o: s.set_dialog("new", o),
        trigger=open_button("New initiative"),
        error=s.error,
    )


def edit_dialog(s: Any) -> rx.Component:
    return form_dialog(
        "Edit " + s.edit_values["title"],
        rx.form(
            initiative_fields("edit-", s.edit_values, s, s.edit_depends),
            _score_fields(s),
            dialog_actions("Save initiative", busy=s.busy == "save"),
            on_submit=[s.mark_busy("save"), s.save_edit],
            key=s.editing_id.to_string(),
            width="100%",
        ),
        open=s.dialog == "edit",
        on_open_change=lambda o: s.set_dialog("edit", o),
        error=s.error,
    )


def import_dialog(s: Any) -> rx.Component:
    return form_dialog(
        "Import from CSV",
        import_card(s),
        open=s.dialog == "import",
        on_open_change=lambda o: s.set_dialog("import", o),
        trigger=open_button("Import from CSV", variant="outline"),
        error=s.error,
        width="48em",
    )
