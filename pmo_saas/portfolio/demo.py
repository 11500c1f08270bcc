"""The demo organisation's portfolio: realistic initiatives, scores, a budget, risks, a plan."""

from __future__ import annotations

from sqlmodel import Session, select

from pmo_saas.identity.models import Membership
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role, at_least
from pmo_saas.portfolio.models import Portfolio
from pmo_saas.portfolio.scoring import FIBONACCI
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services

DEMO_NAME = "Digital Growth 2027"

# title, stream, status, cost, MoSCoW, tags, depends on, (value, time, risk, job size), owner
INITIATIVES: list[tuple[str, str, str, int, str, str, list[str], tuple[int, ...], str]] = [
    (
        "Customer data platform",
        "Platform",
        "implementing",
        420_000,
        "must",
        "data",
        [],
        (13, 8, 20, 13),
        "Priya Nair",
    ),
    (
        "Single sign-on for customers",
        "Platform",
        "ready",
        150_000,
        "must",
        "security",
        [],
        (8, 13, 13, 5),
        "Tom Becker",
    ),
    (
        "Self-service onboarding",
        "Retail",
        "analysing",
        260_000,
        "should",
        "ux;growth",
        ["Single sign-on for customers"],
        (20, 8, 5, 8),
        "Ana Silva",
    ),
    (
        "Personalised recommendations",
        "Retail",
        "reviewing",
        310_000,
        "should",
        "data;growth",
        ["Customer data platform"],
        (13, 5, 3, 13),
        "Priya Nair",
    ),
    (
        "Mobile checkout redesign",
        "Retail",
        "ready",
        180_000,
        "should",
        "ux",
        [],
        (13, 13, 2, 5),
        "Ana Silva",
    ),
    (
        "Loyalty programme 2.0",
        "Retail",
        "funnel",
        340_000,
        "could",
        "growth",
        ["Customer data platform"],
        (8, 3, 2, 13),
        "Lena Vogt",
    ),
    (
        "Warehouse slotting optimiser",
        "Operations",
        "analysing",
        220_000,
        "should",
        "cost",
        [],
        (8, 5, 8, 8),
        "Marek Nowak",
    ),
    (
        "Returns automation",
        "Operations",
        "reviewing",
        140_000,
        "could",
        "cost;ux",
        [],
        (5, 3, 3, 5),
        "Marek Nowak",
    ),
    (
        "Supplier portal",
        "Operations",
        "funnel",
        280_000,
        "could",
        "b2b",
        ["Single sign-on for customers"],
        (5, 2, 5, 13),
        "Jonas Weber",
    ),
    (
        "Demand forecasting with ML",
        "Operations",
        "funnel",
        390_000,
        "could",
        "data;cost",
        ["Customer data platform"],
        (13, 3, 8, 20),
        "Priya Nair",
    ),
    (
        "PSD2 strong authentication",
        "Platform",
        "implementing",
        120_000,
        "must",
        "compliance",
        ["Single sign-on for customers"],
        (5, 20, 13, 3),
        "Tom Becker",
    ),
    (
        "Accessibility (WCAG 2.2 AA)",
        "Retail",
        "ready",
        90_000,
        "should",
        "ux;compliance",
        [],
        (5, 13, 8, 3),
        "Ana Silva",
    ),
    (
        "Legacy ERP decommissioning",
        "Platform",
        "funnel",
        450_000,
        "could",
        "cost;tech-debt",
        [],
        (3, 2, 13, 20),
        "Jonas Weber",
    ),
    (
        "In-store tablet app",
        "Retail",
        "funnel",
        200_000,
        "wont",
        "store",
        [],
        (3, 2, 1, 8),
        "Lena Vogt",
    ),
    (
        "Observability and SLOs",
        "Platform",
        "analysing",
        110_000,
        "should",
        "reliability",
        [],
        (3, 8, 13, 3),
        "Tom Becker",
    ),
]

RISKS: list[tuple[str, str | None, int, int, str, str, str]] = [
    (
        "Data platform vendor slips a quarter",
        "Customer data platform",
        3,
        5,
        "Priya Nair",
        "Phase the migration; keep the old warehouse running until cut-over.",
        "mitigating",
    ),
    (
        "Identity provider contract not signed in time",
        "Single sign-on for customers",
        2,
        4,
        "Tom Becker",
        "Legal review started; fallback provider shortlisted.",
        "open",
    ),
    (
        "Regulator tightens PSD2 deadline",
        "PSD2 strong authentication",
        2,
        5,
        "Tom Becker",
        "Weekly check with compliance; scope cut prepared.",
        "open",
    ),
    (
        "Store staff resist new checkout flow",
        "Mobile checkout redesign",
        3,
        2,
        "Ana Silva",
        "Pilot in three stores with champions.",
        "open",
    ),
    (
        "Key ML engineer leaves",
        "Demand forecasting with ML",
        3,
        3,
        "Priya Nair",
        "Pair programming and documented models.",
        "accepted",
    ),
    (
        "Budget cut mid-year",
        None,
        2,
        4,
        "Finance",
        "Quarterly re-plan with ranked cut line.",
        "open",
    ),
]


def seed_demo_portfolio(*, session: Session, ctx: TenantContext) -> None:
    """Idempotent: does nothing when the demo portfolio exists already."""
    if session.exec(select(Portfolio.id).where(Portfolio.name == DEMO_NAME)).first():
        return
    pid = portfolio_services.create_portfolio(
        session=session,
        ctx=ctx,
        name=DEMO_NAME,
        description="Where the company invests in 2027: ranked by WSJF, funded within budget.",
        scoring_model="wsjf",
    )
    funding_services.set_budget(
        session=session,
        ctx=ctx,
        portfolio_id=pid,
        budget=2_400_000,
        stream_budgets={"Retail": 1_000_000, "Operations": 500_000},
    )
    ids: dict[str, int] = {}
    for title, stream, status, cost, moscow, tags, deps, scores, owner in INITIATIVES:
        ids[title] = initiative_services.create_initiative(
            session=session,
            ctx=ctx,
            portfolio_id=pid,
            data={
                "title": title,
                "value_stream": stream,
                "status": status,
                "cost": cost,
                "moscow": moscow,
                "tags": tags,
                "owner": owner,
                "depends_on": [ids[d] for d in deps],
                "start_date": "2027-01-04" if status in ("implementing", "ready") else "",
                "end_date": "2027-09-30" if status in ("implementing", "ready") else "",
            },
        )
        bv, tc, rr, js = scores
        initiative_services.set_scores(
            session=session,
            ctx=ctx,
            initiative_id=ids[title],
            scores={
                "business_value": bv,
                "time_criticality": tc,
                "risk_reduction": rr,
                "job_size": js,
            },
        )
    ranking_services.override_rank(
        session=session,
        ctx=ctx,
        initiative_id=ids["Accessibility (WCAG 2.2 AA)"],
        position=2,
        reason="European Accessibility Act applies from mid-2025; legal asked us to finish first.",
    )
    for title, initiative, probability, impact, owner, mitigation, status in RISKS:
        risk_services.create_risk(
            session=session,
            ctx=ctx,
            portfolio_id=pid,
            data={
                "title": title,
                "initiative_id": ids[initiative] if initiative else None,
                "probability": probability,
                "impact": impact,
                "owner": owner,
                "mitigation": mitigation,
                "status": status,
            },
        )
    _demo_round(session, ctx, pid, ids)
    baseline = funding_services.create_scenario(
        session=session, ctx=ctx, portfolio_id=pid, name="Baseline"
    )
    funding_services.create_scenario(
        session=session,
        ctx=ctx,
        portfolio_id=pid,
        name="Stretch +20%",
        budget=2_880_000,
        overrides={ids["Legacy ERP decommissioning"]: "in"},
    )
    funding_services.create_scenario(
        session=session,
        ctx=ctx,
        portfolio_id=pid,
        name="Lean -25%",
        budget=1_800_000,
        overrides={ids["Loyalty programme 2.0"]: "out"},
    )
    funding_services.publish_scenario(session=session, ctx=ctx, scenario_id=baseline)


def _demo_round(session: Session, ctx: TenantContext, pid: int, ids: dict[str, int]) -> None:
    """A settled round on time criticality by up to three people of the organisation (when it
    has them): two agree with the settled value, one sees it a step differently."""
    people = session.exec(
        select(Membership.user_id, Membership.role).where(Membership.user_id != ctx.user_id)
    ).all()
    scorers = [
        TenantContext(org_id=ctx.org_id, user_id=uid, role=Role(role), org_slug=ctx.org_slug)
        for uid, role in people
        if at_least(role, Role.MEMBER)
    ][:2]
    scorers.append(ctx)
    round_id = round_services.open_scoring_round(
        session=session,
        ctx=ctx,
        portfolio_id=pid,
        name="Time criticality, Q1 2027",
        scorer_user_ids=[s.user_id for s in scorers if s.user_id is not None],
        keys=["time_criticality"],
    )
    settled = {ids[title]: scores[1] for title, *_, scores, _owner in INITIATIVES}
    for n, scorer in enumerate(scorers):
        values: dict[int, float] = dict(settled)
        if n == 0 and len(scorers) > 2:
            for k, initiative_id in enumerate(sorted(values)):
                if k % 3 == 0:  # one view a step apart on every third initiative
                    step = FIBONACCI.index(values[initiative_id])
                    values[initiative_id] = FIBONACCI[min(step + 1, len(FIBONACCI) - 1)]
        round_services.submit_round_scores(
            session=session, ctx=scorer, round_id=round_id, key="time_criticality", scores=values
        )
    round_services.settle_round(session=session, ctx=ctx, round_id=round_id)
