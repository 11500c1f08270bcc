"""The budgeting pages' states: handlers called as the websocket would, refusing on the
server whatever the page shows (a stranger's on_load, a late allocation, a member settling)."""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import BudgetAllocation, BudgetSession, StreamBudget
from pmo_saas.portfolio.pages.budgeting import BudgetingState, BudgetSessionState
from pmo_saas.portfolio.pages.funding import FundingState
from tests import factories
from tests.portfolio.builders import make_budget_session, make_initiative, make_portfolio
from tests.state_harness import run, state_for


def _world(org):
    pid = make_portfolio(org, budget=1000)
    make_initiative(org, pid, "R1", value_stream="Retail", cost=100)
    make_initiative(org, pid, "W1", value_stream="Wholesale", cost=100)
    coach = factories.make_member(org, Role.COACH, name="Cora")
    ann = factories.make_member(org, Role.MEMBER, name="Ann")
    bob = factories.make_member(org, Role.MEMBER, name="Bob")
    return pid, coach, ann, bob


def _allocations() -> list[tuple[int, str, int]]:
    with system_session() as session:
        rows = session.exec(select(BudgetAllocation)).all()
    return sorted((r.user_id, r.option_key, r.amount) for r in rows)


def test_open_allocate_settle_and_the_funding_page_names_the_session(org_a):
    pid, coach, ann, bob = _world(org_a)
    base = f"/o/{org_a.org_slug}/portfolio/p/{pid}"
    tokens = {p.user_id: identity.start_session(user_id=p.user_id) for p in (coach, ann, bob)}

    async def scenario():
        listing = await state_for(
            BudgetingState, token=tokens[coach.user_id], path=f"{base}/budgeting"
        )
        await listing.load()
        assert {c.label for c in listing.people} >= {"Ann", "Bob"}
        await listing.open_session({"name": "", "total": "1000", "basis": "streams"})
        assert "session name" in listing.error
        form = {
            "name": "FY27",
            "total": "1000",
            "basis": "streams",
            f"stakeholder_{ann.user_id}": "on",
            f"stakeholder_{bob.user_id}": "on",
        }
        await listing.open_session(form)
        assert listing.error == ""
        with system_session() as session:
            sid = session.exec(select(BudgetSession.id)).one()
        path = f"{base}/budgeting/{sid}"
        mine = await state_for(BudgetSessionState, token=tokens[ann.user_id], path=path)
        await mine.load()
        assert mine.may_allocate and not mine.spread_shown and not mine.facilitator
        assert [o.label for o in mine.options] == ["Retail", "Wholesale"]
        await mine.save_allocation({"amount_0": "300", "amount_1": "600"})
        assert "still to place" in mine.error and _allocations() == []
        await mine.save_allocation({"amount_0": "300", "amount_1": "700"})
        assert mine.error == "" and mine.spread_shown and mine.people == []  # no names
        theirs = await state_for(BudgetSessionState, token=tokens[bob.user_id], path=path)
        await theirs.load()
        assert not theirs.spread_shown and "once you have saved your own" in theirs.hidden_reason
        await theirs.save_allocation({"amount_0": "100", "amount_1": "900"})
        await theirs.settle({})
        assert "coach role" in theirs.error
        facilitator = await state_for(BudgetSessionState, token=tokens[coach.user_id], path=path)
        await facilitator.load()
        assert {p.name for p in facilitator.people} == {"Ann", "Bob"}
        assert [o.proposed for o in facilitator.options] == ["200", "800"]
        await facilitator.settle({"split_0": "", "split_1": ""})
        assert facilitator.error == "" and facilitator.status == "settled"
        assert facilitator.settled == ["Retail: 200", "Wholesale: 800"]
        await theirs.save_allocation({"amount_0": "0", "amount_1": "1000"})
        assert "closed" in theirs.error
        funding = await state_for(FundingState, token=tokens[ann.user_id], path=f"{base}/funding")
        await funding.load()
        assert funding.split_session_id == sid and funding.split_session.startswith("FY27")
        return sid

    run(scenario())
    with system_session() as session:
        budgets = {r.value_stream: r.amount for r in session.exec(select(StreamBudget)).all()}
    assert budgets == {"Retail": 200, "Wholesale": 800}


def test_strangers_other_organisations_and_forged_indexes(org_a, org_b):
    pid, coach, ann, _ = _world(org_a)
    sid = make_budget_session(coach, pid, [ann], total=1000, name="Quiet")
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/budgeting/{sid}"
    curious = factories.make_member(org_a, Role.MEMBER)
    outsider = factories.make_member(org_b, Role.ADMIN)

    async def scenario():
        for person, where in (
            (curious, path),
            (outsider, path),
            (outsider, path.replace(org_a.org_slug, org_b.org_slug)),
        ):
            token = identity.start_session(user_id=person.user_id)
            state = await state_for(BudgetSessionState, token=token, path=where)
            await state.load()
            assert "not found" in state.error.lower() or "organisation" in state.error.lower()
            assert state.options == [] and state.name == ""
            await state.save_allocation({"amount_0": "1000"})
            assert state.error
            await state.settle({})
            assert state.error
            assert await state.download_csv() is None
        # An index beyond the options is dropped: the split then misses the total.
        mine = await state_for(
            BudgetSessionState, token=identity.start_session(user_id=ann.user_id), path=path
        )
        await mine.load()
        await mine.save_allocation({"amount_0": "0", "amount_1": "0", "amount_7": "1000"})
        assert "add up to 0" in mine.error
        listing = await state_for(
            BudgetingState,
            token=identity.start_session(user_id=curious.user_id),
            path=path.rsplit("/", 1)[0],
        )
        await listing.load()
        assert listing.sessions == [] and listing.people == []
        await listing.open_session(
            {
                "name": "Mine",
                "total": "5",
                "basis": "streams",
                f"stakeholder_{curious.user_id}": "on",
            }
        )
        assert listing.error

    run(scenario())
    assert _allocations() == []
    with system_session() as session:
        assert session.get(BudgetSession, sid).status == "open"


def test_a_facilitator_invites_from_the_page_and_nobody_else_can(org_a, org_b):
    pid, coach, ann, bob = _world(org_a)
    sid = make_budget_session(coach, pid, [ann], total=1000, name="Late invite")
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/budgeting/{sid}"
    theirs = factories.make_member(org_b, Role.MEMBER)

    async def scenario():
        # A stakeholder sees no one to invite, and the server refuses their forged form.
        mine = await state_for(
            BudgetSessionState, token=identity.start_session(user_id=ann.user_id), path=path
        )
        await mine.load()
        assert mine.invitable == []
        await mine.invite({f"invite_{bob.user_id}": "on"})
        assert "coach role" in mine.error
        facilitator = await state_for(
            BudgetSessionState, token=identity.start_session(user_id=coach.user_id), path=path
        )
        await facilitator.load()
        labels = {c.label for c in facilitator.invitable}
        assert "Bob" in labels and "Ann" not in labels  # Ann is invited already
        await facilitator.invite({f"invite_{theirs.user_id}": "on"})  # another org's person
        assert "not found" in facilitator.error.lower()
        await facilitator.invite({})
        assert "not invited yet" in facilitator.error
        await facilitator.invite({f"invite_{bob.user_id}": "on"})
        assert facilitator.error == "" and "Invited 1 more" in facilitator.notice
        assert {p.name for p in facilitator.people} == {"Ann", "Bob"}
        assert "Bob" not in {c.label for c in facilitator.invitable}
        late = await state_for(
            BudgetSessionState, token=identity.start_session(user_id=bob.user_id), path=path
        )
        await late.load()
        assert late.may_allocate

    run(scenario())
