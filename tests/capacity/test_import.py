"""The capacity CSV: a preview with an error per line that writes nothing, then an import
that writes only when confirmed and only a clean file."""

from __future__ import annotations

import pytest

from pmo_saas.capacity.services import capacity, importing
from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments.helpers import person

GOOD = (
    "team,quarter,people,days_per_person,value_stream\n"
    "Alpha,2027-Q1,5,48,Retail\n"
    "Beta,2027-Q1,3,40,\n"
)
BAD = (
    "team,quarter,people,days_per_person,value_stream\n"
    "Alpha,2027-Q1,5,48,Retail\n"
    "Nobody,2027-Q1,1,1,\n"
    "Beta,2027-Q9,1,1,\n"
    "Beta,2027-Q2,lots,1,\n"
    "Beta,2027-Q3,1,120,\n"
    "Alpha,2027-Q1,1,1,\n"
)


def _listed(ctx):
    with tenant_session(ctx) as session:
        return [
            (c.team_name, c.quarter, c.person_days)
            for c in capacity.list_capacity(session=session, ctx=ctx)
        ]


def test_preview_names_each_bad_line_and_writes_nothing(org_a):
    factories.make_team(org_a, "Alpha")
    factories.make_team(org_a, "Beta")
    with tenant_session(org_a) as session:
        preview = importing.preview_capacity_csv(session=session, ctx=org_a, text=BAD)
    errors = {ln.line: ln.error for ln in preview.lines if ln.error}
    assert preview.errors == 5 and sorted(errors) == [3, 4, 5, 6, 7]
    assert "No team called “Nobody”" in errors[3]
    assert "form 2027-Q1" in errors[4]
    assert "people" in errors[5]
    assert "from 0 to 92" in errors[6]
    assert "appears twice" in errors[7]
    assert _listed(org_a) == []
    with pytest.raises(ValidationFailed, match="5 line"), tenant_session(org_a) as session:
        importing.import_capacity_csv(session=session, ctx=org_a, text=BAD, confirm=True)
    assert _listed(org_a) == []


def test_import_writes_only_when_confirmed(org_a):
    factories.make_team(org_a, "Alpha")
    factories.make_team(org_a, "Beta")
    with tenant_session(org_a) as session:
        preview = importing.preview_capacity_csv(session=session, ctx=org_a, text=GOOD)
    assert preview.errors == 0 and len(preview.lines) == 2
    assert _listed(org_a) == []
    with pytest.raises(ValidationFailed, match="confirm"), tenant_session(org_a) as session:
        importing.import_capacity_csv(session=session, ctx=org_a, text=GOOD)
    with tenant_session(org_a) as session:
        assert importing.import_capacity_csv(session=session, ctx=org_a, text=GOOD, confirm=True)
    assert _listed(org_a) == [("Alpha", "2027-Q1", 240), ("Beta", "2027-Q1", 120)]


def test_a_file_without_the_columns_or_by_a_member_is_refused(org_a, org_b):
    with tenant_session(org_a) as session:
        preview = importing.preview_capacity_csv(session=session, ctx=org_a, text="a,b\n1,2\n")
    assert "missing: team, quarter, people, days_per_person" in preview.file_error
    with pytest.raises(Forbidden), tenant_session(org_a) as session:
        member = person(org_a, Role.MEMBER)
        importing.preview_capacity_csv(session=session, ctx=member, text=GOOD)
    # Another organisation's team names are unknown here.
    factories.make_team(org_b, "Alpha")
    factories.make_team(org_b, "Beta")
    with tenant_session(org_a) as session:
        preview = importing.preview_capacity_csv(session=session, ctx=org_a, text=GOOD)
    assert preview.errors == 2


@pytest.mark.parametrize(
    "text",
    ["\r0", 'team,quarter\r\n"Alpha', "team," + "x" * 200_000 + "\n"],
    ids=["bare carriage return", "open quote", "field over the csv limit"],
)
def test_a_malformed_file_gets_a_message_not_a_crash(org_a, text):
    """Found by the input fuzzer: a lone carriage return made the csv module raise."""
    factories.make_team(org_a, "Alpha")
    with tenant_session(org_a) as session:
        preview = importing.preview_capacity_csv(session=session, ctx=org_a, text=text)
    assert preview.file_error and preview.lines == []
    with pytest.raises(ValidationFailed), tenant_session(org_a) as session:
        importing.import_capacity_csv(session=session, ctx=org_a, text=text, confirm=True)
    assert _listed(org_a) == []
