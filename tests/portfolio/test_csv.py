"""CSV import: preview lists row errors and writes nothing; confirm writes; export round-trips."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.models import Dependency, Initiative, Score
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import ranking as ranking_services
from tests.portfolio.builders import make_initiative, make_portfolio

HEADER = (
    "title,description,owner,value_stream,status,cost,moscow,tags,depends_on,"
    "business_value,time_criticality,risk_reduction,job_size\n"
)


def twenty_rows(bad_line: bool = True) -> bytes:
    lines = [HEADER]
    for n in range(1, 21):
        cost = "-500" if (bad_line and n == 7) else str(n * 1000)
        deps = f"Initiative {n - 1}" if n > 1 and n % 5 == 0 else ""
        lines.append(
            f"Initiative {n},Desc {n},Owner {n},Retail,funnel,{cost},should,ux;growth,{deps},"
            f"8,5,3,{5 if n % 2 else 8}\n"
        )
    return "".join(lines).encode()


def count(ctx, model) -> int:
    with tenant_session(ctx) as session:
        return len(session.exec(select(model)).all())


def test_preview_lists_the_bad_row_and_writes_nothing_until_confirmed(org_a):
    pid = make_portfolio(org_a)
    data = twenty_rows()
    with tenant_session(org_a) as session:
        preview = initiative_services.preview_import(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
    assert len(preview.rows) == 19
    assert [(e.row, e.message) for e in preview.errors] == [
        (8, "The cost cannot be negative; got -500.")
    ]
    assert not preview.ok
    assert count(org_a, Initiative) == 0
    with tenant_session(org_a) as session, pytest.raises(ValidationFailed, match="Line"):
        initiative_services.import_initiatives(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
    assert count(org_a, Initiative) == 0
    with tenant_session(org_a) as session:
        result = initiative_services.import_initiatives(
            session=session, ctx=org_a, portfolio_id=pid, data=data, skip_invalid=True
        )
    assert result.created == 19
    assert result.skipped_rows == [8]
    assert count(org_a, Initiative) == 19
    assert count(org_a, Dependency) == 4  # rows 5, 10, 15, 20 depend on the row before
    assert count(org_a, Score) == 19 * 4
    with tenant_session(org_a) as session:
        ranking = ranking_services.rank_portfolio(session=session, ctx=org_a, portfolio_id=pid)
    assert ranking.rows[0].score == pytest.approx(16 / 5)


def test_a_large_import_tells_its_progress_as_it_writes(org_a, monkeypatch):
    monkeypatch.setattr(initiative_services, "FLUSH_EVERY", 5)  # 19 rows: several batches
    pid = make_portfolio(org_a)
    told: list[tuple[int, int]] = []
    with tenant_session(org_a) as session:
        result = initiative_services.import_initiatives(
            session=session,
            ctx=org_a,
            portfolio_id=pid,
            data=twenty_rows(),
            skip_invalid=True,
            progress=lambda done, total: told.append((done, total)),
        )
    assert result.created == 19
    assert len(told) > 3 and {total for _, total in told} == {38}  # rows, then their links
    done = [d for d, _ in told]
    assert done == sorted(done) and done[0] < 19 and done[-1] <= 38


def test_dependency_on_a_bad_row_is_reported_too(org_a):
    pid = make_portfolio(org_a)
    data = (HEADER + "A,,,,,-1,,,,,,,\nB,,,,,10,,,A,,,,\nC,,,,,10,,,Nowhere,,,,\n").encode()
    with tenant_session(org_a) as session:
        preview = initiative_services.preview_import(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
    assert [e.row for e in preview.errors] == [2, 3, 4]
    assert "depends on “A”" in preview.errors[1].message
    assert preview.rows == []


def test_dependency_on_an_existing_initiative(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "Platform")
    data = b"title,depends_on\nApp,platform\n"
    with tenant_session(org_a) as session:
        initiative_services.import_initiatives(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
        rows = initiative_services.list_initiatives(session=session, ctx=org_a, portfolio_id=pid)
    assert [r.depends_on_titles for r in rows] == [[], ["Platform"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,cost\nA,1\n", "no “title” column"),
        (b"title,price\nA,1\n", "Unknown column(s): 'price'"),
        (b"title,title\nA,B\n", "named twice: title"),
        ("title\nCaf\u00e9\n".encode("latin-1"), "not UTF-8 text"),
        (b"", "empty"),
        (b"title\x00\n", "binary"),
        (b"title,depends_on\nA,B\nB,C\nC,A\n", "cycle: “A” → “B” → “C” → “A”"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(org_a, data, message):
    pid = make_portfolio(org_a)
    with tenant_session(org_a) as session:
        preview = initiative_services.preview_import(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
        assert any(message in m for m in preview.file_errors), preview.file_errors
        with pytest.raises(ValidationFailed) as error:
            initiative_services.import_initiatives(
                session=session, ctx=org_a, portfolio_id=pid, data=data, skip_invalid=True
            )
        assert message in str(error.value)
    assert count(org_a, Initiative) == 0


def test_row_level_problems(org_a):
    pid = make_portfolio(org_a)
    make_initiative(org_a, pid, "Exists")
    data = (
        b"title,cost,job_size,start_date,moscow\n"
        b"Exists,1,,,\n"
        b"Dup,1,,,\n"
        b"Dup,1,,,\n"
        b"Bad size,1,4,,\n"
        b"Bad date,1,,31/12/2027,\n"
        b"Bad moscow,1,,,perhaps\n"
        b"Short row,1\n"
        b"Words,ten,,,\n"
    )
    with tenant_session(org_a) as session:
        preview = initiative_services.preview_import(
            session=session, ctx=org_a, portfolio_id=pid, data=data
        )
    messages = {e.row: e.message for e in preview.errors}
    assert "exists" in messages[2]
    assert "repeats line 3" in messages[4]
    assert "Job size must be one of" in messages[5]
    assert "YYYY-MM-DD" in messages[6]
    assert "Must, Should, Could or Won't" in messages[7]
    assert "has 2 cells where the header has 5" in messages[8]
    assert "must be a number" in messages[9]
    assert [r["title"] for r in preview.rows] == ["Dup"]


def test_export_round_trips_and_neutralises_formulas(org_a, org_b):
    pid = make_portfolio(org_a)
    base = make_initiative(org_a, pid, "=HYPERLINK(evil)", cost=5, tags="a, b")
    make_initiative(
        org_a,
        pid,
        "App",
        cost="1200",
        depends_on=[base],
        moscow="must",
        start_date="2027-01-01",
        scores={"business_value": 8, "job_size": 3},
    )
    with tenant_session(org_a) as session:
        text = initiative_services.export_initiatives(session=session, ctx=org_a, portfolio_id=pid)
    lines = text.splitlines()
    assert lines[0].startswith("title,description,owner,value_stream,status,cost,")
    assert lines[1].startswith("'=HYPERLINK(evil)")
    assert "a; b" in lines[1]
    assert ",must," in lines[2] and "2027-01-01" in lines[2]
    other = make_portfolio(org_b, "Copy")
    with tenant_session(org_b) as session:
        copy = text.replace("'=HYPERLINK(evil)", "Base").encode()
        result = initiative_services.import_initiatives(
            session=session, ctx=org_b, portfolio_id=other, data=copy
        )
        rows = initiative_services.list_initiatives(session=session, ctx=org_b, portfolio_id=other)
    assert result.created == 2
    app = next(r for r in rows if r.title == "App")
    assert (app.cost, app.moscow, app.depends_on_titles) == (1200, "must", ["Base"])
    assert app.scores == {"business_value": 8, "job_size": 3}
