"""The read API other domains use: empty and cross-organisation behaviour."""

from __future__ import annotations

import pytest

from pmo_saas.assessments.services import results
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import NotFound
from tests import factories


def test_no_closed_round_yet(org_a: TenantContext) -> None:
    team_id = factories.make_team(org_a, "Alpha")
    with tenant_session(org_a) as session:
        assert (
            results.latest_closed_round_for_team(session=session, ctx=org_a, team_id=team_id)
            is None
        )


def test_other_org_team_is_not_found(org_a: TenantContext, org_b: TenantContext) -> None:
    team_id = factories.make_team(org_a, "Alpha")
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        results.latest_closed_round_for_team(session=session, ctx=org_b, team_id=team_id)
