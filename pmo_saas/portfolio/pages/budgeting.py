"""Participatory budgeting: a facilitator opens a session with a total and invites
stakeholders; each splits the total across the value streams (or initiatives); once they
have saved their own split they see the spread of everyone's; the session is discussed in
comments; the facilitator settles the split into the portfolio's stream budgets."""

from __future__ import annotations

import reflex as rx
from pydantic import BaseModel

from pmo_saas.collaboration.pages.thread import comment_thread
from pmo_saas.db import in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import BusyWork, WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel import formatting
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import budget_math, views
from pmo_saas.portfolio.pages.common import id_after, portfolio_href, portfolio_nav
from pmo_saas.portfolio.schemas import BudgetSessionRow, BudgetSessionView
from pmo_saas.portfolio.services import budgeting as service
from pmo_saas.portfolio.services import portfolios as portfolio_services
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
)
from pmo_saas.ui.dialogs import confirm_button, work_button
from pmo_saas.ui.pickers import multi_picker, picked

STAKEHOLDER, AMOUNT, SPLIT, INVITE = "stakeholder_", "amount_", "split_", "invite_"
STATUS_LABELS = {"open": "Open", "settled": "Settled", "cancelled": "Cancelled"}
BASIS_CHOICES = [("streams", "Value streams"), ("initiatives", "Initiatives")]


class SessionLine(BaseModel):
    id: int
    name: str
    total: str
    basis: str
    status: str
    progress: str


def _session_line(r: BudgetSessionRow) -> SessionLine:
    return SessionLine(
        id=r.id,
        name=r.name,
        total=formatting.number(r.total),
        basis=service.BASES.get(r.basis, r.basis),
        status=STATUS_LABELS.get(r.status, r.status),
        progress=f"{r.submitted} of {r.stakeholders} allocated",
    )


class BudgetingState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    budget: str = ""
    sessions: list[SessionLine] = []
    people: list[Choice] = []

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        pid = self._pid()
        portfolio = await in_tenant(ctx, portfolio_services.get_portfolio, portfolio_id=pid)
        rows = await in_tenant(ctx, service.list_budget_sessions, portfolio_id=pid)
        self.portfolio_id, self.portfolio_name = portfolio.id, portfolio.name
        self.budget = "" if portfolio.budget is None else str(portfolio.budget)
        self.sessions = [_session_line(r) for r in rows]
        if ctx.has(Role.COACH):
            people = await in_tenant(ctx, views.scorer_choices)
            self._set_changed(people=[Choice(value=str(p.user_id), label=p.label) for p in people])
        else:
            self.people = []

    def _on_failed_load(self) -> None:
        self.sessions, self.people, self.portfolio_name = [], [], ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    @rx.event
    async def open_session(self, form: dict):
        session_id = await self._act(
            service.open_budget_session,
            minimum=Role.COACH,
            refresh=False,
            prepare=lambda: {"stakeholder_user_ids": picked(form, STAKEHOLDER)},
            portfolio_id=self._pid(),
            name=form.get("name", ""),
            total=form.get("total", ""),
            basis=str(form.get("basis", "streams")),
        )
        if session_id is None:
            return None
        return rx.redirect(self._org_path(f"/portfolio/p/{self._pid()}/budgeting/{session_id}"))


def _session_row(r: SessionLine) -> rx.Component:
    href = portfolio_href(BudgetingState.portfolio_id, "/budgeting/") + r.id.to_string()
    return rx.table.row(
        rx.table.cell(rx.link(r.name, href=href)),
        rx.table.cell(r.total),
        rx.table.cell(r.basis),
        rx.table.cell(r.status),
        rx.table.cell(r.progress),
    )


def _open_form() -> rx.Component:
    s = BudgetingState
    return card(
        rx.heading("Open a budgeting session", size="4", as_="h2"),
        rx.text(
            "Each stakeholder splits the total across the value streams (or the initiatives, "
            "which add up per value stream). They see the spread of everyone's split once "
            "they have saved their own; allocations stay anonymous to them (you see names). "
            "Settling makes the split the portfolio's value-stream budgets.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            rx.vstack(
                field("Session name", "name"),
                field(
                    "Total to split",
                    "total",
                    default_value=s.budget,
                    key=s.budget,
                    hint="Whole currency units; the portfolio budget by default",
                ),
                labelled_select("Split across", "basis", BASIS_CHOICES, default="streams"),
                multi_picker(
                    "Stakeholders",
                    STAKEHOLDER,
                    s.people,
                    picker_id="stakeholders",
                    empty="No member to invite yet.",
                ),
                rx.button("Open session", type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.open_session,
            width="100%",
        ),
        width="100%",
    )


def _list_body() -> rx.Component:
    s = BudgetingState
    return rx.vstack(
        page_heading("Participatory budgeting"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(AuthState.is_coach, _open_form()),
        data_table(
            "Budgeting sessions",
            ["Session", "Total", "Split across", "Status", "Allocations"],
            s.sessions,
            _session_row,
            empty="No budgeting session you take part in yet.",
        ),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/budgeting",
    title="Participatory budgeting",
    on_load=[AuthState.load_workspace, BudgetingState.load],
)
@workspace
def budgeting_page() -> rx.Component:
    return _list_body()


# ---------------------------------------------------------------- one session


class OptionLine(BaseModel):
    index: int
    label: str
    stream: str
    mine: str
    count: str
    median: str
    spread_range: str
    outliers: str
    proposed: str


class PersonLine(BaseModel):
    name: str
    done: str


def _proposed(view: BudgetSessionView) -> dict[str, int]:
    """What settling on the medians would write (the facilitator's placeholders)."""
    if not (view.facilitator and view.session.status == "open" and view.spread):
        return {}
    medians = {s.key: float(s.median or 0) for s in view.spread}
    if sum(medians.values()) <= 0:
        return {}
    return budget_math.scaled_to_total(medians, view.session.total)


def _option_lines(view: BudgetSessionView) -> list[OptionLine]:
    spread = {s.key: s for s in view.spread or [] if s.count > 0}
    proposed = _proposed(view)
    lines = []
    for n, o in enumerate(view.options):
        s = spread.get(o.key)
        lines.append(
            OptionLine(
                index=n,
                label=o.label,
                stream=o.stream,
                mine=str(view.my_allocation.get(o.key, "")),
                count=str(s.count) if s else "",
                median=formatting.optional_number(s.median) if s else "—",
                spread_range=f"{formatting.number(s.low or 0)} to {formatting.number(s.high or 0)}"
                if s
                else "—",
                outliers=", ".join(formatting.number(v) for v in s.outliers) if s else "",
                proposed=str(proposed.get(o.key, "")),
            )
        )
    return lines


class BudgetSessionState(BusyWork, WorkspacePage, rx.State):
    portfolio_id: int = 0
    name: str = ""
    status: str = ""
    total: str = ""
    basis: str = ""
    currency: str = ""
    facilitator: bool = False
    may_allocate: bool = False
    spread_shown: bool = False
    hidden_reason: str = ""
    submitted: bool = False
    progress_text: str = ""
    options: list[OptionLine] = []
    option_keys: list[str] = []  # the service's key of each option, by index
    people: list[PersonLine] = []
    invitable: list[Choice] = []  # members a facilitator may still invite
    settled: list[str] = []

    def _ids(self) -> tuple[int, int]:
        path = self.router.url.path
        return id_after(path, "p"), id_after(path, "budgeting")

    async def _refresh(self, ctx: TenantContext) -> None:
        pid, sid = self._ids()
        view = await in_tenant(ctx, service.budget_session, budget_session_id=sid)
        row = view.session
        self.portfolio_id = row.portfolio_id if row.portfolio_id == pid else pid
        self.name, self.status = row.name, row.status
        self.total, self.currency = formatting.number(row.total), view.currency
        self.basis = service.BASES.get(row.basis, row.basis)
        self.facilitator, self.may_allocate = view.facilitator, view.may_allocate
        self.spread_shown = view.spread is not None
        self.hidden_reason = view.spread_hidden_reason
        self.submitted = bool(view.my_allocation)
        self.progress_text = f"{row.submitted} of {row.stakeholders} stakeholders have allocated."
        self.option_keys = [o.key for o in view.options]
        self._set_changed(options=_option_lines(view))
        self.people = [
            PersonLine(name=p.name, done="allocated" if p.submitted else "not yet")
            for p in view.progress
        ]
        self.settled = [
            f"{stream}: {formatting.number(amount)}"
            for stream, amount in view.settled_split.items()
        ]
        invitable: list[Choice] = []
        if view.facilitator and row.status == "open":
            invited = {p.user_id for p in view.progress}
            members = await in_tenant(ctx, views.scorer_choices)
            invitable = [
                Choice(value=str(p.user_id), label=p.label)
                for p in members
                if p.user_id not in invited
            ]
        self._set_changed(invitable=invitable)

    def _on_failed_load(self) -> None:
        self.options, self.option_keys, self.people, self.settled = [], [], [], []
        self.invitable = []
        self.name = ""

    @rx.event
    async def load(self) -> None:
        await self._load()

    def _by_key(self, form: dict, prefix: str) -> dict[str, object]:
        """`<prefix><index>` fields as {option key: typed amount}; an unknown index is dropped
        (the service refuses a split that then misses the total)."""
        found: dict[str, object] = {}
        for name, value in form.items():
            index = name.removeprefix(prefix)
            if name.startswith(prefix) and index.isdigit() and int(index) < len(self.option_keys):
                found[self.option_keys[int(index)]] = value
        return found

    @rx.event
    async def save_allocation(self, form: dict) -> None:
        await self._act(
            service.submit_allocation,
            notice="Your allocation is saved.",
            minimum=Role.MEMBER,
            prepare=lambda: {"amounts": self._by_key(form, AMOUNT)},
            budget_session_id=self._ids()[1],
        )

    @rx.event
    async def settle(self, form: dict) -> None:
        """Every field left empty: the medians scaled to the total; otherwise the split typed
        (an empty field then takes the proposed amount shown as its placeholder)."""

        def split() -> dict[str, object]:
            typed = self._by_key(form, SPLIT)
            if not any(str(v).strip() for v in typed.values()):
                return {"split": None}
            proposed = {self.option_keys[o.index]: o.proposed for o in self.options}
            return {"split": {k: (str(v).strip() or proposed.get(k, "")) for k, v in typed.items()}}

        settled = await self._act(
            service.settle_budget_session,
            minimum=Role.COACH,
            prepare=split,
            budget_session_id=self._ids()[1],
        )
        if settled is not None:
            self.notice = "Settled: the portfolio's value-stream budgets are now " + ", ".join(
                f"{k} {formatting.number(v)}" for k, v in settled.items()
            )

    @rx.event
    async def invite(self, form: dict) -> None:
        added = await self._act(
            service.invite_stakeholders,
            minimum=Role.COACH,
            prepare=lambda: {"stakeholder_user_ids": picked(form, INVITE)},
            budget_session_id=self._ids()[1],
        )
        if added is not None:
            self.notice = f"Invited {added} more: they can allocate now."

    @rx.event
    async def cancel(self) -> None:
        await self._act(
            service.cancel_budget_session,
            notice="Session cancelled; the stream budgets stay as they were.",
            minimum=Role.COACH,
            budget_session_id=self._ids()[1],
        )

    @rx.event
    async def download_csv(self):  # type: ignore[no-untyped-def]
        return await self._download(
            service.allocations_csv, "allocations.csv", budget_session_id=self._ids()[1]
        )


def _amount_input(o: OptionLine) -> rx.Component:
    input_id = "amount-" + o.index.to_string()
    return rx.table.row(
        rx.table.cell(rx.el.label(o.label, html_for=input_id)),
        rx.table.cell(o.stream),
        rx.table.cell(
            rx.input(
                id=input_id,
                name=AMOUNT + o.index.to_string(),
                default_value=o.mine,
                inputmode="numeric",
                width="10em",
            )
        ),
    )


def _allocation_form() -> rx.Component:
    s = BudgetSessionState
    return card(
        rx.heading("Your allocation", size="4", as_="h2"),
        rx.text(
            "Split " + s.currency + " " + s.total + " across the " + s.basis + "; the amounts "
            "must add up to the total. You can change it until the session is settled. "
            "Others see your amounts without your name.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            data_table("Allocate", ["Option", "Value stream", "Amount"], s.options, _amount_input),
            rx.button("Save allocation", type="submit", margin_top="0.5em"),
            on_submit=s.save_allocation,
            width="100%",
        ),
        width="100%",
    )


def _spread_row(o: OptionLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(o.label),
        rx.table.cell(o.stream),
        rx.table.cell(o.median),
        rx.table.cell(o.spread_range),
        rx.table.cell(o.outliers),
        rx.table.cell(o.count),
    )


def _settle_row(o: OptionLine) -> rx.Component:
    return rx.table.row(
        rx.table.cell(o.label),
        rx.table.cell(o.median),
        rx.table.cell(o.spread_range),
        rx.table.cell(
            rx.input(
                name=SPLIT + o.index.to_string(),
                placeholder=o.proposed,
                aria_label="Settled amount for " + o.label,
                inputmode="numeric",
                width="10em",
            )
        ),
    )


def _settle_form() -> rx.Component:
    s = BudgetSessionState
    return card(
        rx.heading("Settle the split", size="4", as_="h2"),
        rx.text(
            "Leave every field empty to settle on the medians scaled to the total (shown as "
            "placeholders), or type the split agreed in discussion (an empty field takes its "
            "placeholder); it must add up to the total. It becomes the portfolio's value-stream "
            "budgets.",
            size="2",
            color_scheme="gray",
        ),
        rx.form(
            data_table(
                "Settle", ["Option", "Median", "Range", "Settled amount"], s.options, _settle_row
            ),
            rx.button("Settle split", type="submit", margin_top="0.5em"),
            on_submit=s.settle,
            width="100%",
        ),
        confirm_button(
            "Cancel session",
            name="Cancel session",
            title="Cancel the budgeting session?",
            description="Nobody can allocate any more; the stream budgets stay as they are.",
            confirm_label="Cancel session",
            on_confirm=s.cancel,
        ),
        width="100%",
    )


def _session_body() -> rx.Component:
    s = BudgetSessionState
    return rx.vstack(
        page_heading("Budgeting session"),
        rx.heading(s.name, size="5", as_="h2"),
        rx.text(
            "Status: "
            + s.status
            + " · Total: "
            + s.currency
            + " "
            + s.total
            + " across the "
            + s.basis
        ),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        rx.cond(
            s.settled.length() > 0,
            region(
                "Settled split",
                rx.text("Settled value-stream budgets: ", rx.text.strong(s.settled.join(", "))),
            ),
        ),
        rx.cond(s.may_allocate, _allocation_form()),
        rx.heading("Spread of the allocations", size="4", as_="h2"),
        rx.text(s.progress_text, size="2"),
        rx.cond(
            s.spread_shown,
            rx.vstack(
                data_table(
                    "Spread",
                    ["Option", "Value stream", "Median", "Range", "Outliers", "Allocations"],
                    s.options,
                    _spread_row,
                ),
                work_button(
                    "Download allocations (CSV)",
                    state=s,
                    work="export",
                    run=s.download_csv,
                    variant="soft",
                ),
                width="100%",
                align="start",
            ),
            rx.callout(s.hidden_reason, icon="eye_off", width="100%"),
        ),
        rx.cond(
            s.facilitator,
            region(
                "Stakeholders",
                rx.unordered_list(
                    rx.foreach(s.people, lambda p: rx.list_item(p.name + ": " + p.done))
                ),
                rx.cond(
                    s.status == "open",
                    rx.form(
                        multi_picker(
                            "Invite more stakeholders",
                            INVITE,
                            s.invitable,
                            picker_id="invite",
                            empty="Every member who may allocate is invited.",
                        ),
                        rx.button("Invite", type="submit", variant="soft"),
                        on_submit=s.invite,
                        reset_on_submit=True,
                        width="100%",
                    ),
                ),
            ),
        ),
        rx.cond(s.facilitator & (s.status == "open"), _settle_form()),
        comment_thread("budget_session"),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/budgeting/[budget_session_id]",
    title="Budgeting session",
    on_load=[AuthState.load_workspace, BudgetSessionState.load],
)
@workspace
def budget_session_page() -> rx.Component:
    return _session_body()


def split_origin(
    portfolio_id: rx.Var[int], session_id: rx.Var[int], name: rx.Var[str], split: rx.Var[str]
) -> rx.Component:
    """The funding page's note naming the settled session its value-stream split came from."""
    return rx.text(
        "Value-stream budgets set by the budgeting session ",
        rx.link(name, href=portfolio_href(portfolio_id, "/budgeting/") + session_id.to_string()),
        ": " + split.split("\n").join(", ") + ".",
        size="2",
        aria_label="Value-stream budgets origin",
    )
