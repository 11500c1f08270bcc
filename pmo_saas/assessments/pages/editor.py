"""/o/<slug>/assessments/models/<id>: adapt a model (dimensions, statements, levels).

Saving a version that a round has used makes a new version; the page says so beforehand.
"""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.assessments.pages.common import back_link, id_after
from pmo_saas.assessments.schemas import DimensionInput, LevelInput, LevelRow, ModelVersionDetail
from pmo_saas.assessments.services import catalog
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.ui.components import (
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    page_heading,
)
from pmo_saas.ui.dialogs import confirm_button
from pmo_saas.ui.dnd import reorder_buttons


class EditDimension(BaseModel):
    key: str = ""
    name: str = ""
    description: str = ""
    statements: str = ""  # one statement a line


class ModelEditorState(WorkspacePage, rx.State):
    model_name: str = ""
    description: str = ""
    kind: str = ""
    version_number: int = 0
    locked: bool = False
    builtin: bool = False
    levels: list[LevelRow] = []
    dimensions: list[EditDimension] = []

    def _model_id(self) -> int:
        return id_after(self.router.url.path, "models")

    def _show(self, detail: ModelVersionDetail) -> None:
        self.model_name, self.description, self.kind = detail.name, detail.description, detail.kind
        self.version_number, self.locked = detail.number, detail.locked
        self.builtin = detail.builtin_key is not None
        self.levels = list(detail.levels)
        self.dimensions = [
            EditDimension(
                key=d.key,
                name=d.name,
                description=d.description,
                statements="\n".join(s.text for s in d.statements),
            )
            for d in detail.dimensions
        ]

    async def _refresh(self, ctx: TenantContext) -> None:
        self._show(await in_tenant(ctx, catalog.latest_model_version, model_id=self._model_id()))

    def _on_failed_load(self) -> None:
        self.model_name, self.levels, self.dimensions = "", [], []

    @rx.event
    async def load(self) -> None:
        await self._load(Role.COACH)

    @rx.event
    def set_model_name(self, value: str) -> None:
        self.model_name = value

    @rx.event
    def set_description(self, value: str) -> None:
        self.description = value

    @rx.event
    def set_level(self, index: int, part: str, value: str) -> None:
        levels = [lv.model_copy() for lv in self.levels]
        if 0 <= int(index) < len(levels) and part in ("label", "description"):
            setattr(levels[int(index)], part, value)
            self.levels = levels

    @rx.event
    def set_dimension(self, index: int, part: str, value: str) -> None:
        dims = [d.model_copy() for d in self.dimensions]
        if 0 <= int(index) < len(dims) and part in ("name", "description", "statements"):
            setattr(dims[int(index)], part, value)
            self.dimensions = dims

    @rx.event
    def add_level(self) -> None:
        value = len(self.levels) + 1
        self.levels = [*self.levels, LevelRow(value=value, label=f"Level {value}")]

    @rx.event
    def remove_last_level(self) -> None:
        self.levels = self.levels[:-1]

    @rx.event
    def add_dimension(self) -> None:
        self.dimensions = [*self.dimensions, EditDimension(name="New dimension")]

    @rx.event
    def move_dimension(self, index: int, step: int) -> None:
        """One place earlier (-1) or later (+1): the order rounds, radars and heat maps show
        the dimensions in, stored when the model is saved."""
        try:
            at, to = int(index), int(index) + int(step)
        except (TypeError, ValueError):
            at, to = -1, -1
        if to - at not in (-1, 1) or not (0 <= at < len(self.dimensions)):
            self._refuse("That dimension cannot move there.")
            return
        if not 0 <= to < len(self.dimensions):
            self._refuse("It is already " + ("first." if to < 0 else "last."))
            return
        dims = list(self.dimensions)
        dims[at], dims[to] = dims[to], dims[at]
        self.dimensions = dims
        self.notice = f"“{dims[to].name}” is now dimension {to + 1} of {len(dims)} (not saved yet)."

    @rx.event
    def remove_dimension(self, index: int) -> None:
        at = int(index)
        if not 0 <= at < len(self.dimensions):
            self._refuse("That dimension is no longer in the model.")
            return
        removed = self.dimensions[at].name or f"Dimension {at + 1}"
        self.dimensions = [d for i, d in enumerate(self.dimensions) if i != at]
        self.error = ""
        self.notice = f"“{removed}” removed (not saved yet)."

    @rx.event
    async def save(self) -> None:
        before = self.version_number
        await self._act(
            catalog.update_model,
            minimum=Role.COACH,
            model_id=self._model_id(),
            name=self.model_name,
            description=self.description,
            levels=[LevelInput(**lv.model_dump()) for lv in self.levels],
            dimensions=[
                DimensionInput(
                    key=d.key,
                    name=d.name,
                    description=d.description,
                    statements=[s for s in d.statements.splitlines() if s.strip()],
                )
                for d in self.dimensions
            ],
        )
        if not self.error:  # saved and re-read: say which version the change became
            self.notice = (
                f"Saved as version {self.version_number}. Rounds that used version {before} "
                "keep it."
                if self.version_number != before
                else f"Saved (version {self.version_number})."
            )

    @rx.event
    async def copy(self, form: dict):
        new_id = await self._act(
            catalog.copy_model,
            minimum=Role.COACH,
            refresh=False,
            model_id=self._model_id(),
            name=form.get("name", ""),
        )
        if new_id is None:
            return None
        return rx.redirect(self._org_path(f"/assessments/models/{new_id}"))


def _text_input(label: rx.Var | str, value: rx.Var, on_change, **props) -> rx.Component:  # type: ignore[no-untyped-def]
    return rx.input(
        value=value,
        on_change=on_change,
        aria_label=label,
        read_only=ModelEditorState.builtin,
        **props,
    )


def _level_row(level: LevelRow, index: rx.Var[int]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(level.value),
        rx.table.cell(
            _text_input(
                "Label of level " + level.value.to_string(),
                level.label,
                lambda v: ModelEditorState.set_level(index, "label", v),
            )
        ),
        rx.table.cell(
            _text_input(
                "Description of level " + level.value.to_string(),
                level.description,
                lambda v: ModelEditorState.set_level(index, "description", v),
                width="100%",
            )
        ),
    )


def _dimension_card(dim: EditDimension, index: rx.Var[int]) -> rx.Component:
    number = (index + 1).to_string()
    return card(
        rx.hstack(
            rx.heading("Dimension " + number, size="3", as_="h3"),
            rx.spacer(),
            rx.cond(
                ~ModelEditorState.builtin & (ModelEditorState.dimensions.length() > 1),
                reorder_buttons(
                    "dimension " + number,
                    lambda step: ModelEditorState.move_dimension(index, step),
                    first=index == 0,
                    last=index == ModelEditorState.dimensions.length() - 1,
                ),
            ),
            rx.cond(
                ~ModelEditorState.builtin,
                confirm_button(
                    "Remove",
                    name="Remove dimension " + number,
                    title="Remove dimension " + number + "?",
                    description="Its description and levels go with it. Nothing is saved "
                    "until you save the model.",
                    confirm_label="Remove dimension",
                    on_confirm=ModelEditorState.remove_dimension(index),
                    variant="ghost",
                ),
            ),
            width="100%",
        ),
        _text_input(
            "Name of dimension " + number,
            dim.name,
            lambda v: ModelEditorState.set_dimension(index, "name", v),
            width="100%",
        ),
        _text_input(
            "Description of dimension " + number,
            dim.description,
            lambda v: ModelEditorState.set_dimension(index, "description", v),
            width="100%",
            placeholder="What this dimension covers",
        ),
        rx.text_area(
            value=dim.statements,
            on_change=lambda v: ModelEditorState.set_dimension(index, "statements", v),
            aria_label="Statements of dimension " + number,
            read_only=ModelEditorState.builtin,
            rows="4",
            width="100%",
        ),
        rx.text("One statement a line (1 to 12).", size="1", color_scheme="gray"),
        width="100%",
    )


@rx.page(
    route="/o/[slug]/assessments/models/[model_id]",
    title="Assessment model",
    on_load=[AuthState.load_workspace, ModelEditorState.load],
)
@workspace
def model_editor_page() -> rx.Component:
    return rx.vstack(
        back_link(),
        page_heading("Assessment model"),
        error_callout(ModelEditorState.error),
        info_callout(ModelEditorState.notice),
        rx.cond(
            ModelEditorState.model_name != "",
            rx.vstack(
                rx.hstack(
                    rx.heading(ModelEditorState.model_name, size="5", as_="h2"),
                    rx.badge(
                        "Version " + ModelEditorState.version_number.to_string(),
                        aria_label="Version",
                    ),
                    rx.cond(ModelEditorState.builtin, rx.badge("built-in", color_scheme="gray")),
                    align="center",
                ),
                rx.cond(
                    ModelEditorState.builtin,
                    info_callout("Built-in models cannot be changed: copy one to adapt it."),
                    rx.cond(
                        ModelEditorState.locked,
                        rx.callout(
                            "A round has used this version: saving makes version "
                            + (ModelEditorState.version_number + 1).to_string()
                            + ", and past results keep the version they were answered with.",
                            icon="info",
                            color_scheme="blue",
                            width="100%",
                        ),
                    ),
                ),
                card(
                    rx.el.label("Model name", html_for="field-model-name", class_name="pmo-label"),
                    rx.input(
                        id="field-model-name",
                        value=ModelEditorState.model_name,
                        on_change=ModelEditorState.set_model_name,
                        read_only=ModelEditorState.builtin,
                        width="100%",
                    ),
                    rx.el.label(
                        "Description", html_for="field-model-description", class_name="pmo-label"
                    ),
                    rx.text_area(
                        id="field-model-description",
                        value=ModelEditorState.description,
                        on_change=ModelEditorState.set_description,
                        read_only=ModelEditorState.builtin,
                        width="100%",
                    ),
                    width="100%",
                ),
                rx.heading("Scale", size="4", as_="h2"),
                data_table(
                    "Scale levels",
                    ["Value", "Label", "What this level looks like"],
                    ModelEditorState.levels,
                    _level_row,
                ),
                rx.cond(
                    ~ModelEditorState.builtin,
                    rx.hstack(
                        rx.button(
                            "Add level",
                            size="1",
                            variant="soft",
                            on_click=ModelEditorState.add_level,
                        ),
                        rx.button(
                            "Remove last level",
                            size="1",
                            variant="soft",
                            color_scheme="red",
                            on_click=ModelEditorState.remove_last_level,
                        ),
                    ),
                ),
                rx.heading("Dimensions", size="4", as_="h2"),
                rx.foreach(ModelEditorState.dimensions, _dimension_card),
                rx.cond(
                    ~ModelEditorState.builtin,
                    rx.hstack(
                        rx.button(
                            "Add dimension",
                            variant="soft",
                            on_click=ModelEditorState.add_dimension,
                        ),
                        rx.button("Save model", on_click=ModelEditorState.save),
                    ),
                ),
                card(
                    rx.heading("Copy to adapt", size="3", as_="h2"),
                    rx.form(
                        rx.hstack(
                            field("Name of the copy", "name"),
                            rx.button("Copy model", type="submit", variant="soft"),
                            align="end",
                        ),
                        on_submit=ModelEditorState.copy,
                    ),
                    width="100%",
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
