"""Members & Teams: invite, change roles, remove; create teams and manage who is in them."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import in_tenant
from pmo_saas.identity import services as identity
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.schemas import InvitationRow, MemberRow, TeamRow
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
    select_field,
)
from pmo_saas.ui.dialogs import confirm_button

ROLE_CHOICES = [r.value for r in Role]
INVITE_ROLES = ["member", "coach", "viewer", "admin", "owner"]


class MembersState(WorkspacePage, rx.State):
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.members = await in_tenant(ctx, identity.list_members)
        if ctx.has(Role.ADMIN):
            self.invitations = await in_tenant(ctx, identity.list_invitations)
        else:
            self.invitations = []

    def _on_failed_load(self) -> None:
        self.members, self.invitations = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def invite(self, form: dict) -> None:
        await self._act(
            identity.invite_member,
            notice=f"Invitation sent to {form.get('email', '').strip()}.",
            minimum=Role.ADMIN,
            email=form.get("email", ""),
            role=form.get("role", "member"),
        )

    @rx.event
    async def change_role(self, membership_id: int, role: str) -> None:
        await self._act(
            identity.change_role,
            notice="Role changed.",
            minimum=Role.ADMIN,
            prepare=lambda: {"membership_id": int(membership_id)},
            role=role,
        )

    @rx.event
    async def remove(self, membership_id: int) -> None:
        await self._act(
            identity.remove_member,
            notice="Member removed.",
            minimum=Role.ADMIN,
            prepare=lambda: {"membership_id": int(membership_id)},
        )

    @rx.event
    async def revoke(self, invitation_id: int) -> None:
        await self._act(
            identity.revoke_invitation,
            minimum=Role.ADMIN,
            prepare=lambda: {"invitation_id": int(invitation_id)},
        )


def _member_row(m: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(m.name),
        rx.table.cell(m.email),
        rx.table.cell(
            rx.cond(
                AuthState.is_admin,
                rx.el.select(
                    *[rx.el.option(r, value=r) for r in ROLE_CHOICES],
                    value=m.role,
                    on_change=lambda value: MembersState.change_role(m.membership_id, value),
                    aria_label="Role of " + m.email,
                    class_name="pmo-select",
                ),
                rx.badge(m.role),
            )
        ),
        rx.table.cell(m.teams),
        rx.table.cell(
            rx.cond(
                AuthState.is_admin,
                confirm_button(
                    "Remove",
                    name="Remove " + m.email,
                    title="Remove " + m.name + " from the organisation?",
                    description="They lose access at once; their answers and actions stay.",
                    confirm_label="Remove member",
                    on_confirm=MembersState.remove(m.membership_id),
                ),
            )
        ),
    )


def _invitation_row(i: InvitationRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(i.email),
        rx.table.cell(i.role),
        rx.table.cell(rx.badge(i.status)),
        rx.table.cell(i.expires_at),
        rx.table.cell(
            rx.cond(
                i.status == "pending",
                confirm_button(
                    "Revoke",
                    name="Revoke " + i.email,
                    title="Revoke the invitation to " + i.email + "?",
                    description="The link in their e-mail stops working.",
                    confirm_label="Revoke invitation",
                    on_confirm=MembersState.revoke(i.id),
                ),
            )
        ),
    )


def _members_body() -> rx.Component:
    return rx.vstack(
        page_heading("Members & Teams", "Who is in this organisation, and with which role."),
        rx.hstack(
            rx.link("Members", href="/o/" + AuthState.org_slug + "/members"),
            rx.link("Teams", href="/o/" + AuthState.org_slug + "/teams"),
        ),
        error_callout(MembersState.error),
        info_callout(MembersState.notice),
        rx.cond(
            AuthState.is_admin,
            card(
                rx.heading("Invite someone", size="4", as_="h2"),
                rx.form(
                    rx.hstack(
                        field("Email to invite", "email", type="email"),
                        select_field("Invite as", "role", INVITE_ROLES, default="member"),
                        rx.button("Send invitation", type="submit"),
                        align="end",
                        width="100%",
                    ),
                    on_submit=MembersState.invite,
                    width="100%",
                ),
                width="100%",
            ),
        ),
        data_table(
            "Members", ["Name", "Email", "Role", "Teams", ""], MembersState.members, _member_row
        ),
        rx.cond(
            AuthState.is_admin,
            rx.vstack(
                rx.heading("Invitations", size="4", as_="h2"),
                data_table(
                    "Invitations",
                    ["Email", "Role", "Status", "Expires", ""],
                    MembersState.invitations,
                    _invitation_row,
                ),
                width="100%",
            ),
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/members",
    title="Members",
    on_load=[AuthState.load_workspace, MembersState.load],
)
@workspace
def members_page() -> rx.Component:
    return _members_body()


# ---------------------------------------------------------------- teams


class TeamsState(WorkspacePage, rx.State):
    teams: list[TeamRow] = []
    members: list[MemberRow] = []

    async def _refresh(self, ctx: TenantContext) -> None:
        self.teams = await in_tenant(ctx, identity.list_teams)
        self.members = await in_tenant(ctx, identity.list_members)

    def _on_failed_load(self) -> None:
        self.teams, self.members = [], []

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def create(self, form: dict) -> None:
        name = form.get("name", "")
        await self._act(
            identity.create_team,
            notice=f"Team {name.strip()} created.",
            minimum=Role.ADMIN,
            name=name,
        )

    @rx.event
    async def rename(self, team_id: int, form: dict) -> None:
        await self._act(
            identity.rename_team,
            notice="Team renamed.",
            minimum=Role.ADMIN,
            prepare=lambda: {"team_id": int(team_id)},
            name=form.get("name", ""),
        )

    @rx.event
    async def delete(self, team_id: int) -> None:
        await self._act(
            identity.delete_team,
            notice="Team deleted.",
            minimum=Role.ADMIN,
            prepare=lambda: {"team_id": int(team_id)},
        )

    @rx.event
    async def add_member(self, team_id: int, form: dict) -> None:
        membership = form.get("membership_id", "")
        if not str(membership).isdigit():
            self._refuse("Choose a member to add.")
            return
        await self._act(
            identity.add_team_member,
            notice="Member added to the team.",
            minimum=Role.ADMIN,
            prepare=lambda: {"team_id": int(team_id), "membership_id": int(membership)},
        )

    @rx.event
    async def remove_member(self, team_id: int, membership_id: int) -> None:
        await self._act(
            identity.remove_team_member,
            notice="Member removed from the team.",
            minimum=Role.ADMIN,
            prepare=lambda: {"team_id": int(team_id), "membership_id": int(membership_id)},
        )


def _team_card(team: TeamRow) -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(team.name, size="4", as_="h3"),
            rx.badge(team.member_count.to_string() + " members"),
            rx.spacer(),
            rx.cond(
                AuthState.is_admin,
                confirm_button(
                    "Delete team",
                    name="Delete team " + team.name,
                    title="Delete the team " + team.name + "?",
                    description="Its members stay in the organisation.",
                    confirm_label="Delete team",
                    on_confirm=TeamsState.delete(team.id),
                ),
            ),
            width="100%",
            align="center",
        ),
        rx.foreach(
            team.members,
            lambda m: rx.hstack(
                rx.text(m.name),
                rx.text(m.email, color_scheme="gray", size="2"),
                rx.cond(
                    AuthState.is_admin,
                    confirm_button(
                        "Remove",
                        name="Remove " + m.email + " from " + team.name,
                        variant="ghost",
                        title="Remove " + m.email + " from " + team.name + "?",
                        description="They stay in the organisation.",
                        confirm_label="Remove from team",
                        on_confirm=TeamsState.remove_member(team.id, m.membership_id),
                    ),
                ),
                align="center",
            ),
        ),
        rx.cond(
            AuthState.is_admin,
            rx.hstack(
                rx.form(
                    rx.hstack(
                        rx.el.select(
                            rx.el.option("Choose a member", value=""),
                            rx.foreach(
                                TeamsState.members,
                                lambda m: rx.el.option(m.name, value=m.membership_id.to_string()),
                            ),
                            name="membership_id",
                            aria_label="Member to add to " + team.name,
                            class_name="pmo-select",
                        ),
                        rx.button("Add to team", type="submit", size="1"),
                        align="center",
                    ),
                    on_submit=lambda form: TeamsState.add_member(team.id, form),
                ),
                rx.form(
                    rx.hstack(
                        rx.input(
                            name="name",
                            placeholder="New name",
                            size="1",
                            aria_label="New name for " + team.name,
                            required=True,
                        ),
                        rx.button("Rename", type="submit", size="1", variant="soft"),
                        align="center",
                    ),
                    on_submit=lambda form: TeamsState.rename(team.id, form),
                ),
                spacing="4",
                wrap="wrap",
            ),
        ),
        width="100%",
    )


@rx.page(
    route="/o/[slug]/teams", title="Teams", on_load=[AuthState.load_workspace, TeamsState.load]
)
@workspace
def teams_page() -> rx.Component:
    return rx.vstack(
        page_heading("Members & Teams", "Teams group people for assessments, surveys and plans."),
        rx.hstack(
            rx.link("Members", href="/o/" + AuthState.org_slug + "/members"),
            rx.link("Teams", href="/o/" + AuthState.org_slug + "/teams"),
        ),
        error_callout(TeamsState.error),
        info_callout(TeamsState.notice),
        rx.cond(
            AuthState.is_admin,
            card(
                rx.form(
                    rx.hstack(
                        field("Team name", "name"),
                        rx.button("Create team", type="submit"),
                        align="end",
                    ),
                    on_submit=TeamsState.create,
                ),
                width="100%",
            ),
        ),
        rx.foreach(TeamsState.teams, _team_card),
        width="100%",
        align="start",
        spacing="4",
    )
