"""Event latency of the production build, as a browser sees it: websocket event -> state delta.

Starts `reflex run --env prod --single-port` (one process; with `--redis`, Redis-backed state
and 2 workers) on a temporary SQLite database with the demo organisation, a survey launched
with personal links and an assessment round opened for a team. Signs in through the real flow
(the sign-in form's websocket event, then the `/auth/complete` ticket hand-over that sets the
session cookie; every cookie an HTTP response sets is kept and sent on), then opens N Socket.IO
clients speaking Reflex's event protocol. Each client keeps one event in flight.

Measured in one run, at 1 client and at N clients:
  trivial          the initiatives page's `show` (flip board/table): the baseline
  initiatives      `toggle_archived` -> reload of the demo portfolio's initiatives
  ranking          the ranking page's load
  dashboard        the dashboard's load
  score saved      an initiative's score saved from its edit form (`save_edit`, after an
                   untimed `start_edit`)
  survey answer    a survey response submitted through a personal link (each on a fresh link;
                   after an untimed page load; the links' people in teams of 12)
  assessment       an assessment answer saved (`save_for_later`, after an untimed `choose`)
The last three come after untimed events a user makes first (open the form, the link; choose a
rating): they are measured in rounds, each round every client's untimed events, then every
client's measured event at once (N in flight); events/s counts the measured events over the
time of their rounds, so it is the event's own rate, not shared with the events before it.
Prints p50/p95/p99 and events/s, and each event's p50 and p95 as ratios to the trivial
event's and its events/s as a share of the trivial event's (the issue's targets: p95 at most
5x, events/s at least 25% for the initiatives reload and 10% for the others, at 50 clients).

    python bench/event_latency.py --smoke          # 2 clients x a few events (CI)
    python bench/event_latency.py                  # 50 clients (minutes)
    python bench/event_latency.py --redis redis://127.0.0.1:6379
    python bench/event_latency.py --only score,survey  # the trivial event and those only

The app is started in its own process group and stopped at the end; the temporary database,
state folder and log are removed. The frontend build is kept in `.web-bench` (a cache, ignored
by git) so that a second run does not rebuild from nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.cookiejar
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = Path(tempfile.mkdtemp(prefix="pmo-bench-events-"))
os.environ["PMO_DATABASE_URL"] = f"sqlite:///{_tmp / 'bench.db'}"
os.environ.setdefault("PMO_ENVIRONMENT", "test")
os.environ.setdefault("PMO_SECRET_KEY", "bench-secret-key-" + "x" * 40)
os.environ["PMO_SMTP_HOST"] = ""
os.environ["PMO_REDIS_URL"] = ""

import httpx  # noqa: E402
import socketio  # noqa: E402
from sqlmodel import select  # noqa: E402

import pmo_saas.models  # noqa: E402,F401
from pmo_saas.db import get_engine, system_session, tenant_session  # noqa: E402
from pmo_saas.identity.models import (  # noqa: E402
    Membership,
    Organization,
    Team,
    TeamMember,
    User,
)
from pmo_saas.kernel.context import TenantContext  # noqa: E402
from pmo_saas.kernel.roles import Role  # noqa: E402
from pmo_saas.manage import migrate  # noqa: E402
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, demo_password, seed_demo  # noqa: E402
from tests.peers import smtp  # noqa: E402  (the loopback SMTP peer of the tests)

logging.getLogger("pmo_saas.mail").setLevel(logging.ERROR)  # invitations go to the outbox

BUILD_TIMEOUT_S = 900
EVENT_TIMEOUT_S = 30.0
WARMUP = 3  # untimed events of each kind before the one-client run
RESPONDENTS_PER_TEAM = 12  # the survey's teams: a team's size, not one team of every link
# Reflex writes a tab's state to disk 2 s after its last event (REFLEX_STATE_MANAGER_DISK_DEBOUNCE):
# the tabs of one run are left that long and a little more, so that their writes land before
# the next run is timed, as they had before the baseline's (the full size only).
SETTLE_S = 3.0
NAMESPACE = "/_event"  # Reflex's Socket.IO path and namespace alike
WESTRUM = ("information", "messengers", "responsibilities", "bridging", "inquiry", "novelty")


class BenchError(RuntimeError):
    """Something the bench needs is not there (a handler renamed, a refusal): say what."""


# ------------------------------------------------------------------ the states, found by name


def handler_name(module_name: str, class_name: str | None, handlers: tuple[str, ...]) -> str:
    """`<state full name>.<handler>` for the first of `handlers` the state has.

    With `class_name` None, the module's one state with such a handler is taken (a page
    whose state is renamed by another change is still found)."""
    import importlib

    import reflex as rx

    module = importlib.import_module(module_name)
    candidates = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, rx.State)
        and obj.__module__ == module_name
        and (class_name is None or obj.__name__ == class_name)
    ]
    for cls in candidates:
        for name in handlers:
            if name in cls.event_handlers:
                return f"{cls.get_full_name()}.{name}"
    where = f"{module_name}.{class_name}" if class_name else f"any state in {module_name}"
    raise BenchError(f"no event handler named {' or '.join(handlers)} in {where}")


# ------------------------------------------------------------------ data the bench needs


@dataclass
class Fixture:
    portfolio_id: int
    survey_tokens: list[str]
    participant_id: int
    participant_email: str


def build_fixture(survey_links: int) -> Fixture:
    from pmo_saas.assessments.models import AssessmentModel, RoundParticipant
    from pmo_saas.assessments.services import rounds as assessments
    from pmo_saas.portfolio.services import portfolios as portfolio_services
    from pmo_saas.surveys import services as surveys

    migrate()
    seed_demo()
    with system_session() as session:
        org = session.exec(select(Organization).where(Organization.slug == DEMO_SLUG)).one()
        owner = session.exec(select(User).where(User.email == DEMO_OWNER)).one()
        assert org.id is not None and owner.id is not None
        ctx = TenantContext(org_id=org.id, user_id=owner.id, role=Role.OWNER, org_slug=DEMO_SLUG)
        # Teams of a team's size: an answer rewrites its whole team's participation rows
        # (unlinkability), so one team of every link would measure a 600-person team's answer.
        team_ids: list[int] = []
        for k in range(survey_links):
            if k % RESPONDENTS_PER_TEAM == 0:
                team = Team(org_id=org.id, name=f"Bench respondents {secrets.token_hex(3)}")
                session.add(team)
                session.flush()
                assert team.id is not None
                team_ids.append(team.id)
            person = User(email=f"bench-{k}-{secrets.token_hex(3)}@example.com", name=f"P{k}")
            session.add(person)
            session.flush()
            assert person.id is not None
            session.add(Membership(org_id=org.id, user_id=person.id, role=Role.MEMBER))
            session.add(TeamMember(org_id=org.id, team_id=team_ids[-1], user_id=person.id))
    # Personal links travel only by SMTP (the outbox masks them): a loopback peer takes them.
    smtp.clear()
    with smtp.smtp_delivery(), tenant_session(ctx) as session:
        surveys.launch_survey(
            session=session,
            ctx=ctx,
            title="Event latency bench",
            instrument="westrum",
            team_ids=team_ids,
        )
    bodies = [smtp.body(m) for m in smtp.messages()]
    with tenant_session(ctx) as session:
        portfolio = portfolio_services.list_portfolios(session=session, ctx=ctx)[0]
        model = session.exec(select(AssessmentModel).order_by(AssessmentModel.id)).first()  # type: ignore[arg-type]
        checkout = session.exec(select(Team).where(Team.name == "Checkout")).first()
        if model is None or model.id is None or checkout is None or checkout.id is None:
            raise BenchError("the demo organisation has no assessment model or no team Checkout")
        assessment_round = assessments.start_round(
            session=session, ctx=ctx, model_id=model.id, team_ids=[checkout.id], title="Bench"
        )
        participant = session.exec(
            select(RoundParticipant)
            .where(RoundParticipant.round_id == assessment_round)
            .order_by(RoundParticipant.id)  # type: ignore[arg-type]
        ).first()
        if participant is None or participant.id is None:
            raise BenchError("the bench's assessment round has no participant")
        participant_id, participant_user = participant.id, participant.user_id
    with system_session() as session:
        respondent = session.get(User, participant_user)
        assert respondent is not None
        email = respondent.email
    tokens = [m.group(1) for b in bodies if (m := re.search(r"/s/([A-Za-z0-9_\-]+)", b))]
    if len(tokens) < survey_links:
        raise BenchError(f"the survey sent {len(tokens)} personal links, {survey_links} wanted")
    return Fixture(portfolio.id, tokens, participant_id, email)


# ------------------------------------------------------------------ the app process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(port: int, redis_url: str | None, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        PATH=f"{ROOT / 'tools/node_modules/.bin'}:{ROOT / '.venv/bin'}:{env.get('PATH', '')}",
        PMO_PUBLIC_URL=f"http://localhost:{port}",
        REFLEX_WEB_WORKDIR=".web-bench",
        REFLEX_STATES_WORKDIR=str(_tmp / "states"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
    )
    if redis_url:
        env["REFLEX_REDIS_URL"] = redis_url
        env["GRANIAN_WORKERS"] = "2"
    with log.open("w") as out:
        return subprocess.Popen(  # noqa: S603 (our own reflex, fixed arguments)
            [
                str(ROOT / ".venv/bin/reflex"),
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the app exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise BenchError(f"the app did not answer {url} in {BUILD_TIMEOUT_S} s")


def stop_app(proc: subprocess.Popen[bytes]) -> None:
    """Stop the process group the app was started in (its workers and the frontend server)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# ------------------------------------------------------------------ the protocol


class LoopbackCookies(http.cookiejar.DefaultCookiePolicy):
    """Secure cookies go back to the loopback app over http, as a browser does for localhost."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return True


def cookie_header(jar: http.cookiejar.CookieJar) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in jar if c.value is not None)


class Client:
    """One browser tab: a Socket.IO connection with its own client token."""

    def __init__(self, base: str, cookies: str) -> None:
        self.base, self.cookies = base, cookies
        self.token = secrets.token_hex(16)
        self.sio = socketio.AsyncClient(reconnection=False)
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("event", self.updates.put_nowait, namespace=NAMESPACE)

    async def connect(self) -> None:
        await self.sio.connect(
            f"{self.base}?token={self.token}",
            socketio_path=NAMESPACE,
            namespaces=[NAMESPACE],
            transports=["websocket"],
            headers={"Cookie": self.cookies} if self.cookies else {},
            wait_timeout=30,
        )

    async def close(self) -> None:
        await self.sio.disconnect()

    async def send(
        self, name: str, path: str, *, sets: tuple[str, ...] = (), **payload: Any
    ) -> dict[str, Any]:
        """Emit one event and wait for its state update: the first that sets one of `sets` in
        the handler's state (without `sets`: the first that touches that state or carries
        events, as a redirect does). An earlier event's late updates (a handler's delta and its
        redirect can come as two) are passed over, not taken for this event's answer."""
        while not self.updates.empty():  # late updates of an earlier event
            self.updates.get_nowait()
        await self.sio.emit(
            "event",
            {"name": name, "payload": payload, "router_data": {"pathname": path, "asPath": path}},
            namespace=NAMESPACE,
        )
        state = name.rsplit(".", 1)[0]
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:
            try:
                update = await asyncio.wait_for(self.updates.get(), deadline - time.monotonic())
            except TimeoutError:
                raise BenchError(f"no update came back for {name} on {path}") from None
            mine = update.get("delta", {}).get(state)
            if sets and mine is not None and any(f"{key}_rx_state_" in mine for key in sets):
                return update
            if not sets and (mine is not None or update.get("events")):
                return update


def state_delta(update: dict[str, Any], handler: str) -> dict[str, Any]:
    """The part of a delta for the handler's state, with the field markers taken off."""
    state = handler.rsplit(".", 1)[0]
    raw = update.get("delta", {}).get(state, {})
    return {k.removesuffix("_rx_state_"): v for k, v in raw.items()}


def refused(update: dict[str, Any], handler: str) -> str:
    return str(state_delta(update, handler).get("error") or "")


async def sign_in(base: str, email: str, password: str) -> str:
    """The real flow: page GET, the form's websocket event, the ticket hand-over. Returns the
    Cookie header every later request of this person carries."""
    submit = handler_name("pmo_saas.identity.pages.public", "SignInState", ("submit",))
    jar = http.cookiejar.CookieJar(policy=LoopbackCookies())
    async with httpx.AsyncClient(base_url=base, cookies=jar, timeout=30) as http_client:
        (await http_client.get("/signin/")).raise_for_status()
        tab = Client(base, cookie_header(jar))
        await tab.connect()
        try:
            update = await tab.send(submit, "/signin/", form={"email": email, "password": password})
            deadline = time.monotonic() + EVENT_TIMEOUT_S
            found = None
            while found is None:
                if error := refused(update, submit):
                    raise BenchError(f"sign-in of {email} refused: {error}")
                found = re.search(r"/auth/complete\?ticket=[^\"'\\]+", json.dumps(update))
                if found is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise BenchError("sign-in sent no /auth/complete hand-over")
                    update = await asyncio.wait_for(tab.updates.get(), left)
        finally:
            await tab.close()
        complete = await http_client.get(found.group(0), follow_redirects=False)
        if complete.status_code not in (302, 303, 307):
            raise BenchError(f"/auth/complete answered {complete.status_code}")
        if "/signin" in complete.headers.get("location", ""):
            raise BenchError(f"the sign-in ticket was refused: {complete.headers['location']}")
    return cookie_header(jar)


# ------------------------------------------------------------------ the measured events


@dataclass
class Op:
    label: str
    # (client, index) -> None: the measured event; `timed()` marks the part that is timed.
    run: Callable[[Client, int, Callable[[Awaitable[dict[str, Any]]], Awaitable[dict]]], Any]
    setup: Callable[[Client], Awaitable[None]] | None = None
    cookie: str = "owner"
    # (client, index) -> None: the untimed events a user makes just before the measured one
    # (opening the edit form, the survey link, choosing a rating). Such an event is measured
    # in rounds: every client makes these, then every client the measured event at once.
    before: Callable[[Client, int], Awaitable[None]] | None = None


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    app_cpu_s: float = 0.0  # the app's processes' CPU time while the measured events ran


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int) -> float:
    """CPU seconds used so far by process `root` and its live descendants (Linux /proc): what
    an event costs the app, which the machine's other load leaves nearly unchanged."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(entry.name)
        parents[pid], ticks[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree = {root}
    while grown := {pid for pid, parent in parents.items() if parent in tree} - tree:
        tree |= grown
    return sum(ticks.get(pid, 0) for pid in tree) / _CLOCK_TICKS


def build_ops(fx: Fixture, survey_tokens: list[str]) -> list[Op]:
    portfolio = f"/o/{DEMO_SLUG}/portfolio/p/{fx.portfolio_id}"
    show = handler_name("pmo_saas.portfolio.pages.initiatives", "InitiativesState", ("show",))
    toggle = handler_name(
        "pmo_saas.portfolio.pages.initiatives", "InitiativesState", ("toggle_archived",)
    )
    ranking = handler_name("pmo_saas.portfolio.pages.ranking", "RankingState", ("load",))
    dashboard = handler_name("pmo_saas.dashboard.pages.dashboard", "DashboardState", ("load",))
    load = handler_name("pmo_saas.portfolio.pages.initiatives", "InitiativesState", ("load",))
    start_edit = handler_name(
        "pmo_saas.portfolio.pages.initiatives", "InitiativesState", ("start_edit",)
    )
    save_edit = handler_name(
        "pmo_saas.portfolio.pages.initiatives", "InitiativesState", ("save_edit",)
    )
    respond_open = handler_name("pmo_saas.surveys.pages.respond", None, ("open_link",))
    respond_load = handler_name("pmo_saas.surveys.pages.respond", None, ("load",))
    respond = handler_name(
        "pmo_saas.surveys.pages.respond", None, ("submit", "submit_response", "submit_answers")
    )
    answer_load = handler_name("pmo_saas.assessments.pages.answer", "AnswerState", ("load",))
    choose = handler_name("pmo_saas.assessments.pages.answer", "AnswerState", ("choose",))
    save = handler_name("pmo_saas.assessments.pages.answer", "AnswerState", ("save_for_later",))
    answer_path = f"/o/{DEMO_SLUG}/assessments/answer/{fx.participant_id}"
    first_card: dict[str, int] = {}
    statements: dict[str, tuple[int, list[int]]] = {}
    forms: dict[str, dict[str, Any]] = {}  # the edit form each client opened last
    links = iter(survey_tokens)

    async def cards_setup(c: Client) -> None:
        update = await c.send(load, portfolio, sets=("error",))
        cards = state_delta(update, load).get("cards") or []
        if not cards:
            raise BenchError(f"the demo portfolio shows no initiatives: {refused(update, load)}")
        first_card[c.token] = int(cards[0]["id"])

    async def answer_setup(c: Client) -> None:
        update = await c.send(answer_load, answer_path, sets=("dimensions", "error"))
        dims = state_delta(update, answer_load).get("dimensions") or []
        if not dims or not dims[0]["statements"]:
            raise BenchError(f"the assessment has no statements: {refused(update, answer_load)}")
        statement = dims[0]["statements"][0]
        statements[c.token] = (
            int(statement["id"]),
            [int(o["value"]) for o in statement["options"]],
        )

    async def open_survey(c: Client, i: int) -> None:
        # As the browser does: /s/<token> seals the token and moves to /s, which loads the form.
        await c.send(respond_open, f"/s/{next(links)}")  # its redirect
        loaded = await c.send(respond_load, "/s", sets=("submitted",))
        if error := refused(loaded, respond_load):
            raise BenchError(f"the survey link did not open: {error}")

    async def survey(c: Client, i: int, timed):  # type: ignore[no-untyped-def]
        return await timed(
            c.send(respond, "/s", sets=("submitted",), form={k: "5" for k in WESTRUM})
        )

    async def choose_rating(c: Client, i: int) -> None:
        statement_id, values = statements[c.token]
        await c.send(
            choose,
            answer_path,
            sets=("chosen", "answered"),
            statement_id=statement_id,
            value=values[i % len(values)],
        )

    async def assessment(c: Client, i: int, timed):  # type: ignore[no-untyped-def]
        return await timed(c.send(save, answer_path, sets=("error",)))

    async def open_edit(c: Client, i: int) -> None:
        opened = await c.send(
            start_edit, portfolio, sets=("error",), initiative_id=first_card[c.token]
        )
        form = dict(state_delta(opened, start_edit).get("edit_values") or {})
        keys = sorted(k for k in form if k.startswith("score_"))
        if not keys:
            raise BenchError(
                f"the initiative's edit form has no score: {refused(opened, start_edit)}"
            )
        form[keys[0]] = ("1", "2")[i % 2]
        forms[c.token] = form

    async def score(c: Client, i: int, timed):  # type: ignore[no-untyped-def]
        return await timed(c.send(save_edit, portfolio, sets=("error",), form=forms[c.token]))

    return [
        Op(
            "trivial (show)",
            lambda c, i, t: t(
                c.send(show, portfolio, sets=("view",), view=("table", "board")[i % 2])
            ),
        ),
        Op(
            "initiatives reload",
            lambda c, i, t: t(c.send(toggle, portfolio, sets=("error",), checked=i % 2 == 0)),
        ),
        Op(
            "ranking load",
            lambda c, i, t: t(c.send(ranking, f"{portfolio}/ranking", sets=("error",))),
        ),
        Op(
            "dashboard load",
            lambda c, i, t: t(c.send(dashboard, f"/o/{DEMO_SLUG}/dashboard", sets=("error",))),
        ),
        Op("score saved", score, setup=cards_setup, before=open_edit),
        Op("survey answer", survey, cookie="", before=open_survey),
        Op(
            "assessment answer",
            assessment,
            setup=answer_setup,
            cookie="participant",
            before=choose_rating,
        ),
    ]


APP_PID: list[int] = []  # the app process, once started


def app_cpu_s() -> float:
    return tree_cpu_s(APP_PID[0]) if APP_PID else 0.0


async def measure(
    op: Op, base: str, cookies: str, clients: int, events: int, warmup: int
) -> Result:
    result = Result()
    tabs = [Client(base, cookies) for _ in range(clients)]
    await asyncio.gather(*(t.connect() for t in tabs))
    try:
        if op.setup is not None:
            await asyncio.gather(*(op.setup(t) for t in tabs))

        async def timed(pending: Awaitable[dict[str, Any]]) -> dict[str, Any]:
            start = time.perf_counter()
            update = await pending
            result.latencies_ms.append((time.perf_counter() - start) * 1000)
            return update

        async def untimed(pending: Awaitable[dict[str, Any]]) -> dict[str, Any]:
            return await pending

        for i in range(warmup):  # the first events of a handler pay for imports and caches
            if op.before is not None:
                await op.before(tabs[0], i)
            await op.run(tabs[0], i, untimed)

        async def one_event(tab: Client, i: int) -> None:
            update = await op.run(tab, i, timed)
            for state in update.get("delta", {}).values():
                error = state.get("error_rx_state_")
                if error:
                    result.refusals.append(str(error))

        async def one_tab(tab: Client) -> None:
            for i in range(events):
                await one_event(tab, i)

        if op.before is None:  # every client keeps one measured event in flight
            start, cpu = time.perf_counter(), app_cpu_s()
            await asyncio.gather(*(one_tab(t) for t in tabs))
            result.wall_s = time.perf_counter() - start
            result.app_cpu_s = app_cpu_s() - cpu
        else:  # in rounds: the events before it untimed, then the measured one on every client
            for i in range(events):
                await asyncio.gather(*(op.before(t, i) for t in tabs))
                start, cpu = time.perf_counter(), app_cpu_s()
                await asyncio.gather(*(one_event(t, i) for t in tabs))
                result.wall_s += time.perf_counter() - start
                result.app_cpu_s += app_cpu_s() - cpu
    finally:
        await asyncio.gather(*(t.close() for t in tabs), return_exceptions=True)
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace, base: str, fx: Fixture) -> int:
    owner = await sign_in(base, DEMO_OWNER, demo_password())
    participant = await sign_in(base, fx.participant_email, demo_password())
    cookies = {"owner": owner, "participant": participant, "": ""}
    tokens = list(fx.survey_tokens)
    ops = build_ops(fx, tokens)
    if args.only:  # the trivial event is always measured first: it is every ratio's baseline
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
        ops = [ops[0], *(op for op in ops[1:] if any(w in op.label for w in wanted))]
    sizes = [(1, args.events_one), (args.clients, args.events_many)]
    mode = f"Redis + 2 workers ({args.redis})" if args.redis else "one process"
    print(
        f"event latency, production build, {mode}, SQLite, demo org; "
        f"{'smoke' if args.smoke else 'full'} size"
    )
    print(
        f"{'event':22} {'clients':>7} {'events':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'events/s':>9} {'p50 / trivial':>13} {'p95 / trivial':>13} {'rate / trivial':>14}"
        f" {'app CPU ms/event':>16}"
    )
    # The trivial event's (measured first in this run) p50, p95 and events/s, per client count.
    baseline: dict[int, tuple[float, float, float]] = {}
    failures = 0
    for op in ops:
        for clients, events in sizes:
            warmup = WARMUP if clients == 1 else 0
            if not args.smoke and baseline:
                await asyncio.sleep(SETTLE_S)
            result = await measure(op, base, cookies[op.cookie], clients, events, warmup)
            lat = result.latencies_ms
            p50, p95, rate = statistics.median(lat), percentile(lat, 95), len(lat) / result.wall_s
            base50, base95, base_rate = baseline.setdefault(clients, (p50, p95, rate))
            print(
                f"{op.label:22} {clients:7d} {len(lat):6d} {p50:8.1f} {p95:8.1f}"
                f" {percentile(lat, 99):8.1f} {rate:9.1f}"
                f" {p50 / base50:12.1f}x {p95 / base95:12.1f}x {rate / base_rate:13.0%}"
                f" {1000 * result.app_cpu_s / len(lat):16.2f}"
            )
            if result.refusals:
                failures += 1
                print(f"  {len(result.refusals)} refused, e.g.: {result.refusals[0]}")
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2 clients x a few events (CI)")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients (50)")
    parser.add_argument("--redis", default="", help="Redis URL: Redis-backed state, 2 workers")
    parser.add_argument(
        "--only", default="", help="comma-separated parts of event labels (the trivial event too)"
    )
    args = parser.parse_args()
    if args.smoke:
        args.clients, args.events_one, args.events_many = args.clients or 2, 10, 5
    else:
        args.clients, args.events_one, args.events_many = args.clients or 50, 100, 10
    links = WARMUP + args.events_one + args.clients * args.events_many
    proc = None
    try:
        fx = build_fixture(survey_links=links)
        get_engine().dispose()
        port = free_port()
        log = _tmp / "reflex.log"
        proc = start_app(port, args.redis or None, log)
        APP_PID.append(proc.pid)
        base = f"http://localhost:{port}"
        wait_for(f"{base}/ping", proc, log)
        wait_for(f"{base}/signin/", proc, log)
        return asyncio.run(asyncio.wait_for(run(args, base, fx), timeout=1800))
    except BenchError as error:
        print(f"event latency bench: {error}", file=sys.stderr)
        log_file = _tmp / "reflex.log"
        if log_file.exists():
            print(f"the app's log ends:\n{log_file.read_text()[-3000:]}", file=sys.stderr)
        return 1
    finally:
        if proc is not None:
            stop_app(proc)
        shutil.rmtree(_tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
