"""Scoring and ranking: the scoring model (WSJF, RICE, weighted criteria, MoSCoW) with its
formula, custom criteria, the ranking with each row's explanation, manual overrides with a
recorded reason, and the charts (value vs effort with cost as bubble size; ranking bars)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.db import cached_in_tenant
from pmo_saas.identity.auth_state import AuthState
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.identity.shell import workspace
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import scoring, views
from pmo_saas.portfolio.pages.common import MODEL_CHOICES, id_after, portfolio_nav
from pmo_saas.portfolio.schemas import CriterionRow, RankRow
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.ui.charts import PRIMARY, chart_figure, figures_table, row_cells
from pmo_saas.ui.components import (
    Choice,
    card,
    data_table,
    error_callout,
    field,
    info_callout,
    labelled_select,
    page_heading,
)
from pmo_saas.ui.dialogs import (
    confirm_button,
    dialog_actions,
    form_dialog,
    open_button,
)


def _parse_position(raw: object) -> int:
    try:
        position = int(str(raw).strip())
    except ValueError:
        raise ValidationFailed("The position is a whole number from 1 (the top).") from None
    return position


class RankingState(WorkspacePage, rx.State):
    portfolio_id: int = 0
    portfolio_name: str = ""
    scoring_model: str = ""
    scoring_model_label: str = ""
    formula: str = ""
    criteria: list[CriterionRow] = []
    rows: list[RankRow] = []
    total: int = 0
    bubbles: list[dict[str, float | str]] = []
    bars: list[dict[str, float | str]] = []
    form_version: int = 0  # bumped after a successful submit: the form starts empty
    placing: bool = False  # the Place by hand dialog is open

    def _pid(self) -> int:
        return id_after(self.router.url.path, "p")

    async def _refresh(self, ctx: TenantContext) -> None:
        view = await cached_in_tenant(ctx, views.ranking_view, portfolio_id=self._pid())
        setup, ranking = view.setup, view.ranking
        self._set_changed(
            portfolio_id=setup.portfolio.id,
            portfolio_name=setup.portfolio.name,
            scoring_model=setup.portfolio.scoring_model,
            scoring_model_label=setup.portfolio.scoring_model_label,
            formula=setup.formula,
            criteria=setup.criteria,
            rows=ranking.rows,
            total=ranking.total,
            bubbles=[
                {"title": p.title, "effort": p.effort, "value": p.value, "cost": p.cost or 0}
                for p in view.points
                if p.effort is not None and p.value is not None
            ],
            bars=[{"title": b.title, "score": round(b.score, 2)} for b in view.bars],
        )

    def _on_failed_load(self) -> None:
        self.rows, self.criteria, self.bubbles, self.bars = [], [], [], []
        self.portfolio_name = ""

    @rx.event
    async def load(self) -> None:
        self.placing = False
        await self._load()

    @rx.var
    def place_choices(self) -> list[Choice]:
        return [Choice(value=str(r.initiative_id), label=r.title) for r in self.rows]

    @rx.event
    def set_placing(self, open_it: bool) -> None:
        self._clear_messages()
        self.placing = bool(open_it)

    @rx.event
    async def choose_model(self, form: dict) -> None:
        model = str(form.get("scoring_model", ""))
        await self._act(
            portfolio_services.update_portfolio,
            notice=f"Scoring model is now {scoring.MODELS.get(model, model)}.",
            minimum=Role.COACH,
            portfolio_id=self._pid(),
            scoring_model=model,
        )

    @rx.event
    async def add_criterion(self, form: dict) -> None:
        await self._act(
            ranking_services.add_criterion,
            notice="Criterion added.",
            minimum=Role.COACH,
            portfolio_id=self._pid(),
            name=form.get("name", ""),
            weight=form.get("weight", "1") or "1",
            scale_min=form.get("scale_min", "1") or "1",
            scale_max=form.get("scale_max", "5") or "5",
        )
        if not self.error:
            self.form_version += 1

    @rx.event
    async def remove_criterion(self, criterion_id: int) -> None:
        await self._act(
            ranking_services.remove_criterion,
            notice="Criterion removed.",
            minimum=Role.COACH,
            prepare=lambda: {"criterion_id": int(criterion_id)},
        )

    @rx.event
    async def override(self, form: dict) -> None:
        def placement() -> dict[str, object]:
            raw_id = str(form.get("initiative_id", "")).strip()
            if not raw_id:
                raise ValidationFailed("Choose the initiative to place by hand.")
            return {
                "initiative_id": int(raw_id),
                "position": _parse_position(form.get("position", "")),
            }

        await self._act(
            ranking_services.override_rank,
            minimum=Role.COACH,
            prepare=placement,
            reason=str(form.get("reason", "")),
        )
        if not self.error:
            self.placing = False
            position = _parse_position(form.get("position", ""))
            self.notice = f"Placed at #{position}; the reason is shown in the ranking."

    @rx.event
    async def unpin(self, initiative_id: int) -> None:
        await self._act(
            ranking_services.override_rank,
            notice="Back to its computed place.",
            minimum=Role.COACH,
            prepare=lambda: {"initiative_id": int(initiative_id)},
            position=None,
        )


def _rank_row(r: RankRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(r.rank),
        rx.table.cell(r.title),
        rx.table.cell(r.score_text),
        rx.table.cell(
            rx.match(
                r.moscow,
                *[(k, v) for k, v in scoring.MOSCOW_LABELS.items()],
                "",
            )
        ),
        rx.table.cell(rx.text(r.explanation, size="1")),
        rx.table.cell(
            rx.cond(
                r.manual_rank,
                rx.vstack(
                    rx.text("Placed by hand: " + r.manual_reason, size="1"),
                    rx.cond(
                        AuthState.is_coach,
                        rx.button(
                            "Unpin",
                            size="1",
                            variant="soft",
                            aria_label="Unpin " + r.title,
                            on_click=RankingState.unpin(r.initiative_id),
                        ),
                    ),
                    align="start",
                ),
            )
        ),
    )


def _criterion_row(c: CriterionRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(c.name),
        rx.table.cell(c.weight),
        rx.table.cell(c.scale_min.to_string() + " to " + c.scale_max.to_string()),
        rx.table.cell(
            rx.cond(
                AuthState.is_coach,
                confirm_button(
                    "Remove",
                    name="Remove criterion " + c.name,
                    title="Remove the criterion " + c.name + "?",
                    description="Its scores leave the weighted ranking.",
                    confirm_label="Remove criterion",
                    on_confirm=RankingState.remove_criterion(c.id),
                ),
            )
        ),
    )


def _model_card() -> rx.Component:
    s = RankingState
    return card(
        rx.heading("Scoring model", size="4", as_="h2"),
        rx.text("Model: ", rx.text.strong(s.scoring_model_label)),
        rx.text("Formula: ", rx.code(s.formula), aria_label="Formula"),
        rx.text("An input not yet scored is “not scored”, never 0.", size="1", color_scheme="gray"),
        rx.cond(
            AuthState.is_coach,
            rx.form(
                rx.hstack(
                    labelled_select(
                        "Scoring model",
                        "scoring_model",
                        MODEL_CHOICES,
                        default=s.scoring_model,
                        key=s.scoring_model,
                    ),
                    rx.button("Use this model", type="submit"),
                    align="end",
                ),
                on_submit=s.choose_model,
            ),
        ),
        rx.cond(
            s.scoring_model == "weighted",
            rx.vstack(
                rx.heading("Criteria", size="3", as_="h3"),
                data_table(
                    "Criteria",
                    ["Criterion", "Weight", "Scale", ""],
                    s.criteria,
                    _criterion_row,
                    full_width=False,
                ),
                rx.cond(
                    AuthState.is_coach,
                    rx.form(
                        rx.hstack(
                            field("Criterion name", "name"),
                            field("Weight", "weight", required=False, default_value="1"),
                            field("Scale from", "scale_min", required=False, default_value="1"),
                            field("Scale to", "scale_max", required=False, default_value="5"),
                            rx.button("Add criterion", type="submit"),
                            align="end",
                            wrap="wrap",
                        ),
                        on_submit=s.add_criterion,
                        key=RankingState.form_version.to_string(),
                    ),
                ),
                width="100%",
                align="start",
            ),
        ),
        width="100%",
    )


def _charts() -> rx.Component:
    s = RankingState
    return rx.hstack(
        card(
            rx.heading("Value vs effort", size="3", as_="h3"),
            rx.text("Bubble size: cost", size="1", color_scheme="gray"),
            chart_figure(
                "Value vs effort chart",
                rx.recharts.scatter_chart(
                    rx.recharts.scatter(
                        data=s.bubbles, fill=PRIMARY, name="Initiatives", is_animation_active=False
                    ),
                    rx.recharts.x_axis(
                        data_key="effort",
                        name="Effort",
                        type_="number",
                        domain=[0, "dataMax + 2"],
                        label={"value": "Effort", "position": "insideBottom", "offset": -2},
                    ),
                    rx.recharts.y_axis(
                        data_key="value",
                        name="Value",
                        type_="number",
                        domain=[0, "dataMax + 1"],
                        label={"value": "Value", "angle": -90, "position": "insideLeft"},
                    ),
                    rx.recharts.z_axis(data_key="cost", name="Cost", range=[40, 600]),
                    rx.recharts.legend(),
                    rx.recharts.graphing_tooltip(),
                    width="100%",
                    height=280,
                ),
                figures_table(
                    ["Initiative", "Effort", "Value", "Cost"],
                    s.bubbles,
                    row_cells("title", "effort", "value", "cost"),
                ),
            ),
            width="100%",
        ),
        card(
            rx.heading("Ranking", size="3", as_="h3"),
            chart_figure(
                "Ranking chart",
                rx.recharts.bar_chart(
                    rx.recharts.bar(
                        data_key="score", fill=PRIMARY, name="Score", is_animation_active=False
                    ),
                    rx.recharts.x_axis(data_key="score", type_="number"),
                    # every title its own row (interval 0), the chart as tall as the rows need
                    rx.recharts.y_axis(
                        data_key="title", type_="category", width=140, interval=0, font_size=11
                    ),
                    rx.recharts.legend(),
                    rx.recharts.graphing_tooltip(),
                    data=s.bars,
                    layout="vertical",
                    width="100%",
                    height=rx.cond(s.bars.length() > 12, s.bars.length() * 24 + 60, 320),
                ),
                figures_table(["Initiative", "Score"], s.bars, row_cells("title", "score")),
            ),
            width="100%",
        ),
        width="100%",
        align="start",
        wrap="wrap",
    )


def _place_dialog() -> rx.Component:
    s = RankingState
    return form_dialog(
        "Place an initiative by hand",
        rx.form(
            rx.vstack(
                labelled_select(
                    "Initiative to place",
                    "initiative_id",
                    s.place_choices,
                    empty="Choose an initiative",
                ),
                field("Position", "position", type="number", min="1"),
                field("Reason", "reason", required=False),
                dialog_actions("Place by hand"),
                spacing="3",
                width="100%",
            ),
            on_submit=s.override,
            width="100%",
        ),
        open=s.placing,
        on_open_change=s.set_placing,
        trigger=open_button("Place an initiative by hand", variant="outline"),
        error=s.error,
        width="30em",
    )


def _body() -> rx.Component:
    s = RankingState
    return rx.vstack(
        page_heading("Scoring & ranking"),
        rx.heading(s.portfolio_name, size="5", as_="h2"),
        portfolio_nav(s.portfolio_id),
        error_callout(s.error),
        info_callout(s.notice),
        _model_card(),
        rx.cond(AuthState.is_coach, _place_dialog()),
        rx.heading("Ranking", size="4", as_="h2"),
        rx.text(s.total.to_string() + " initiative(s) ranked.", size="2", color_scheme="gray"),
        rx.cond(
            s.total > s.rows.length(),
            rx.text(
                "Showing the top " + s.rows.length().to_string() + "; the CSV export has all.",
                size="2",
                color_scheme="gray",
            ),
        ),
        data_table(
            "Ranking",
            ["Rank", "Initiative", "Score", "MoSCoW", "Explanation", "Override"],
            s.rows,
            _rank_row,
        ),
        _charts(),
        width="100%",
        align="start",
        spacing="4",
    )


@rx.page(
    route="/o/[slug]/portfolio/p/[portfolio_id]/ranking",
    title="Scoring & ranking",
    on_load=[AuthState.load_workspace, RankingState.load],
)
@workspace
def ranking_page() -> rx.Component:
    return _body()
