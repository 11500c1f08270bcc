"""Participatory budgeting: invited stakeholders split a total, see the spread once they have
split it themselves, discuss; the facilitator settles the split into the stream budgets that
"Fund the best set" respects. Attackers first: strangers, other organisations, removed
admins, late allocations, sums that do not add up."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.collaboration import targets
from pmo_saas.collaboration.services import comments
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, Membership
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio import budget_math
from pmo_saas.portfolio.models import BudgetAllocation, BudgetSession, StreamBudget
from pmo_saas.portfolio.schemas import BudgetOption
from pmo_saas.portfolio.services import budgeting
from pmo_saas.portfolio.services import funding as funding_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def call(ctx, fn, **kwargs):
    with tenant_session(ctx) as session:
        return fn(session=session, ctx=ctx, **kwargs)


@pytest.fixture
def setup(org_a):
    return budget_world(org_a)


def budget_world(org_a):
    """Retail and Wholesale: unconstrained, the optimum funds R1 + W1; a split that gives
    Wholesale 900 of 1,000 funds W1 + W2 instead."""
    pid = make_portfolio(org_a, budget=1000)
    ids = {
        "R1": make_initiative(
            org_a, pid, "R1", value_stream="Retail", cost=600, scores=wsjf(20, 20, 20, 1)
        ),
        "W1": make_initiative(
            org_a, pid, "W1", value_stream="Wholesale", cost=400, scores=wsjf(8, 8, 8, 2)
        ),
        "W2": make_initiative(
            org_a, pid, "W2", value_stream="Wholesale", cost=500, scores=wsjf(13, 13, 13, 3)
        ),
    }
    coach = factories.make_member(org_a, Role.COACH, name="Cora Coach")
    people = [factories.make_member(org_a, Role.MEMBER, name=f"Stake {n}") for n in range(3)]
    sid = call(
        coach,
        budgeting.open_budget_session,
        portfolio_id=pid,
        name="FY27 split",
        total=1000,
        stakeholder_user_ids=[p.user_id for p in people],
    )
    return pid, ids, coach, people, sid


def allocate(ctx, sid, amounts):
    call(ctx, budgeting.submit_allocation, budget_session_id=sid, amounts=amounts)


def view(ctx, sid):
    return call(ctx, budgeting.budget_session, budget_session_id=sid)


def funded_titles(ctx, pid):
    plan = call(ctx, funding_services.fund_portfolio, portfolio_id=pid)
    return sorted(line.title for line in plan.lines if line.funded)


def test_three_stakeholders_settle_a_split_that_changes_the_optimum(setup):
    pid, _, coach, people, sid = setup
    assert funded_titles(coach, pid) == ["R1", "W1"]  # no stream budgets yet
    allocate(people[0], sid, {"Retail": 100, "Wholesale": 900})
    allocate(people[1], sid, {"Retail": "0", "Wholesale": "1,000"})
    allocate(people[2], sid, {"Retail": 300, "Wholesale": 700})
    spread = {s.key: s for s in view(coach, sid).spread}
    assert (spread["Retail"].median, spread["Retail"].low, spread["Retail"].high) == (100, 0, 300)
    assert (spread["Wholesale"].median, spread["Wholesale"].count) == (900, 3)
    settled = call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    assert settled == {"Retail": 100, "Wholesale": 900}
    with system_session() as session:
        budgets = {r.value_stream: r.amount for r in session.exec(select(StreamBudget)).all()}
    assert budgets == {"Retail": 100, "Wholesale": 900}
    assert funded_titles(coach, pid) == ["W1", "W2"]  # R1 (600) no longer fits Retail's 100
    origin = call(coach, budgeting.stream_budget_origin, portfolio_id=pid)
    assert origin is not None and origin.name == "FY27 split" and origin.session_id == sid
    with system_session() as session:
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions.count("budget_session.allocated") == 3
    for action in ("budget_session.opened", "budget_session.settled", "portfolio.budget_set"):
        assert action in actions


def test_a_changed_allocation_is_audited_and_replaces_the_first(setup):
    _, _, _, people, sid = setup
    allocate(people[0], sid, {"Retail": 500, "Wholesale": 500})
    allocate(people[0], sid, {"Retail": 200, "Wholesale": 800})
    assert view(people[0], sid).my_allocation == {"Retail": 200, "Wholesale": 800}
    with system_session() as session:
        assert len(session.exec(select(BudgetAllocation)).all()) == 2
        changed = session.exec(
            select(AuditEvent).where(AuditEvent.action == "budget_session.allocation_changed")
        ).all()
    assert len(changed) == 1 and "800" in changed[0].detail


def test_the_spread_shows_a_stakeholder_only_after_their_own_allocation(setup):
    _, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 1000, "Wholesale": 0})
    before = view(people[1], sid)
    assert before.spread is None and "once you have saved your own" in before.spread_hidden_reason
    assert before.progress == [] and before.may_allocate
    with pytest.raises(Forbidden):
        call(people[1], budgeting.budget_allocations, budget_session_id=sid)
    with pytest.raises(Forbidden):
        call(people[1], budgeting.allocations_csv, budget_session_id=sid)
    assert view(coach, sid).spread is not None  # the facilitator follows it throughout
    allocate(people[1], sid, {"Retail": 400, "Wholesale": 600})
    after = view(people[1], sid)
    assert after.spread is not None and after.spread[0].count == 2
    # Once settled, every stakeholder sees it, allocated or not.
    call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    assert view(people[2], sid).spread is not None


def test_allocations_are_anonymous_to_members_and_named_to_facilitators(setup):
    _, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 100, "Wholesale": 900})
    allocate(people[1], sid, {"Retail": 700, "Wholesale": 300})
    allocate(people[2], sid, {"Retail": 300, "Wholesale": 700})
    seen = call(people[1], budgeting.budget_allocations, budget_session_id=sid)
    labels = [r.stakeholder for r in seen]
    assert labels[:2] == ["You", "You"]
    assert set(labels) == {"You", "Stakeholder 1", "Stakeholder 2"}
    # Ordered by amounts, not by person: Stakeholder 1 is the smaller Retail share (Stake 0).
    assert [r.amount for r in seen if r.stakeholder == "Stakeholder 1"] == [100, 900]
    text = call(people[1], budgeting.allocations_csv, budget_session_id=sid)
    assert "Stake 0" not in text and "Stake 2" not in text and "You" in text
    named = call(coach, budgeting.allocations_csv, budget_session_id=sid)
    assert "Stake 0" in named and "Stake 2" in named
    assert named.splitlines()[0] == "stakeholder,option,value_stream,amount"
    progress = view(coach, sid).progress
    assert {p.name for p in progress} == {"Stake 0", "Stake 1", "Stake 2"}


def test_sums_that_miss_the_total_are_refused_and_the_earlier_split_kept(setup):
    _, _, _, people, sid = setup
    allocate(people[0], sid, {"Retail": 250, "Wholesale": 750})
    bad = [
        ({"Retail": 100, "Wholesale": 100}, "800 is still to place"),
        ({"Retail": 900, "Wholesale": 900}, "remove 800"),
        ({"Retail": -100, "Wholesale": 1100}, "cannot be negative"),
        ({"Retail": "lots", "Wholesale": 1000}, "must be a number"),
        ({"Retail": "10.5", "Wholesale": "989.5"}, "whole currency units"),
        ({"Retail": 0, "Wholesale": 0, "Hacked": 1000}, "not one of the session's options"),
    ]
    for amounts, message in bad:
        with pytest.raises(ValidationFailed, match=message):
            allocate(people[0], sid, amounts)
    assert view(people[0], sid).my_allocation == {"Retail": 250, "Wholesale": 750}
    with pytest.raises(ValidationFailed, match="add up to 0"):
        allocate(people[1], sid, {})
    assert view(people[1], sid).my_allocation == {}


def test_someone_not_invited_can_neither_read_nor_allocate(setup, org_a):
    pid, _, _, _, sid = setup
    curious = factories.make_member(org_a, Role.MEMBER, name="Curious")
    for fn in (budgeting.budget_session, budgeting.budget_allocations, budgeting.allocations_csv):
        with pytest.raises(NotFound):
            call(curious, fn, budget_session_id=sid)
    with pytest.raises(NotFound):
        allocate(curious, sid, {"Retail": 500, "Wholesale": 500})
    assert call(curious, budgeting.list_budget_sessions, portfolio_id=pid) == []
    viewer = factories.make_member(org_a, Role.VIEWER)
    with pytest.raises(NotFound):
        view(viewer, sid)
    with system_session() as session:
        assert session.exec(select(BudgetAllocation)).all() == []


def test_members_cannot_open_settle_or_cancel(setup):
    pid, _, _, people, sid = setup
    with pytest.raises(Forbidden):
        call(
            people[0],
            budgeting.open_budget_session,
            portfolio_id=pid,
            name="Mine",
            total=5,
            stakeholder_user_ids=[people[0].user_id],
        )
    with pytest.raises(Forbidden):
        call(people[0], budgeting.settle_budget_session, budget_session_id=sid)
    with pytest.raises(Forbidden):
        call(people[0], budgeting.cancel_budget_session, budget_session_id=sid)


def test_viewers_are_not_invited_and_a_demoted_stakeholder_stops_allocating(setup, org_a):
    pid, _, coach, people, sid = setup
    viewer = factories.make_member(org_a, Role.VIEWER, name="Vee")
    with pytest.raises(ValidationFailed, match="Vee is a viewer"):
        call(
            coach,
            budgeting.open_budget_session,
            portfolio_id=pid,
            name="V",
            total=10,
            stakeholder_user_ids=[viewer.user_id],
        )
    with system_session() as session:
        membership = session.exec(
            select(Membership).where(Membership.user_id == people[0].user_id)
        ).one()
        membership.role = Role.VIEWER
        session.add(membership)
    # Their old context still says member: the membership row decides.
    with pytest.raises(Forbidden):
        allocate(people[0], sid, {"Retail": 500, "Wholesale": 500})
    assert not view(people[0], sid).may_allocate


def test_another_organisation_finds_nothing(setup, org_b):
    pid, _, _, people, sid = setup
    their_coach = factories.make_member(org_b, Role.COACH)
    for ctx in (org_b, their_coach):
        for fn in (
            budgeting.budget_session,
            budgeting.budget_allocations,
            budgeting.allocations_csv,
            budgeting.settle_budget_session,
            budgeting.cancel_budget_session,
        ):
            with pytest.raises(NotFound):
                call(ctx, fn, budget_session_id=sid)
        with pytest.raises(NotFound):
            allocate(ctx, sid, {"Retail": 500, "Wholesale": 500})
        with pytest.raises(NotFound):
            call(ctx, budgeting.list_budget_sessions, portfolio_id=pid)
    # Nor can org B invite org A's people into its own session.
    their_pid = make_portfolio(org_b, budget=10)
    make_initiative(org_b, their_pid, "Theirs", value_stream="B stream", cost=1)
    with pytest.raises(NotFound):
        call(
            org_b,
            budgeting.open_budget_session,
            portfolio_id=their_pid,
            name="X",
            total=10,
            stakeholder_user_ids=[people[0].user_id],
        )
    with system_session() as session:
        assert session.get(BudgetSession, sid).status == "open"


def test_a_removed_admin_acting_with_an_old_context_is_refused(setup, org_a):
    pid, _, _, _, sid = setup
    admin = factories.make_member(org_a, Role.ADMIN, name="Ada")
    assert view(admin, sid).facilitator
    with tenant_session(org_a) as session:
        membership = session.exec(
            select(Membership).where(Membership.user_id == admin.user_id)
        ).one()
        identity.remove_member(session=session, ctx=org_a, membership_id=membership.id)
    for fn in (
        budgeting.budget_session,
        budgeting.settle_budget_session,
        budgeting.budget_allocations,
    ):
        with pytest.raises(NotFound):
            call(admin, fn, budget_session_id=sid)
    with pytest.raises(Forbidden):
        call(
            admin,
            budgeting.open_budget_session,
            portfolio_id=pid,
            name="Late",
            total=10,
            stakeholder_user_ids=[admin.user_id],
        )
    with system_session() as session:
        assert session.get(BudgetSession, sid).status == "open"


def test_nothing_changes_after_settlement_or_cancellation(setup):
    pid, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 400, "Wholesale": 600})
    call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    with pytest.raises(Conflict, match="closed"):
        allocate(people[0], sid, {"Retail": 0, "Wholesale": 1000})
    with pytest.raises(Conflict, match="already closed"):
        call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    assert view(people[0], sid).my_allocation == {"Retail": 400, "Wholesale": 600}
    assert not view(people[0], sid).may_allocate
    other = call(
        coach,
        budgeting.open_budget_session,
        portfolio_id=pid,
        name="Second",
        total=1000,
        stakeholder_user_ids=[people[1].user_id],
    )
    call(coach, budgeting.cancel_budget_session, budget_session_id=other)
    with pytest.raises(Conflict):
        allocate(people[1], other, {"Retail": 500, "Wholesale": 500})


def test_an_edited_split_must_add_up_and_initiatives_add_up_per_stream(setup):
    pid, _, coach, people, _ = setup
    sid = call(
        coach,
        budgeting.open_budget_session,
        portfolio_id=pid,
        name="By initiative",
        total=900,
        basis="initiatives",
        stakeholder_user_ids=[p.user_id for p in people],
    )
    options = view(coach, sid).options
    assert [o.label for o in options] == ["R1", "W1", "W2"]
    key = {o.label: o.key for o in options}
    with pytest.raises(ValidationFailed, match="add up to 800"):
        call(
            coach,
            budgeting.settle_budget_session,
            budget_session_id=sid,
            split={key["R1"]: 0, key["W1"]: 300, key["W2"]: 500},
        )
    with pytest.raises(ValidationFailed, match="Nobody has allocated yet"):
        call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    settled = call(
        coach,
        budgeting.settle_budget_session,
        budget_session_id=sid,
        split={key["R1"]: 100, key["W1"]: 300, key["W2"]: 500},
    )
    assert settled == {"Retail": 100, "Wholesale": 800}
    with system_session() as session:
        detail = session.exec(
            select(AuditEvent.detail).where(AuditEvent.action == "budget_session.settled")
        ).one()
    assert detail.startswith("as agreed in discussion")


def test_a_hand_change_on_the_funding_page_ends_the_sessions_claim(setup):
    pid, _, coach, people, sid = setup
    allocate(people[0], sid, {"Retail": 100, "Wholesale": 900})
    call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    assert call(people[2], budgeting.stream_budget_origin, portfolio_id=pid) is not None
    call(
        coach,
        funding_services.set_budget,
        portfolio_id=pid,
        budget=1000,
        stream_budgets={"Retail": 500, "Wholesale": 500},
    )
    assert call(coach, budgeting.stream_budget_origin, portfolio_id=pid) is None


def test_a_session_larger_than_the_portfolio_budget_cannot_settle(setup):
    pid, _, coach, people, _ = setup
    sid = call(
        coach,
        budgeting.open_budget_session,
        portfolio_id=pid,
        name="Big",
        total=5000,
        stakeholder_user_ids=[people[0].user_id],
    )
    allocate(people[0], sid, {"Retail": 2500, "Wholesale": 2500})
    with pytest.raises(ValidationFailed, match="raise it on the funding page"):
        call(coach, budgeting.settle_budget_session, budget_session_id=sid)
    with system_session() as session:
        assert session.exec(select(StreamBudget)).all() == []
        assert session.get(BudgetSession, sid).status == "open"


def test_the_default_split_is_the_medians_scaled_to_the_total():
    options = [BudgetOption(key=k, label=k, stream=k) for k in ("A", "B", "C")]
    amounts = {
        1: {"A": 600, "B": 400, "C": 0},
        2: {"A": 500, "B": 0, "C": 500},
        3: {"A": 0, "B": 300, "C": 700},
    }
    # medians 500, 300, 500 (sum 1,300) scaled to 1,000, whole units summing exactly
    split = budget_math.proposed_split(options, amounts, 1000)
    assert split == {"A": 385, "B": 231, "C": 384} and sum(split.values()) == 1000
    # Everyone backed a different option: every median is 0, the means decide.
    apart = {
        1: {"A": 90, "B": 0, "C": 0},
        2: {"A": 0, "B": 90, "C": 0},
        3: {"A": 0, "B": 0, "C": 90},
    }
    assert budget_math.proposed_split(options, apart, 90) == {"A": 30, "B": 30, "C": 30}


def test_outliers_are_outside_the_tukey_fences():
    options = [BudgetOption(key="A", label="A", stream="A")]
    values = [100, 110, 120, 130, 900]
    [spread] = budget_math.spread_of(options, {n: {"A": v} for n, v in enumerate(values)})
    assert spread.outliers == [900] and spread.median == 120
    assert (spread.low, spread.high, spread.count) == (100, 900, 5)
    [few] = budget_math.spread_of(options, {1: {"A": 1}, 2: {"A": 1000}, 3: {"A": 2}})
    assert few.outliers == []  # three allocations have no quartiles worth the name


def test_the_discussion_follows_the_session(setup, org_a):
    _, _, coach, people, sid = setup
    curious = factories.make_member(org_a, Role.MEMBER)
    call(
        people[0],
        comments.post_comment,
        target_kind="budget_session",
        target_id=sid,
        body="Wholesale carries next year",
    )
    thread = call(people[1], comments.comment_thread, target_kind="budget_session", target_id=sid)
    assert [c.body for c in thread.comments] == ["Wholesale carries next year"]
    with pytest.raises(NotFound):
        call(curious, comments.comment_thread, target_kind="budget_session", target_id=sid)
    with pytest.raises(NotFound):
        call(
            curious,
            comments.post_comment,
            target_kind="budget_session",
            target_id=sid,
            body="let me in",
        )
    with tenant_session(coach) as session:
        seeing = targets.who_can_see(
            session,
            coach,
            "budget_session",
            sid,
            [curious.user_id, people[2].user_id, coach.user_id],
        )
    assert seeing == {people[2].user_id, coach.user_id}
