"""The playbook as CSV: one line per practice with its dimensions and adopted teams; the other
organisation's holds only the header."""

from __future__ import annotations

import csv
import io

from pmo_saas.db import tenant_session
from pmo_saas.practices.services import adoption, playbook
from tests import factories


def test_practices_as_csv(org_a, org_b):
    with tenant_session(org_a) as session:
        pid = playbook.publish_practice(
            session=session,
            ctx=org_a,
            title="+Definition of Done",
            purpose="Know when work is done.",
            how_to="- agree it",
            dimension_keys=["flow"],
        )
    team = factories.make_team(org_a, "Alpha")
    with tenant_session(org_a) as session:
        adoption.record_adoption(
            session=session, ctx=org_a, practice_id=pid, team_id=team, status="adopted"
        )
        rows = list(
            csv.reader(io.StringIO(adoption.export_practices_csv(session=session, ctx=org_a)))
        )
        names = playbook.list_practices(session=session, ctx=org_a)[0].dimension_names
    assert rows[0] == [
        "practice", "framework", "purpose", "owner", "version", "dimensions", "adopted_teams"
    ]  # fmt: skip
    assert len(rows) == 2
    assert rows[1][0] == "'+Definition of Done"  # kept as text by a spreadsheet
    assert (rows[1][2], rows[1][4], rows[1][5], rows[1][6]) == (
        "Know when work is done.",
        "1",
        "; ".join(names),
        "1",
    )
    with tenant_session(org_b) as session:
        theirs = adoption.export_practices_csv(session=session, ctx=org_b)
    assert theirs.splitlines() == [",".join(rows[0])]
