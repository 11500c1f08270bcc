"""/o/<slug>/practices/<id>: one practice (its how-to as safe markdown), its edit form, every
version, and each team's adoption with the form to record it."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.practices.pages.common import (
    ADOPTION_CHOICES,
    FRAMEWORK_CHOICES,
    adoption_badge,
    dimension_boxes,
    dimension_keys,
    practices_href,
    safe_markdown,
)
from pmo_saas.practices.schemas import (
    AdoptionRow,
    DimensionChoice,
    PracticeDetail,
    PracticeVersionRow,
)
from pmo_saas.practices.services import adoption, playbook
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
    region,
    text_area,
)


def _practice_id(path: str) -> int:
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 4 and parts[2] == "practices" and parts[3].isdigit():
        return int(parts[3])
    return 0


class PracticeState(WorkspacePage, rx.State):
    detail: PracticeDetail | None = None
    dimensions: list[DimensionChoice] = []
    owners: list[Choice] = []
    recordable: list[Choice] = []
    can_manage: bool = False

    async def _refresh(self, ctx: TenantContext) -> None:
        self.can_manage = ctx.has(Role.COACH)
        self.detail = await in_tenant(
            ctx, playbook.practice_detail, practice_id=_practice_id(self.router.url.path)
        )
        self.recordable = [
            Choice(value=str(a.team_id), label=a.team_name)
            for a in self.detail.adoption
            if a.can_record
        ]
        if self.can_manage:
            self.dimensions = await in_tenant(ctx, playbook.dimension_choices)
            members = await in_tenant(ctx, identity.list_members)
            self.owners = [Choice(value=str(m.user_id), label=m.name) for m in members]

    def _on_failed_load(self) -> None:
        self.detail, self.recordable = None, []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def save(self, form: dict) -> None:
        owner = str(form.get("edit_owner", "")).strip()
        number = await self._act(
            playbook.update_practice,
            minimum=Role.COACH,
            prepare=lambda: {"owner_user_id": int(owner) if owner else None},
            practice_id=_practice_id(self.router.url.path),
            title=str(form.get("edit_title", "")),
            purpose=str(form.get("edit_purpose", "")),
            how_to=str(form.get("edit_how_to", "")),
            framework=str(form.get("edit_framework", "general")),
            dimension_keys=dimension_keys(form),
        )
        if number is not None:
            self.notice = f"Saved as version {number}; the previous versions stay below."

    @rx.event
    async def record(self, form: dict) -> None:
        team = str(form.get("adoption_team", "")).strip()
        row = await self._act(
            adoption.record_adoption,
            prepare=lambda: {"team_id": int(team)},
            practice_id=_practice_id(self.router.url.path),
            status=str(form.get("adoption_status", "")),
            note=str(form.get("adoption_note", "")),
        )
        if row is not None:
            self.notice = f"{row.team_name}: {row.status_label}."


def _adoption_row(a: AdoptionRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(a.team_name),
        rx.table.cell(adoption_badge(a.status, a.status_label)),
        rx.table.cell(a.note),
    )


def _version_row(v: PracticeVersionRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell("v" + v.number.to(str)),
        rx.table.cell(v.title),
        rx.table.cell(v.purpose),
        rx.table.cell(rx.el.pre(v.how_to, style={"whiteSpace": "pre-wrap", "margin": 0})),
        rx.table.cell(v.dimension_names.join(", ")),
        rx.table.cell(v.edited_by),
        rx.table.cell(v.created_at),
    )


def _record_form() -> rx.Component:
    s = PracticeState
    return rx.cond(
        s.recordable.length() > 0,
        card(
            rx.heading("Record your team's adoption", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    labelled_select("Team", "adoption_team", s.recordable),
                    labelled_select(
                        "Adoption", "adoption_status", ADOPTION_CHOICES, default="trying"
                    ),
                    text_area("How we adapted it (note)", "adoption_note", rows="2"),
                    rx.button("Record adoption", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=s.record,
                reset_on_submit=True,
                width="100%",
            ),
            width="100%",
        ),
    )


def _edit_form(d: rx.Var) -> rx.Component:
    s = PracticeState
    p = d.practice
    return rx.cond(
        s.can_manage,
        card(
            rx.heading("Edit (saves a new version)", size="4", as_="h2"),
            rx.form(
                rx.vstack(
                    field("Title", "edit_title", default_value=p.title),
                    labelled_select(
                        "Framework", "edit_framework", FRAMEWORK_CHOICES, default=p.framework
                    ),
                    labelled_select(
                        "Owner",
                        "edit_owner",
                        s.owners,
                        default=p.owner_user_id.to(str),
                        empty="(nobody)",
                    ),
                    text_area("Purpose", "edit_purpose", rows="2", default_value=p.purpose),
                    text_area("How to (markdown)", "edit_how_to", rows="6", default_value=d.how_to),
                    dimension_boxes(s.dimensions, p.dimension_keys),
                    rx.button("Save new version", type="submit"),
                    align="start",
                    width="100%",
                ),
                on_submit=s.save,
                key="edit-" + p.id.to(str) + "-" + p.version.to(str),
                width="100%",
            ),
            width="100%",
        ),
    )


def _detail(d: rx.Var) -> rx.Component:
    p = d.practice
    return rx.vstack(
        rx.heading(p.title, size="6", as_="h2"),
        rx.text(
            "Version "
            + p.version.to(str)
            + " · owner "
            + p.owner_name
            + " · helps: "
            + p.dimension_names.join(", "),
            size="2",
            color_scheme="gray",
        ),
        rx.text(p.purpose),
        region("How to", rx.heading("How to", size="4", as_="h3"), safe_markdown(d.how_to)),
        _record_form(),
        data_table("Adoption by team", ["Team", "Adoption", "Note"], d.adoption, _adoption_row),
        _edit_form(d),
        rx.heading("Versions", size="4", as_="h3"),
        data_table(
            "Versions",
            ["Version", "Title", "Purpose", "How to", "Helps", "Edited by", "When"],
            d.versions,
            _version_row,
        ),
        width="100%",
        align="start",
        spacing="4",
    )


def _body() -> rx.Component:
    s = PracticeState
    return rx.vstack(
        page_heading("Practice"),
        rx.link("← All practices", href=practices_href()),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(s.detail, _detail(s.detail)),
        width="100%",
        align="start",
        spacing="3",
    )


@rx.page(
    route="/o/[slug]/practices/[practice_id]",
    title="Practice",
    on_load=[AuthState.load_workspace, PracticeState.load],
)
@workspace
def practice_page() -> rx.Component:
    return _body()
