"""Saving scores alone keeps them in place (no reload of the portfolio, no card sent again):
what the page then shows, and what its edit form opens with, is exactly what a fresh load
gives, in the list, on the board and in the form."""

from __future__ import annotations

from pmo_saas.identity import services as identity
from pmo_saas.portfolio.pages.initiatives import InitiativesState
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf
from tests.state_harness import run, state_for


def test_scores_saved_in_place_match_a_fresh_load(org_a):
    pid = make_portfolio(org_a, "FY27", budget=50_000)
    alpha = make_initiative(org_a, pid, "Alpha", cost=20_000, scores=wsjf(8, 5, 3, 5))
    make_initiative(org_a, pid, "Beta", cost=30_000, scores=wsjf(3, 8, 2, 8))
    token = identity.start_session(user_id=org_a.user_id)
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}"

    async def scenario():
        state = await state_for(InitiativesState, token=token, path=path)
        await state.load()
        state.start_edit(alpha)
        form = {
            **state.edit_values,
            "score__business_value": "13",  # changed
            "score__risk_reduction": "",  # cleared
        }
        await state.save_edit(form)
        assert state.error == "" and state.notice == "“Alpha” saved."
        fresh = await state_for(
            InitiativesState, token=identity.start_session(user_id=org_a.user_id), path=path
        )
        await fresh.load()
        assert state.cards == fresh.cards
        assert state.board == fresh.board
        assert state._scores == fresh._scores
        assert state._scores[alpha]["business_value"] == "13"
        assert "risk_reduction" not in state._scores[alpha]
        state.start_edit(alpha)
        fresh.start_edit(alpha)
        assert state.edit_values == fresh.edit_values
        assert state.edit_values["score__business_value"] == "13"
        assert state.edit_values["score__risk_reduction"] == ""

    run(scenario())
