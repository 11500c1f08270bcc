"""The other organisation can neither read nor change delivery data: every look-up by id is
"not found", and its lists and figures hold nothing of ours."""

from __future__ import annotations

import pytest

from pmo_saas.db import system_session, tenant_session
from pmo_saas.delivery.models import WorkItem
from pmo_saas.delivery.services import flow as flow_services
from pmo_saas.delivery.services import workitems
from pmo_saas.kernel.errors import NotFound
from tests.delivery.builders import add_item, hand_made_history, move_item
from tests.portfolio.builders import make_initiative, make_portfolio


def test_another_organisation_reads_and_changes_nothing(org_a, org_b):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    hand_made_history(org_a, iid)
    item = add_item(org_a, iid, "Ours")
    calls = [
        lambda s: workitems.list_work_items(session=s, ctx=org_b, initiative_id=iid),
        lambda s: workitems.create_work_item(
            session=s, ctx=org_b, initiative_id=iid, data={"title": "Planted"}
        ),
        lambda s: workitems.move_work_item(session=s, ctx=org_b, work_item_id=item, status="done"),
        lambda s: workitems.preview_work_item_import(
            session=s, ctx=org_b, initiative_id=iid, data=b"title\nx\n"
        ),
        lambda s: workitems.import_work_items(
            session=s, ctx=org_b, initiative_id=iid, data=b"title\nx\n"
        ),
        lambda s: flow_services.initiative_flow(session=s, ctx=org_b, initiative_id=iid),
        lambda s: flow_services.portfolio_flow(session=s, ctx=org_b, portfolio_id=pid),
    ]
    for call in calls:
        with pytest.raises(NotFound), tenant_session(org_b) as session:
            call(session)
    with pytest.raises(NotFound):
        move_item(org_b, item, "done", "2026-03-04 12:00")
    with system_session() as session:
        ours = session.get(WorkItem, item)
        assert ours is not None and ours.status == "backlog" and ours.org_id == org_a.org_id
    # B's own portfolio shows none of A's items.
    theirs = make_portfolio(org_b, "Theirs")
    with tenant_session(org_b) as session:
        view = flow_services.portfolio_flow(session=session, ctx=org_b, portfolio_id=theirs)
    assert (view.figures.done_items, view.figures.open_items, view.cfd) == (0, 0, [])
