"""The portfolio pages' states refuse on the server, whatever the page shows.

Handlers are called as the websocket would call them (a state tree whose router carries the
HttpOnly session cookie and the page URL): members of another organisation see and touch
nothing, viewers cannot write, and a member not invited to a round cannot score in it.
"""

from __future__ import annotations

import io

import pytest
import reflex as rx
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import (
    Criterion,
    Initiative,
    Portfolio,
    PublishedPlan,
    Risk,
    RoundScore,
    Scenario,
    ScoringRound,
)
from pmo_saas.portfolio.pages.funding import FundingState, parse_split
from pmo_saas.portfolio.pages.initiatives import InitiativesState
from pmo_saas.portfolio.pages.overview import PortfoliosState
from pmo_saas.portfolio.pages.ranking import RankingState
from pmo_saas.portfolio.pages.risks import RisksState
from pmo_saas.portfolio.pages.rounds import RoundsState, RoundState
from pmo_saas.portfolio.scoring import TIMES
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import risks as risk_services
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf
from tests.portfolio.test_csv import twenty_rows
from tests.state_harness import run, state_for

TABLES = (Portfolio, Initiative, Criterion, ScoringRound, RoundScore, Scenario, PublishedPlan, Risk)


async def _confirm_import(state: InitiativesState) -> None:
    """The import is a background event (Reflex refuses a direct call): its function, run on
    the state itself (where `async with self` does nothing)."""
    await InitiativesState.confirm_import.fn(state)


async def _fund(state: FundingState) -> None:
    """Fund the best set: the checked event, then its background solver run on the state."""
    if await state.fund() is FundingState.solve:
        await FundingState.solve.fn(state)


def _counts() -> dict[str, int]:
    with system_session() as session:
        return {m.__name__: session.exec(select(func.count()).select_from(m)).one() for m in TABLES}


@pytest.fixture
def setup(org_a):
    """org_a's portfolio with two scored initiatives, a scenario, a risk and an open round."""
    pid = make_portfolio(org_a, "FY27", budget=50_000)
    a = make_initiative(org_a, pid, "Alpha", cost=20_000, scores=wsjf(8, 5, 3, 5))
    make_initiative(org_a, pid, "Beta", cost=30_000, scores=wsjf(5, 3, 2, 8))
    scorer = factories.make_member(org_a, Role.MEMBER)
    with tenant_session(org_a) as session:
        sid = funding_services.create_scenario(
            session=session, ctx=org_a, portfolio_id=pid, name="Base"
        )
        risk_services.create_risk(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data={"title": "Vendor late", "probability": 3, "impact": 4},
        )
        rid = round_services.open_scoring_round(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            name="Round",
            scorer_user_ids=[scorer.user_id],
            keys=["business_value"],
        )
    return {"pid": pid, "initiative": a, "scenario": sid, "round": rid, "scorer": scorer}


def _paths(slug: str, pid: int, rid: int) -> dict[str, str]:
    base = f"/o/{slug}/portfolio/p/{pid}"
    return {
        "list": f"/o/{slug}/portfolio",
        "initiatives": base,
        "ranking": f"{base}/ranking",
        "rounds": f"{base}/rounds",
        "round": f"{base}/rounds/{rid}",
        "funding": f"{base}/funding",
        "risks": f"{base}/risks",
    }


async def _try_everything(token: str, paths: dict[str, str], setup: dict) -> dict[str, str]:
    """Every read and write a page offers; returns the error each showed (reads start "load")."""
    errors: dict[str, str] = {}
    listing = await state_for(PortfoliosState, token=token, path=paths["list"])
    await listing.load()
    await listing.create({"name": "Rogue", "scoring_model": "wsjf"})
    errors["create portfolio"] = listing.error
    await listing.archive(setup["pid"], True)
    errors["archive portfolio"] = listing.error

    ini = await state_for(InitiativesState, token=token, path=paths["initiatives"])
    await ini.load()
    errors["load initiatives"] = ini.error
    assert ini.cards == [] or all(c.title in ("Alpha", "Beta") for c in ini.cards)
    await ini.create({"title": "Rogue", "status": "funnel"})
    errors["create initiative"] = ini.error
    await ini.move(setup["initiative"], "done")
    errors["move"] = ini.error
    await ini.archive(setup["initiative"], True)
    errors["archive"] = ini.error
    ini.editing_id = setup["initiative"]
    await ini.save_edit({"title": "Renamed"})
    errors["edit"] = ini.error
    await ini.preview_import({"csv": twenty_rows().decode()})
    errors["preview import"] = ini.error
    ini._import_data = twenty_rows()
    await _confirm_import(ini)
    errors["confirm import"] = ini.error

    ranking = await state_for(RankingState, token=token, path=paths["ranking"])
    await ranking.load()
    errors["load ranking"] = ranking.error
    await ranking.choose_model({"scoring_model": "rice"})
    errors["choose model"] = ranking.error
    await ranking.add_criterion({"name": "Reach"})
    errors["add criterion"] = ranking.error
    await ranking.override(
        {"initiative_id": str(setup["initiative"]), "position": "1", "reason": "Because"}
    )
    errors["override"] = ranking.error

    rounds = await state_for(RoundsState, token=token, path=paths["rounds"])
    await rounds.load()
    errors["load rounds"] = rounds.error
    await rounds.open_round({"name": "Rogue", "input_business_value": "on"})
    errors["open round"] = rounds.error

    funding = await state_for(FundingState, token=token, path=paths["funding"])
    await funding.load()
    errors["load funding"] = funding.error
    await funding.save_budget({"budget": "1", "split": ""})
    errors["save budget"] = funding.error
    await funding.create_scenario({"name": "Rogue", "scenario_budget": "10"})
    errors["create scenario"] = funding.error
    await funding.publish(setup["scenario"])
    errors["publish"] = funding.error
    await funding.delete(setup["scenario"])
    errors["delete scenario"] = funding.error

    risks = await state_for(RisksState, token=token, path=paths["risks"])
    await risks.load()
    errors["load risks"] = risks.error
    await risks.create({"title": "Rogue", "probability": "5", "impact": "5"})
    errors["create risk"] = risks.error
    return errors


def test_another_organisation_sees_and_touches_nothing(org_a, org_b, setup):
    before = _counts()
    token = identity.start_session(user_id=org_b.user_id)

    async def scenario():
        # Through org_a's URL: not a member, the organisation is "not found".
        errors = await _try_everything(
            token, _paths(org_a.org_slug, setup["pid"], setup["round"]), setup
        )
        assert all("not found" in e for e in errors.values()), errors
        # Through org_b's own URL with org_a's ids: the same "not found" as a missing row.
        paths = _paths(org_b.org_slug, setup["pid"], setup["round"])
        ini = await state_for(InitiativesState, token=token, path=paths["initiatives"])
        await ini.load()
        assert ini.error == "That portfolio was not found." and ini.cards == []
        await ini.move(setup["initiative"], "done")
        assert ini.error == "That initiative was not found."
        ranking = await state_for(RankingState, token=token, path=paths["ranking"])
        await ranking.load()
        assert ranking.error == "That portfolio was not found." and ranking.rows == []
        await ranking.override(
            {"initiative_id": str(setup["initiative"]), "position": "1", "reason": "x"}
        )
        assert ranking.error == "That initiative was not found."
        funding = await state_for(FundingState, token=token, path=paths["funding"])
        await funding.publish(setup["scenario"])
        assert funding.error == "That scenario was not found."
        round_state = await state_for(RoundState, token=token, path=paths["round"])
        await round_state.load()
        assert "not found" in round_state.error and round_state.items == []
        assert round_state.cells == []

    run(scenario())
    assert _counts() == before
    with tenant_session(org_a) as session:
        assert [p.name for p in portfolio_services.list_portfolios(session=session, ctx=org_a)] == [
            "FY27"
        ]
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(
            session=session, ctx=org_a, initiative_id=setup["initiative"]
        )
    assert row.title == "Alpha" and row.status == "funnel" and not row.archived


def test_viewers_read_but_cannot_write(org_a, setup):
    before = _counts()
    viewer = factories.make_member(org_a, Role.VIEWER)
    token = identity.start_session(user_id=viewer.user_id)

    async def scenario():
        paths = _paths(org_a.org_slug, setup["pid"], setup["round"])
        errors = await _try_everything(token, paths, setup)
        reads = {k: e for k, e in errors.items() if k.startswith("load")}
        assert set(reads.values()) == {""}  # every page loads for a viewer
        writes = {k: e for k, e in errors.items() if not k.startswith("load")}
        assert all("role" in e or "Only coaches" in e for e in writes.values()), writes
        ini = await state_for(InitiativesState, token=token, path=paths["initiatives"])
        await ini.load()
        assert {c.title for c in ini.cards} == {"Alpha", "Beta"}
        round_state = await state_for(RoundState, token=token, path=paths["round"])
        await round_state.load()
        assert not round_state.invited and round_state.cells == []  # private until settled
        await round_state.submit_scores({f"score_{setup['initiative']}": "8"})
        assert round_state.error

    run(scenario())
    assert _counts() == before
    with tenant_session(org_a) as session:
        assert [p.name for p in portfolio_services.list_portfolios(session=session, ctx=org_a)] == [
            "FY27"
        ]


def test_a_member_not_invited_cannot_score(org_a, setup):
    outsider = factories.make_member(org_a, Role.MEMBER)
    token = identity.start_session(user_id=outsider.user_id)
    ids = [setup["initiative"]]
    with tenant_session(org_a) as session:
        ids = round_services.list_rounds(session=session, ctx=org_a, portfolio_id=setup["pid"])[
            0
        ].initiative_ids

    async def scenario():
        path = _paths(org_a.org_slug, setup["pid"], setup["round"])["round"]
        state = await state_for(RoundState, token=token, path=path)
        await state.load()
        assert state.error == "" and state.round_name == "Round"
        assert not state.invited and state.items == [] and state.cells == []
        listing = await state_for(
            PortfoliosState, token=token, path=f"/o/{org_a.org_slug}/portfolio"
        )
        await listing.load()
        assert listing.invites == []
        state.sheet_key = "business_value"
        await state.submit_scores({f"score_{i}": "8" for i in ids})
        assert state.error == "You are not invited to score in this round."
        await state.settle({})
        assert "role" in state.error or "Only coaches" in state.error

    run(scenario())
    assert _counts()["RoundScore"] == 0


def test_the_invited_scorer_scores_through_the_state(org_a, setup):
    token = identity.start_session(user_id=setup["scorer"].user_id)

    async def scenario():
        listing = await state_for(
            PortfoliosState, token=token, path=f"/o/{org_a.org_slug}/portfolio"
        )
        await listing.load()
        assert [(i.round_id, i.portfolio_name) for i in listing.invites] == [
            (setup["round"], "FY27")
        ]
        path = _paths(org_a.org_slug, setup["pid"], setup["round"])["round"]
        state = await state_for(RoundState, token=token, path=path)
        await state.load()
        assert state.invited and state.sheet_key == "business_value"
        assert [i.title for i in state.items] == ["Alpha", "Beta"]
        await state.submit_scores({f"score_{state.items[0].id}": "8"})
        assert "missing: Beta" in state.error  # nothing half-written
        assert _counts()["RoundScore"] == 0
        await state.submit_scores({f"score_{i.id}": "abc" for i in state.items})
        assert state.error and _counts()["RoundScore"] == 0
        await state.submit_scores({f"score_{i.id}": "8" for i in state.items})
        assert state.error == "" and state.sheet_key == ""
        assert state.cells == []  # scores stay private until the facilitator settles

    run(scenario())
    assert _counts()["RoundScore"] == 2


def test_coach_import_preview_writes_nothing_until_confirmed(org_a, setup):
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        path = _paths(org_a.org_slug, setup["pid"], setup["round"])["initiatives"]
        state = await state_for(InitiativesState, token=token, path=path)
        await state.load()
        await state.preview_import({"csv": twenty_rows().decode()})
        assert state.previewing and state.preview_rows == 19
        assert [(e.row, e.message) for e in state.preview_errors] == [
            (8, "The cost cannot be negative; got -500.")
        ]
        assert _counts()["Initiative"] == 2
        await state.preview_import({"csv": "name;cost\nx;1\n"})
        assert state.preview_file_errors and state.preview_rows == 0
        latin = "title,cost\nCaf\u00e9,100\n".encode("latin-1")
        await state.preview_upload([rx.UploadFile(file=io.BytesIO(latin))])
        shown = state.error + " ".join(state.preview_file_errors)
        assert "not UTF-8" in shown and "save it as" in shown
        await state.preview_upload([rx.UploadFile(file=io.BytesIO(twenty_rows()))])
        assert state.preview_rows == 19 and _counts()["Initiative"] == 2
        await _confirm_import(state)
        assert state.notice == "Imported 19 initiative(s); skipped line(s) 8."
        assert len(state.cards) == 21
        await state.create({"title": "Gamma", "depends_on__999999": "on"})  # a forged pick
        assert state.error == "A dependency was not found."
        assert state.dialog == ""  # refused: an open dialog would stay open

    run(scenario())
    assert _counts()["Initiative"] == 21


def test_budget_split_is_read_as_typed():
    assert parse_split("Retail = 30,000\n\nOps: 10000") == {"Retail": "30,000", "Ops": "10000"}
    with pytest.raises(ValidationFailed, match="Line 1"):
        parse_split("just text")


def test_editing_fields_and_scores_is_all_or_nothing(org_a, setup):
    token = identity.start_session(user_id=org_a.user_id)
    iid = setup["initiative"]

    async def scenario():
        path = _paths(org_a.org_slug, setup["pid"], setup["round"])["initiatives"]
        state = await state_for(InitiativesState, token=token, path=path)
        await state.load()
        assert [i.key for i in state.inputs] == [
            "business_value",
            "time_criticality",
            "risk_reduction",
        ]
        state.start_edit(iid)
        assert state.edit_values["title"] == "Alpha"
        assert state.edit_values["score__business_value"] == "8"
        form = {**state.edit_values, "title": "Alpha 2", "score__business_value": "7"}
        await state.save_edit(form)
        assert "7" in state.error  # not on the Fibonacci scale
        # itself, picked (with a valid score: each refusal alone)
        await state.save_edit({**form, "score__business_value": "13", f"depends_on__{iid}": "on"})
        assert state.error == "An initiative cannot depend on itself."
        assert state.error_field == "depends_on"  # shown at the picker
        await state.save_edit({**form, "score__business_value": "", "cost": "-5"})
        assert "negative" in state.error

    run(scenario())
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(session=session, ctx=org_a, initiative_id=iid)
    assert row.title == "Alpha" and row.scores["business_value"] == 8 and row.cost == 20_000

    async def valid():
        path = _paths(org_a.org_slug, setup["pid"], setup["round"])["initiatives"]
        state = await state_for(InitiativesState, token=token, path=path)
        await state.load()
        state.start_edit(iid)
        await state.save_edit(
            {**state.edit_values, "title": "Alpha 2", "score__business_value": "", "tags": "a; b"}
        )
        assert state.error == "" and state.notice == "“Alpha 2” saved."

    run(valid())
    with tenant_session(org_a) as session:
        row = initiative_services.get_initiative(session=session, ctx=org_a, initiative_id=iid)
    assert row.title == "Alpha 2" and "business_value" not in row.scores
    assert row.tags == ["a", "b"]


def test_every_page_shows_the_demo_portfolio(org_a):
    from pmo_saas.portfolio.demo import seed_demo_portfolio

    with tenant_session(org_a) as session:
        seed_demo_portfolio(session=session, ctx=org_a)
    with tenant_session(org_a) as session:
        [portfolio] = portfolio_services.list_portfolios(session=session, ctx=org_a)
        rounds = round_services.list_rounds(session=session, ctx=org_a, portfolio_id=portfolio.id)
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        paths = _paths(org_a.org_slug, portfolio.id, rounds[0].id if rounds else 0)
        listing = await state_for(PortfoliosState, token=token, path=paths["list"])
        await listing.load()
        assert [p.name for p in listing.portfolios] == [portfolio.name]
        ini = await state_for(InitiativesState, token=token, path=paths["initiatives"])
        await ini.load()
        assert ini.error == "" and len(ini.cards) == 15
        assert sum(len(lane.cards) for lane in ini.board) == 15
        ini.set_filter("stream", "Retail")
        retail = ini.shown_cards
        assert 0 < len(retail) < 15 and {c.value_stream for c in retail} == {"Retail"}
        ini.set_filter("stream", "")
        ini.set_filter("tag", "no-such-tag")
        assert ini.shown_cards == []
        await ini.export_csv()
        assert ini.error == ""
        ranking = await state_for(RankingState, token=token, path=paths["ranking"])
        await ranking.load()
        assert ranking.error == "" and len(ranking.rows) == 15 and ranking.bars
        assert ranking.bubbles and ranking.formula
        funding = await state_for(FundingState, token=token, path=paths["funding"])
        await funding.load()
        assert funding.error == "" and funding.published and len(funding.scenarios) >= 2
        started = await funding.fund()
        assert started is FundingState.solve and funding.busy == "fund"
        await FundingState.solve.fn(funding)  # the background solver run, on the state itself
        assert funding.error == "" and funding.plan is not None
        assert funding.busy == "" and funding.fund_progress == 100
        assert funding.plan.streams and len(funding.plan.lines) == 15
        risks = await state_for(RisksState, token=token, path=paths["risks"])
        await risks.load()
        assert risks.error == "" and len(risks.risks) == 6
        assert sum(sq.count for row in risks.heat for sq in row) >= 1
        rounds_state = await state_for(RoundsState, token=token, path=paths["rounds"])
        await rounds_state.load()
        assert rounds_state.error == "" and len(rounds_state.rounds) == len(rounds)
        if rounds:
            one = await state_for(RoundState, token=token, path=paths["round"])
            await one.load()
            assert one.error == "" and one.cells

    run(scenario())


def test_coach_chooses_each_scoring_model_and_sees_its_formula(org_a, setup):
    token = identity.start_session(user_id=org_a.user_id)
    scorer_token = identity.start_session(user_id=setup["scorer"].user_id)
    paths = _paths(org_a.org_slug, setup["pid"], setup["round"])

    async def scenario():
        state = await state_for(RankingState, token=token, path=paths["ranking"])
        await state.load()
        assert state.formula.startswith("WSJF = ") and state.rows[0].title == "Alpha"
        await state.choose_model({"scoring_model": "weighted"})
        assert state.formula == "Weighted score: no criteria defined yet"
        assert [r.score_text for r in state.rows] == ["not scored", "not scored"]
        await state.add_criterion({"name": "Strategic fit", "weight": "3"})
        await state.add_criterion({"name": "Urgency", "weight": "abc"})
        assert state.error and len(state.criteria) == 1
        await state.add_criterion({"name": "Urgency", "weight": "1", "scale_max": "10"})
        assert (
            state.formula == f"Weighted score = (3 {TIMES} Strategic fit + 1 {TIMES} Urgency) / 4"
        )
        await state.remove_criterion(state.criteria[1].id)
        assert [c.name for c in state.criteria] == ["Strategic fit"]
        await state.choose_model({"scoring_model": "rice"})
        assert state.formula == f"RICE = Reach {TIMES} Impact {TIMES} Confidence% / Effort"
        await state.choose_model({"scoring_model": "moscow"})
        assert state.formula.startswith("MoSCoW")
        await state.choose_model({"scoring_model": "magic"})
        assert state.error and state.scoring_model == "moscow"
        await state.override({"initiative_id": str(setup["initiative"]), "position": "2"})
        assert "reason" in state.error
        await state.override({"initiative_id": "", "position": "1", "reason": "x"})
        assert state.error == "Choose the initiative to place by hand."
        await state.override(
            {"initiative_id": str(setup["initiative"]), "position": "2", "reason": "Board ask"}
        )
        pinned = next(r for r in state.rows if r.initiative_id == setup["initiative"])
        assert pinned.rank == 2 and pinned.manual_reason == "Board ask"
        await state.unpin(setup["initiative"])
        assert state.error == ""

        # A RICE round: open-scale inputs are typed, not chosen.
        await state.choose_model({"scoring_model": "rice"})
        rounds = await state_for(RoundsState, token=token, path=paths["rounds"])
        await rounds.load()
        assert [i.value for i in rounds.inputs] == ["reach", "impact", "confidence", "effort"]
        await rounds.open_round({"name": "RICE round", "input_reach": "on"})
        assert rounds.error == "Invite at least one scorer."
        await rounds.open_round(
            {
                "name": "RICE round",
                "input_reach": "on",
                f"scorer_{setup['scorer'].user_id}": "on",
            }
        )
        assert rounds.error == ""

    run(scenario())
    with tenant_session(org_a) as session:
        [rice_round, _] = round_services.list_rounds(
            session=session, ctx=org_a, portfolio_id=setup["pid"]
        )

    async def scorer():
        path = f"/o/{org_a.org_slug}/portfolio/p/{setup['pid']}/rounds/{rice_round.id}"
        state = await state_for(RoundState, token=scorer_token, path=path)
        await state.load()
        assert state.sheet_key == "reach" and state.choices == []
        await state.submit_scores({f"score_{i.id}": "-3" for i in state.items})
        assert state.error and state.sheet_key == "reach"
        await state.submit_scores({f"score_{i.id}": "1200" for i in state.items})
        assert state.error == "" and state.sheet_key == ""

    run(scorer())


def test_funding_budget_split_dsdm_warning_and_scenarios(org_a):
    pid = make_portfolio(org_a, "Streams")
    make_initiative(
        org_a,
        pid,
        "Must A",
        cost=7_000,
        moscow="must",
        value_stream="Retail",
        scores=wsjf(8, 8, 8, 5),
    )
    could_b = make_initiative(
        org_a,
        pid,
        "Could B",
        cost=2_000,
        moscow="could",
        value_stream="Ops",
        scores=wsjf(5, 5, 5, 5),
    )
    make_initiative(
        org_a,
        pid,
        "Wont C",
        cost=500,
        moscow="wont",
        value_stream="Ops",
        scores=wsjf(20, 20, 20, 1),
    )
    token = identity.start_session(user_id=org_a.user_id)

    async def scenario():
        path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/funding"
        state = await state_for(FundingState, token=token, path=path)
        await state.load()
        await _fund(state)
        assert state.error == "Set a budget for the portfolio first." and state.plan is None
        assert state.busy == "" and state.fund_phase == ""  # the bar is gone after a refusal
        await state.save_budget({"budget": "10000", "split": "Retail = 8000\nOps = 3000"})
        assert "more than" in state.error and state.budget == ""
        await state.save_budget({"budget": "10000", "split": "Retail = 8000\nOps = 2000"})
        assert state.error == "" and state.budget_text == "10,000"
        assert set(state.split_text.splitlines()) == {"Retail = 8000", "Ops = 2000"}
        await _fund(state)
        assert state.plan is not None
        assert any("60%" in w for w in state.plan.warnings), state.plan.warnings
        best = {line.title: line.best for line in state.plan.lines}
        assert best == {"Must A": "Funded", "Could B": "Funded", "Wont C": "—"}
        assert sorted(state.plan.streams) == ["Ops: 2,000 of 2,000", "Retail: 7,000 of 8,000"]
        await state.create_scenario({"name": "Tight", "scenario_budget": "5000"})
        await state.create_scenario({"name": "Odd", "force_in__999999": "on"})  # forged
        assert state.error == "An initiative in the scenario was not found."
        both = {f"force_in__{could_b}": "on", f"force_out__{could_b}": "on"}
        await state.create_scenario({"name": "Both", **both})
        assert state.error == "“Could B” cannot be forced both in and out."
        await state.create_scenario({"name": "No B", f"force_out__{could_b}": "on"})
        tight, no_b = (next(c for c in state.scenarios if c.name == n) for n in ("Tight", "No B"))
        assert tight.error and "Must" in tight.error  # the Musts do not fit: said, not failed
        assert no_b.error == "" and no_b.funded == ["Must A"] and no_b.overrides == "Could B out"
        await state.publish(tight.id)
        assert state.error and state.published == []
        await state.publish(no_b.id)
        assert [p.name for p in state.published] == ["No B"]

    run(scenario())
