"""Junk into every handler that takes input, and into the portfolio CSV import.

Every state handler with arguments (a form dict, strings, numbers) is called as the websocket
calls it (payload converted by the handler's type hints; a value that does not convert is
passed as it came) by the owner of a filled organisation, on its own page, with generated junk:
huge strings, NULs, unicode, wrong JSON types, negative and huge numbers, missing keys. No
exception may escape, and a call that neither did something (wrote, changed what the page
shows, navigated) nor said why is a silent refusal: a failure too.
"""

from __future__ import annotations

import csv
import io
import re
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import reflex as rx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func
from sqlmodel import select

from pmo_saas.db import _tenant_classes, get_engine, system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import DomainError, NotFound, ValidationFailed
from pmo_saas.portfolio import csvio
from pmo_saas.portfolio.models import Dependency, Initiative, Score
from pmo_saas.portfolio.services import initiatives, portfolios, ranking
from tests.security import surface
from tests.security.harness import COUNTS, World, call, forged_token, state_text
from tests.state_harness import run

# Per handler (about a hundred of them) a small budget; the CSV tests get a larger one.
FUZZ = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
FUZZ_CSV = settings(FUZZ, max_examples=40)

# ---------------------------------------------------------------- junk

HUGE = "Ω" * 70_000
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    HUGE,
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "-0",
    "0x1F",
    " 12 ",
    "2026-02-30",
    "9999-12-31",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "'; DROP TABLE team; --",
    "\u202etxt.exe",
    "🙂" * 50,
    "../../etc/passwd",
]
# What a browser can send: strings (no lone surrogates: a form field holds text), numbers.
text = st.one_of(
    st.sampled_from(NASTY), st.text(st.characters(exclude_categories=["Cs"]), max_size=60)
)
number = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63), st.sampled_from([0, -1, 2**31, 2**53])
)


def form_junk(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The form's own keys (any of them missing) with junk text, and junk keys besides."""
    known = st.fixed_dictionaries({}, optional={k: text for k in keys})
    extra = st.dictionaries(text, text, max_size=2)
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})


def browser_junk(handler: surface.Handler, name: str) -> st.SearchStrategy[Any]:
    """Junk of the type the page's controls send for this argument."""
    if name in ("form", "form_data"):
        return form_junk(surface.form_keys(handler))
    hint = handler.hints().get(name, str)
    if hint is bool:
        return st.booleans()
    if hint in (int, float):
        return number
    return text


# A hand-written websocket message can carry any JSON value for any argument; Reflex converts
# what it can by the type hint and passes the rest as it came.
WRONG_TYPES: list[Any] = [None, "abc", [], {"k": 1}, 1.5, "\ud800"]


def wrong_values(handler: surface.Handler, name: str) -> list[Any]:
    if name not in ("form", "form_data"):
        return WRONG_TYPES
    keys = surface.form_keys(handler)
    return [None, "abc", [], *({k: bad for k in keys} for bad in (1, None, ["x"], "\ud800"))]


# ---------------------------------------------------------------- which handlers

# Take no client input worth fuzzing, or cannot receive it over the websocket.
NOT_FUZZED = {
    "InitiativesState.preview_upload": "files come through Reflex's upload endpoint: see the "
    "CSV tests below, which send the same bytes through this handler",
    "BillingState.follow_checkout": "a background poll the server starts; no arguments",
}


def _fuzzed() -> list[surface.Handler]:
    return [
        h
        for h in surface.handlers()
        if h.parameters() and h.qualname not in NOT_FUZZED and not h.background
    ]


# ---------------------------------------------------------------- outcome


class Writes:
    """INSERT/UPDATE/DELETE statements on tenant tables, counted at the engine."""

    def __init__(self) -> None:
        self.count = 0
        names = "|".join(sorted(c.__tablename__ for c in _tenant_classes()))  # type: ignore[misc]
        self._pattern = re.compile(rf'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?({names})\b', re.I)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self._pattern.match(statement):
            self.count += 1


@pytest.fixture(scope="module")
def writes() -> Iterator[Writes]:
    counter = Writes()
    event.listen(get_engine(), "before_cursor_execute", counter)
    yield counter
    event.remove(get_engine(), "before_cursor_execute", counter)


@pytest.fixture(scope="module")
def owner_token(world: World) -> str:
    return identity.start_session(user_id=world.b.user_id or 0)


def _messages(state: Any) -> tuple[str, str]:
    """(error, notice) of a state: its vars named like error / notice, joined."""
    errors, notices = [], []
    for name in type(state).base_vars:
        value = getattr(state, name, "")
        if isinstance(value, str) and value:
            if "error" in name:
                errors.append(value)
            elif "notice" in name or "message" in name:
                notices.append(value)
    return " ".join(errors), " ".join(notices)


def _path(world: World, handler: surface.Handler) -> str:
    page = surface.page_for(handler.state)
    return surface.page_path(page, slug=world.b_slug, target=world.target, token=forged_token())


_FRESH: dict[str, str] = {}  # a fresh state's text per handler (defaults and router only)


def _check(world: World, writes: Writes, token: str, handler: surface.Handler, payload: dict):  # type: ignore[no-untyped-def]
    path = _path(world, handler)

    async def scenario() -> tuple[Any, str, str]:
        from tests.security.harness import root_for

        if handler.id not in _FRESH:
            fresh = await root_for(token=token, path=path)
            _FRESH[handler.id] = state_text(await fresh.get_state(handler.state))
        outcome = await call(handler, token=token, path=path, payload=payload, prime={})
        return outcome, _FRESH[handler.id], state_text(outcome.state)

    written = writes.count
    outcome, before, after = run(scenario())
    what = f"{handler.id}({_short(payload)}) at {path}"
    if outcome.error is not None:
        trace = "".join(traceback.format_exception(outcome.error))
        pytest.fail(f"{what} raised:\n{trace}")
    error, notice = _messages(outcome.state)
    acted = writes.count > written or notice or outcome.events or after != before
    assert error or acted, f"{what}: refused without a message (nothing written, nothing shown)"
    COUNTS["fuzz: handler calls with junk"] += 1


def _short(payload: dict[str, Any]) -> str:
    text = repr(payload)
    return text if len(text) < 300 else text[:300] + "…"


@pytest.mark.parametrize("handler", _fuzzed(), ids=lambda h: h.id)
def test_browser_junk_into_every_input_handler(
    world: World, writes: Writes, owner_token: str, handler: surface.Handler
) -> None:
    strategies = {p.name: browser_junk(handler, p.name) for p in handler.parameters()}

    @FUZZ
    @given(st.fixed_dictionaries(strategies))
    def fuzz(payload: dict[str, Any]) -> None:
        _check(world, writes, owner_token, handler, payload)

    fuzz()


@pytest.mark.parametrize("handler", _fuzzed(), ids=lambda h: h.id)
def test_wrong_json_types_into_every_input_handler(
    world: World, writes: Writes, owner_token: str, handler: surface.Handler
) -> None:
    """Each argument in turn gets each wrong JSON type, the others a value of the right type:
    pmo_saas/event_guard.py refuses them with a message before the handler runs."""
    valid = surface.synthesise(handler, world.target)
    for param in handler.parameters():
        for wrong in wrong_values(handler, param.name):
            _check(world, writes, owner_token, handler, {**valid, param.name: wrong})


# ---------------------------------------------------------------- CSV import

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x", "\r=y", '=HYPERLINK("http://x")']
cell = st.one_of(
    st.sampled_from(
        [
            *FORMULAS,
            "",
            "a,b",
            'quote "q"',
            "line\nbreak",
            "x" * 20_000,
            "-5",
            "1e400",
            "2026-13-01",
            "must",
            "done",
        ]
    ),
    st.text(max_size=40),
    st.integers(-(10**20), 10**20).map(str),
)
column = st.one_of(st.sampled_from(csvio.COLUMNS), st.text(max_size=12))


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    columns = draw(st.lists(column, min_size=0, max_size=8))
    if draw(st.booleans()) and "title" not in columns:
        columns.insert(draw(st.integers(0, len(columns))), "title")
    rows = draw(
        st.lists(st.lists(cell, min_size=0, max_size=len(columns) + 2), min_size=0, max_size=12)
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    body = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    data = body.encode(encoding, errors="replace")
    mangle = draw(st.sampled_from(["none", "none", "truncate", "bytes", "nul", "cr"]))
    if mangle == "truncate" and data:
        data = data[: draw(st.integers(0, len(data)))]
    elif mangle == "bytes":
        data += draw(st.binary(max_size=40))
    elif mangle == "nul":
        data = data.replace(b",", b"\x00,", 1)
    elif mangle == "cr":
        data = data.replace(b"\n", b"\r")
    return data


@st.composite
def plausible_csv_bytes(draw: st.DrawFn) -> bytes:
    """A file close to valid: a title column, known columns, the right number of cells."""
    free_text = ["description", "owner", "value_stream", "tags"]
    extra = draw(st.lists(st.sampled_from(free_text), unique=True, max_size=3))
    columns = ["title", *extra]
    title = st.one_of(st.sampled_from(FORMULAS), st.text(min_size=1, max_size=30), text)
    titles = draw(st.lists(title, min_size=1, max_size=8))
    formula_or_text = st.one_of(st.sampled_from(FORMULAS), st.text(max_size=30))
    rows = [[t, *(draw(formula_or_text) for _ in extra)] for t in titles]
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig"]))
    return out.getvalue().encode(encoding, errors="replace")


any_csv = st.one_of(csv_bytes(), plausible_csv_bytes())


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _counts(portfolio_id: int) -> tuple[int, int, int]:
    with system_session() as session:
        count = session.exec(
            select(func.count()).where(Initiative.portfolio_id == portfolio_id)
        ).one()
        ids = select(Initiative.id).where(Initiative.portfolio_id == portfolio_id)
        deps = session.exec(
            select(func.count()).where(Dependency.initiative_id.in_(ids))  # type: ignore[attr-defined]
        ).one()
        scores = session.exec(
            select(func.count()).where(Score.initiative_id.in_(ids))  # type: ignore[attr-defined]
        ).one()
    return count, deps, scores


@FUZZ_CSV
@given(data=any_csv)
def test_csv_reader_lists_every_problem_and_raises_nothing(data: bytes) -> None:
    reading = csvio.read_initiatives_csv(data)
    assert all(msg.strip() for msg in reading.file_errors)
    assert all(msg.strip() and line > 0 for line, msg in reading.errors)
    for row in reading.rows:
        assert str(row.values["title"]).strip()
    COUNTS["fuzz: CSV files read"] += 1


@pytest.fixture(scope="module")
def import_target(world: World) -> int:
    with tenant_session(world.b) as session:
        return portfolios.create_portfolio(session=session, ctx=world.b, name="Fuzzed imports")


@FUZZ_CSV
@given(data=any_csv, skip_invalid=st.booleans())
def test_csv_import_is_all_or_nothing_with_a_message(
    world: World, import_target: int, data: bytes, skip_invalid: bool
) -> None:
    before = _counts(import_target)
    try:
        with tenant_session(world.b) as session:
            result = initiatives.import_initiatives(
                session=session,
                ctx=world.b,
                portfolio_id=import_target,
                data=data,
                skip_invalid=skip_invalid,
            )
    except DomainError as refusal:
        assert str(refusal).strip(), "a refusal without a message"
        assert _counts(import_target) == before, "a refused import wrote something"
        COUNTS["fuzz: CSV imports refused"] += 1
        return
    after = _counts(import_target)
    assert after[0] - before[0] == result.created > 0
    with tenant_session(world.b) as session:
        exported = initiatives.export_initiatives(
            session=session, ctx=world.b, portfolio_id=import_target
        )
    for record in list(csv.reader(io.StringIO(exported)))[1:]:
        for value in record:
            assert _is_number(value) or not value.startswith(csvio._FORMULA_START), (
                f"an exported cell would run as a formula: {value!r}"
            )
    COUNTS["fuzz: CSV imports written"] += 1


@FUZZ_CSV
@given(data=any_csv)
def test_csv_upload_through_the_page_previews_or_says_why(
    world: World, writes: Writes, owner_token: str, import_target: int, data: bytes
) -> None:
    from pmo_saas.portfolio.pages.initiatives import InitiativesState

    path = f"/o/{world.b_slug}/portfolio/p/{import_target}"
    before = _counts(import_target)
    written = writes.count

    async def scenario() -> Any:
        from tests.security.harness import root_for

        root = await root_for(token=owner_token, path=path)
        state = await root.get_state(InitiativesState)
        await state.preview_upload([rx.UploadFile(file=io.BytesIO(data))])  # type: ignore[operator]
        return state

    state = run(scenario())
    assert writes.count == written and _counts(import_target) == before, "a preview wrote"
    error, _ = _messages(state)
    shown = state_text(state)
    assert error or "preview" in shown.lower(), "the upload neither previewed nor said why"
    COUNTS["fuzz: CSV uploads previewed"] += 1


def test_a_file_over_the_size_limit_is_refused_with_a_message(world: World) -> None:
    data = b"title\n" + b"x" * (csvio.MAX_BYTES + 1)
    reading = csvio.read_initiatives_csv(data)
    assert reading.rows == [] and "larger than" in reading.file_errors[0]
    with pytest.raises(ValidationFailed, match="larger than"), tenant_session(world.b) as s:
        initiatives.import_initiatives(
            session=s,
            ctx=world.b,
            portfolio_id=world.target.row("portfolio_id", "portfolio"),
            data=data,
        )


# ---------------------------------------------------------------- regression tests of defects
# Found by this fuzz and fixed: duplicate names differing in a non-ASCII capital, ids beyond
# the integer column, NUL characters. The websocket path is covered by pmo_saas/event_guard.py
# (tests/security/test_event_guard.py); these call the services directly, as the REST API does.


def test_a_second_team_named_with_a_non_ascii_capital_is_refused_with_a_message(
    world: World,
) -> None:
    with tenant_session(world.b) as session:
        identity.create_team(session=session, ctx=world.b, name="Équipe Ünique")
    with pytest.raises(DomainError, match="already exists"), tenant_session(world.b) as s:
        identity.create_team(session=s, ctx=world.b, name="équipe ünique")


def test_copying_a_model_to_a_taken_non_ascii_name_is_refused_with_a_message(
    world: World,
) -> None:
    from pmo_saas.assessments.services import catalog

    model_id = world.target.row("model_id", "assessments")
    with tenant_session(world.b) as session:
        catalog.copy_model(session=session, ctx=world.b, model_id=model_id, name="Ölmodell")
    with pytest.raises(DomainError, match="already exists"), tenant_session(world.b) as s:
        catalog.copy_model(session=s, ctx=world.b, model_id=model_id, name="ölmodell")


ON_SQLITE = get_engine().url.get_backend_name().startswith("sqlite")
HUGE_ID = 2**63 if ON_SQLITE else 2**31  # the first id each database's driver refuses


@pytest.mark.parametrize("huge", [HUGE_ID, -HUGE_ID])
@pytest.mark.parametrize("which", ["criterion", "invitation", "coach filter", "team filter"])
def test_an_id_beyond_the_column_is_not_found(world: World, which: str, huge: int) -> None:
    from pmo_saas.coaching.services import plans
    from pmo_saas.identity import invitations

    with tenant_session(world.b) as session:
        if which == "coach filter":
            assert plans.list_plans(session=session, ctx=world.b, coach_user_id=huge) == []
            return
        if which == "team filter":
            assert plans.list_plans(session=session, ctx=world.b, team_id=huge) == []
            return
        with pytest.raises(NotFound):
            if which == "criterion":
                ranking.remove_criterion(session=session, ctx=world.b, criterion_id=huge)
            else:
                invitations.revoke_invitation(session=session, ctx=world.b, invitation_id=huge)


@pytest.mark.parametrize("which", ["api key", "share link", "survey", "survey reminders"])
def test_an_id_beyond_the_column_is_not_found_in_dashboard_and_survey_services(
    world: World, which: str
) -> None:
    from pmo_saas.dashboard import share
    from pmo_saas.rest import keys as apikeys
    from pmo_saas.surveys import services as surveys

    with pytest.raises(NotFound), tenant_session(world.b) as session:
        if which == "api key":
            apikeys.revoke_api_key(session=session, ctx=world.b, key_id=HUGE_ID)
        elif which == "share link":
            share.revoke_share_link(session=session, ctx=world.b, link_id=HUGE_ID)
        elif which == "survey":
            surveys.close_survey(session=session, ctx=world.b, survey_id=HUGE_ID)
        else:
            surveys.send_reminders(session=session, ctx=world.b, survey_id=HUGE_ID)


def test_a_nul_character_is_refused_with_a_message(world: World) -> None:
    with pytest.raises(ValidationFailed, match="NUL"), tenant_session(world.b) as session:
        identity.create_team(session=session, ctx=world.b, name="Nul\x00team")
    with pytest.raises(ValidationFailed, match="NUL"), tenant_session(world.b) as session:
        identity.create_team(session=session, ctx=world.b, name="\x00")
