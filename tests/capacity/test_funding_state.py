"""The funding page's "Within team capacity" card: both best sets side by side, and another
organisation's member is refused on this organisation's page."""

from __future__ import annotations

from pmo_saas.identity import services as identity
from pmo_saas.portfolio.pages.capacity_funding import CapacityFundingState
from tests.capacity.helpers import alpha_over_capacity
from tests.state_harness import run, state_for


def test_the_card_shows_both_sets(org_a, org_b):
    pid, _ = alpha_over_capacity(org_a)
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/funding"

    async def scenario() -> None:
        assert org_a.user_id is not None and org_b.user_id is not None
        card = await state_for(
            CapacityFundingState, token=identity.start_session(user_id=org_a.user_id), path=path
        )
        await card.compare()
        assert card.error == "" and card.comparison is not None
        sides = {s.heading: s for s in card.comparison.sides}
        assert sides["Budget only"].funded == "A, B, C" and sides["Budget only"].value == "16"
        assert sides["Within team capacity"].count == 2
        assert card.comparison.dropped == "B"
        theirs = await state_for(
            CapacityFundingState,
            token=identity.start_session(user_id=org_b.user_id),
            path=path,
            binding="b-binding",
        )
        await theirs.compare()
        assert theirs.error and theirs.comparison is None

    run(scenario())
