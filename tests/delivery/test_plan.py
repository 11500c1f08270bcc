"""Planned vs actual: the published plan adopted, RAG with a required reason and its history,
spend by month and by CSV, who may write, and how delivery is judged."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.plan_models import InitiativePlan, RagChange, SpendEntry
from pmo_saas.delivery.services import plan as plan_services
from pmo_saas.delivery.services import plan_views, tranches, value
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.builders import at
from tests.delivery.plan_builders import funded_initiative, set_rag, spend


def _view(ctx, iid, on=None):
    with tenant_session(ctx) as session:
        return plan_views.initiative_plan(session=session, ctx=ctx, initiative_id=iid, on=on)


def test_the_plan_gives_dates_budget_and_value(org_a):
    _pid, iid = funded_initiative(org_a, cost=90_000)
    view = _view(org_a, iid, on=date(2026, 2, 1))
    assert (view.planned_start, view.planned_end, view.planned_budget) == (
        "2026-01-01",
        "2026-06-30",
        90_000,
    )
    assert view.promised_value == pytest.approx((8 + 5 + 3) / 5)  # the WSJF score funded
    assert (view.approach, view.delivery, view.rag_label) == ("agile", "on_track", "Not set")
    assert _view(org_a, iid, on=date(2026, 7, 1)).delivery == "late"


def test_rag_needs_a_reason_and_keeps_its_history(org_a):
    _pid, iid = funded_initiative(org_a)
    clock.freeze(at("2026-02-01 09:00"))
    set_rag(org_a, iid, "green", "All good")
    with pytest.raises(ValidationFailed) as error:
        set_rag(org_a, iid, "amber", "   ")
    assert str(error.value) == "Write why the status is amber: a RAG status needs a reason."
    assert error.value.field == "reason"
    view = _view(org_a, iid, on=date(2026, 2, 1))
    assert (view.rag, view.rag_reason, len(view.rag_history)) == ("green", "All good", 1)
    clock.freeze(at("2026-02-08 09:00"))
    set_rag(org_a, iid, "amber", "Supplier is two weeks late")
    view = _view(org_a, iid, on=date(2026, 2, 8))
    assert [(r.rag, r.reason, r.set_at) for r in view.rag_history] == [
        ("amber", "Supplier is two weeks late", "2026-02-08 09:00"),
        ("green", "All good", "2026-02-01 09:00"),
    ]
    assert view.delivery == "at_risk"
    assert view.why == ["RAG amber: Supplier is two weeks late"]
    with pytest.raises(ValidationFailed, match="green, amber or red"):
        set_rag(org_a, iid, "blue", "Why not")
    with tenant_session(org_a) as session:
        csv_text = plan_views.export_rag_history_csv(session=session, ctx=org_a, initiative_id=iid)
    assert csv_text.splitlines()[1].startswith("2026-02-08 09:00,Amber,Supplier is two weeks")


def test_owner_or_coach_writes_viewers_and_others_cannot(org_a):
    owner = factories.make_member(org_a, Role.MEMBER, name="Olivia Owner")
    other = factories.make_member(org_a, Role.MEMBER, name="Someone Else")
    viewer = factories.make_member(org_a, Role.VIEWER, name="Olivia Owner")
    coach = factories.make_member(org_a, Role.COACH)
    _pid, iid = funded_initiative(org_a, owner="Olivia Owner")
    set_rag(owner, iid, "amber", "Scope grew")
    set_rag(coach, iid, "green", "Scope agreed")
    for ctx in (other, viewer):
        with pytest.raises(Forbidden):
            set_rag(ctx, iid, "red", "Planted")
        with pytest.raises(Forbidden):
            spend(ctx, iid, "2026-01", 1)
    writes = [
        lambda s, c: plan_services.adopt_plan(session=s, ctx=c, published_plan_id=1),
        lambda s, c: plan_services.set_approach(
            session=s, ctx=c, initiative_id=iid, approach="traditional"
        ),
        lambda s, c: tranches.set_tranches(session=s, ctx=c, initiative_id=iid, amounts=[1]),
        lambda s, c: value.add_key_result(
            session=s, ctx=c, initiative_id=iid, title="X", target=1, due_on="2026-09-01"
        ),
        lambda s, c: plan_services.import_spend_csv(
            session=s, ctx=c, initiative_id=iid, data=b"month,amount\n2026-01,5\n"
        ),
    ]
    for write in writes:
        with pytest.raises(Forbidden), tenant_session(viewer) as session:
            write(session, viewer)
    with tenant_session(org_a) as session:
        assert [r.rag for r in session.exec(select(RagChange)).all()] == ["amber", "green"]
        assert session.exec(select(SpendEntry)).all() == []


def test_spend_by_month_and_by_csv_all_or_nothing(org_a):
    _pid, iid = funded_initiative(org_a, cost=90_000)
    spend(org_a, iid, "2026-01", 10_000)
    spend(org_a, iid, "2026-01-20", 12_000)  # the same month: replaced
    with pytest.raises(ValidationFailed, match="YYYY-MM"):
        spend(org_a, iid, "January", 1)
    bad = b"month,amount\n2026-02,5000\n2026-13,1\n2026-03,-4\n"
    with pytest.raises(ValidationFailed) as error, tenant_session(org_a) as session:
        plan_services.import_spend_csv(session=session, ctx=org_a, initiative_id=iid, data=bad)
    assert str(error.value).startswith("Nothing imported. line 3: The month must be")
    assert "line 4: The amount cannot be negative" in str(error.value)
    assert [s.month for s in _view(org_a, iid).spend] == ["2026-01"]
    good = b'month,amount\n2026-02,5000\n2026-03,"7,000"\n'
    told: list[tuple[int, int]] = []
    with tenant_session(org_a) as session:
        result = plan_services.import_spend_csv(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            data=good,
            progress=lambda done, total: told.append((done, total)),
        )
    assert result.created == 2
    assert told == [(1, 2), (2, 2)]  # the page's bar: months written of all
    view = _view(org_a, iid)
    assert [(s.month, s.amount, s.source) for s in view.spend] == [
        ("2026-01", 12_000, "manual"),
        ("2026-02", 5_000, "csv"),
        ("2026-03", 7_000, "csv"),
    ]
    assert (view.spent, view.spend_percent) == (24_000, round(100 * 24_000 / 90_000, 1))


def test_dashboard_tile_and_csv_show_delivery(org_a):
    pid, iid = funded_initiative(org_a, title="Checkout", cost=90_000)
    clock.freeze(at("2026-02-01 09:00"))
    set_rag(org_a, iid, "amber", "Supplier late")
    spend(org_a, iid, "2026-01", 45_000)  # beyond the 30,000 released
    with tenant_session(org_a) as session:
        tile = plan_views.delivery_tile(session, org_a)
        text = plan_views.export_delivery_csv(session=session, ctx=org_a, portfolio_id=pid)
    assert (tile.planned, tile.on_track, tile.at_risk, tile.late) == (1, 0, 1, 0)
    assert (tile.budget, tile.spent, tile.spend_percent, tile.over_released) == (
        90_000,
        45_000,
        50.0,
        1,
    )
    assert [(r.title, r.rag, r.delivery_label) for r in tile.attention] == [
        ("Checkout", "amber", "At risk")
    ]
    lines = text.splitlines()
    assert lines[0].startswith("initiative,approach,planned end,budget,released,spent,rag")
    assert lines[1] == "Checkout,Agile (DSDM),2026-06-30,90000,30000,45000,amber,At risk,,,,yes"


def test_adopting_again_keeps_tranches_and_rag(org_a):
    from tests.delivery.plan_builders import adopt

    pid, iid = funded_initiative(org_a, cost=90_000)
    set_rag(org_a, iid, "red", "Blocked")
    assert adopt(org_a, pid, name="Plan 2", tranches=2) == 1
    view = _view(org_a, iid)
    assert (view.rag, len(view.tranches)) == ("red", 3)
    with tenant_session(org_a) as session:
        assert len(session.exec(select(InitiativePlan)).all()) == 1


def test_a_plan_is_adopted_in_1_to_12_tranches(org_a):
    from pmo_saas.portfolio.models import PublishedPlan

    funded_initiative(org_a)
    with tenant_session(org_a) as session:
        plan_id = session.exec(select(PublishedPlan.id)).one()
    for bad in ("0", "13", "three"):
        refused = pytest.raises(ValidationFailed, match="Choose 1 to 12 tranches")
        with refused, tenant_session(org_a) as session:
            plan_services.adopt_plan(
                session=session, ctx=org_a, published_plan_id=plan_id, tranches=bad
            )


def test_a_malformed_spend_file_gets_a_message_and_writes_nothing(org_a):
    """A field over the csv module's limit made it raise; lone carriage returns are lines."""
    _pid, iid = funded_initiative(org_a, cost=90_000)
    spend(org_a, iid, "2026-01", 10_000)
    huge = b"month,amount\n2026-02," + b"9" * 200_000 + b"\n"
    with pytest.raises(ValidationFailed, match="not valid CSV"), tenant_session(org_a) as session:
        plan_services.import_spend_csv(session=session, ctx=org_a, initiative_id=iid, data=huge)
    assert [s.month for s in _view(org_a, iid).spend] == ["2026-01"]
    with tenant_session(org_a) as session:
        result = plan_services.import_spend_csv(
            session=session, ctx=org_a, initiative_id=iid, data=b"month,amount\r2026-02,5\r"
        )
    assert result.created == 1
    assert [(s.month, s.amount) for s in _view(org_a, iid).spend] == [
        ("2026-01", 10_000),
        ("2026-02", 5),
    ]
