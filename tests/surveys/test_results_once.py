"""The results page computes a survey's results once per load: the figures it shows and the
"you said, we did" board beside them come from one computation (the trend reads headlines
only, a lighter read of its own)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from pmo_saas.identity import services as identity
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys.pages.results import ResultsState
from pmo_saas.surveys.services import results as results_service
from pmo_saas.surveys.wedid import services as we_did_service
from pmo_saas.surveys.wedid.pages import WeDidState
from tests.state_harness import run, state_for
from tests.surveys.helpers import people
from tests.surveys.test_we_did_states import _round


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every real computation of results, by kind (full or headlines only), still run."""
    calls: Counter[str] = Counter()
    real = results_service._compute_results

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls["headlines" if kwargs.get("headlines_only") else "full"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(results_service, "_compute_results", counted)
    monkeypatch.setattr(we_did_service, "_compute_results", counted)
    return calls


def test_another_organisation_loads_nothing_of_the_results_or_the_board(org_a, org_b, computations):
    survey_id, *_ = _round(org_a)

    async def scenario() -> None:
        path = f"/o/{org_b.org_slug}/surveys/results/{survey_id}"
        token = identity.start_session(user_id=org_b.user_id)
        state = await state_for(ResultsState, token=token, path=path)
        await state.load()
        board = await state.get_state(WeDidState)
        assert "not found" in state.error and state.teams == [] and state.org is None
        assert not board.loaded and board.teams == [] and board.committed == []

    run(scenario())
    assert computations["full"] == 0


def test_a_results_load_computes_the_results_once_for_figures_and_board(org_a, computations):
    survey_id, *_ = _round(org_a)
    coach = identity.start_session(user_id=people(org_a, 1, Role.COACH)[0].user_id)

    async def scenario() -> None:
        path = f"/o/{org_a.org_slug}/surveys/results/{survey_id}"
        state = await state_for(ResultsState, token=coach, path=path)
        await state.load()
        board = await state.get_state(WeDidState)
        assert state.error == "" and [t.label for t in state.teams] == ["Alpha", "Beta"]
        # The board is there, read from the same results: both teams shown, so both pickable.
        assert board.loaded and board.closed and board.error == ""
        assert [t.label for t in board.teams] == ["Alpha", "Beta"]

    run(scenario())
    assert computations == Counter(full=1, headlines=1)
