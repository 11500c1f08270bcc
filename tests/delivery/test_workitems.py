"""Work items by hand and from CSV: the preview writes nothing and lists every problem by
line; the import writes the valid rows with the file's own times."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from pmo_saas.db import tenant_session
from pmo_saas.delivery.models import StatusChange, WorkItem
from pmo_saas.delivery.pages.delivery import DeliveryState
from pmo_saas.delivery.services import workitems
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.delivery.builders import NOW, add_item, at
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.state_harness import run, state_for

CSV = (
    "title,kind,status,estimate,created_at,started_at,done_at\n"
    "Good one,story,,2,2026-02-02,2026-02-03T10:00,2026-02-05T16:30\n"
    ",task,,,2026-02-02,,\n"
    "Bad kind,saga,,,,,\n"
    "Backwards,story,,,2026-02-10,2026-02-09,\n"
    "Done without date,story,done,,2026-02-02,,\n"
    "Future,story,,,2027-01-01,,\n"
    "Waiting,story,waiting,,2026-02-02,2026-02-20,\n"
    "short,row\n"
)


def _count(ctx, cls) -> int:
    with tenant_session(ctx) as session:
        return session.exec(select(func.count()).select_from(cls)).one()


def test_the_preview_lists_every_problem_by_line_and_writes_nothing(org_a):
    clock.freeze(at(NOW))
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    with tenant_session(org_a) as session:
        preview = workitems.preview_work_item_import(
            session=session, ctx=org_a, initiative_id=iid, data=CSV.encode()
        )
    assert [r["title"] for r in preview.rows] == ["Good one", "Waiting"]
    assert [(e.row, e.message) for e in preview.errors] == [
        (3, "the title is empty."),
        (4, "“saga” is not a kind of work item; use one of epic, feature, story, task."),
        (5, "started_at is before created_at."),
        (6, "a done item needs its done_at."),
        (7, "created_at is in the future."),
        (9, "has 2 cells where the header has 7."),
    ]
    assert _count(org_a, WorkItem) == 0
    with pytest.raises(ValidationFailed, match="Line"), tenant_session(org_a) as session:
        workitems.import_work_items(
            session=session, ctx=org_a, initiative_id=iid, data=CSV.encode()
        )
    assert _count(org_a, WorkItem) == 0


def test_the_confirmed_import_writes_the_valid_rows_with_their_history(org_a):
    clock.freeze(at(NOW))
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    with tenant_session(org_a) as session:
        result = workitems.import_work_items(
            session=session, ctx=org_a, initiative_id=iid, data=CSV.encode(), skip_invalid=True
        )
    assert (result.created, result.skipped_rows) == (2, [3, 4, 5, 6, 7, 9])
    with tenant_session(org_a) as session:
        good = session.exec(select(WorkItem).where(WorkItem.title == "Good one")).one()
        moves = session.exec(
            select(StatusChange.to_status, StatusChange.at)
            .where(StatusChange.work_item_id == good.id)
            .order_by(StatusChange.id)
        ).all()
    assert [(s, clock.as_utc(a)) for s, a in moves] == [
        ("backlog", at("2026-02-02 00:00")),
        ("doing", at("2026-02-03 10:00")),
        ("done", at("2026-02-05 16:30")),
    ]
    assert (good.kind, good.estimate, good.source) == ("story", 2.0, "csv")


def test_the_import_tells_its_progress_up_to_every_row_and_its_history(org_a, monkeypatch):
    clock.freeze(at(NOW))
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    monkeypatch.setattr(workitems, "FLUSH_EVERY", 1)
    told: list[tuple[int, int]] = []
    with tenant_session(org_a) as session:
        workitems.import_work_items(
            session=session,
            ctx=org_a,
            initiative_id=iid,
            data=CSV.encode(),
            skip_invalid=True,
            progress=lambda done, total: told.append((done, total)),
        )
    assert {total for _, total in told} == {4}  # two valid rows, then their history
    assert [done for done, _ in told] == sorted(done for done, _ in told)
    assert told[0] == (1, 4) and told[-1] == (4, 4)


def test_file_problems_are_said_once(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    with tenant_session(org_a) as session:
        for data, start in [
            (b"name,kind\nx,story\n", "The header must name"),
            (b"\xff\xfe\x00", "The file is not UTF-8"),
            (b"", "The file is empty"),
        ]:
            preview = workitems.preview_work_item_import(
                session=session, ctx=org_a, initiative_id=iid, data=data
            )
            assert preview.rows == [] and preview.file_errors[0].startswith(start), data


def test_by_hand_a_viewer_reads_a_member_adds_a_coach_imports(org_a):
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    viewer = factories.make_member(org_a, Role.VIEWER)
    member = factories.make_member(org_a, Role.MEMBER)
    with pytest.raises(Forbidden):
        add_item(viewer, iid, "Not allowed")
    item = add_item(member, iid, "Allowed", status="doing", kind="task")
    with tenant_session(viewer) as session:
        rows = workitems.list_work_items(session=session, ctx=viewer, initiative_id=iid)
    assert [(r.id, r.title, r.kind_label, r.status_label, r.initiative_title) for r in rows] == [
        (item, "Allowed", "Task", "In progress", "Checkout")
    ]
    assert rows[0].started != "" and rows[0].done == ""
    with pytest.raises(Forbidden), tenant_session(member) as session:
        workitems.preview_work_item_import(
            session=session, ctx=member, initiative_id=iid, data=b"title\nx\n"
        )
    with pytest.raises(ValidationFailed, match="not a column"):
        add_item(member, iid, "Odd", status="limbo")
    with pytest.raises(ValidationFailed, match="title is empty"):
        add_item(member, iid, "  ")


def test_the_page_imports_in_the_background_with_its_bar_and_a_member_is_refused(org_a):
    """The page's import: preview, then the background event writes and ends its bar at 100;
    a member's confirm writes nothing (the role is checked again inside the event)."""
    clock.freeze(at(NOW))
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    member = factories.make_member(org_a, Role.MEMBER)
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/delivery/{iid}"

    async def scenario() -> None:
        assert org_a.user_id is not None and member.user_id is not None
        page = await state_for(
            DeliveryState, token=identity.start_session(user_id=org_a.user_id), path=path
        )
        await page.load()
        await page.preview_import({"csv": CSV})
        assert page.previewing and page.preview_rows == 2 and _count(org_a, WorkItem) == 0
        theirs = await state_for(
            DeliveryState,
            token=identity.start_session(user_id=member.user_id),
            path=path,
            binding="member-binding",
        )
        theirs._import_data = CSV.encode()  # as if a preview had been let through
        await DeliveryState.confirm_import.fn(theirs)
        assert "coach" in theirs.error and not theirs.importing
        assert _count(org_a, WorkItem) == 0
        await DeliveryState.confirm_import.fn(page)
        assert page.notice == "Imported 2 work item(s)." and page.import_progress == 100
        assert not page.importing and not page.previewing and len(page.items) == 2

    run(scenario())
    assert _count(org_a, WorkItem) == 2


async def _loaded_page(user_id: int, path: str, binding: str) -> DeliveryState:
    """The delivery page as `user_id` sees it, loaded (its own socket binding)."""
    page = await state_for(
        DeliveryState, token=identity.start_session(user_id=user_id), path=path, binding=binding
    )
    await page.load()
    return page


def test_the_page_deletes_a_work_item_for_a_member_and_refuses_a_viewer(org_a, org_b):
    """Delete on the delivery page: a viewer is refused and the item stays; another
    organisation's id is not found; a member's delete takes it off the page and out of every
    count, audited, with its status history kept."""
    pid = make_portfolio(org_a)
    iid = make_initiative(org_a, pid, "Checkout")
    viewer = factories.make_member(org_a, Role.VIEWER)
    member = factories.make_member(org_a, Role.MEMBER)
    keep = add_item(member, iid, "Keep")
    gone = add_item(member, iid, "Gone", status="doing")
    theirs = add_item(org_b, make_initiative(org_b, make_portfolio(org_b), "Theirs"), "Theirs")
    path = f"/o/{org_a.org_slug}/portfolio/p/{pid}/delivery/{iid}"

    async def scenario() -> None:
        assert viewer.user_id is not None and member.user_id is not None
        watching = await _loaded_page(viewer.user_id, path, "viewer-binding")
        await watching.delete_item(gone)
        assert "member" in watching.error.lower() and len(watching.items) == 2
        page = await _loaded_page(member.user_id, path, "member-binding")
        await page.delete_item(theirs)
        assert page.error and len(page.items) == 2
        await page.delete_item(gone)
        assert page.notice == "Work item deleted." and not page.error
        assert [r.id for r in page.items] == [keep]

    run(scenario())
    with tenant_session(org_a) as session:
        assert [
            r.id for r in workitems.list_work_items(session=session, ctx=org_a, initiative_id=iid)
        ] == [keep]
        assert (
            session.exec(
                select(func.count())
                .select_from(StatusChange)
                .where(StatusChange.work_item_id == gone)
            ).one()
            >= 1
        )
        actions = session.exec(select(AuditEvent.action, AuditEvent.target)).all()
    assert ("workitem.deleted", "Gone") in actions
    with tenant_session(org_b) as session:
        untouched = session.get(WorkItem, theirs)
        assert untouched is not None and untouched.removed_at is None
