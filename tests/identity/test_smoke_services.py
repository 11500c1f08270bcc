from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Team
from tests import factories


def test_sign_up_creates_owner_workspace(org_a, org_b):
    assert org_a.org_id != org_b.org_id
    assert org_a.role == "owner"
    team_id = factories.make_team(org_a, "Alpha")
    with tenant_session(org_b) as session:
        assert session.get(Team, team_id) is None
        assert session.exec(select(Team)).all() == []
    with tenant_session(org_a) as session:
        assert [t.name for t in identity.list_teams(session=session, ctx=org_a)] == ["Alpha"]
