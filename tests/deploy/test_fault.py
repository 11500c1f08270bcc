"""Fault test: three app processes behind nginx, one killed with SIGKILL mid-run.

PostgreSQL + Redis (PMO_TEST_DATABASE_URL, PMO_TEST_REDIS_URL), tests/deploy/cluster.py's
cluster: deploy/nginx.conf on loopback in front of three production backends (one granian
worker each, Redis state, the same database) and a supervisor that restarts an exited one.
Concurrent python-socketio tabs through the proxy send 1,000 survey submissions (each opens
a personal link read from the SMTP peer, loads the form and submits it through the real
handler) and 1,000 other events (a signed-in coach's survey overview). When a third of the
submissions are acknowledged, one replica's serving process is SIGKILLed. Tabs reconnect
(through the proxy, to the others) and send the event in flight again.

Asserted: every acknowledged submission is stored, once (the answered personal link, the
team's counter and the sealed row agree); a submission in flight on the killed process is
either stored by it (its retry says "Your answers were already received.") or stored by its
retry; no tab lost its state (no fresh token, no expired form); the proxy answered again
within SERVICE_GAP_S; the killed replica came back. Printed: acknowledged, stored,
duplicates, lost, seconds without service. Marked `fault`: deselected by the default
command; `.ci/run` runs it on a database of its own.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlmodel import col, func, select

from pmo_saas.db import get_engine, system_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.security import hash_token
from pmo_saas.kernel.context import TenantContext
from pmo_saas.ops.failover import HEARTBEAT_TTL_S, FailoverTokenManager
from pmo_saas.settings import get_settings
from pmo_saas.surveys import instruments as ins
from pmo_saas.surveys.models import (
    SurveyInvitation,
    SurveyLink,
    SurveySealedResponse,
    SurveyTeam,
)
from tests import factories
from tests.deploy.cluster import Cluster
from tests.deploy.reflex_client import Tab, answered_by, redirected, state_delta
from tests.deploy.report import report
from tests.peers import smtp
from tests.surveys.helpers import LINK, launch, people

pytestmark = pytest.mark.fault

SUBMISSIONS = int(os.environ.get("PMO_FAULT_SUBMISSIONS", "1000"))
OTHER_EVENTS = int(os.environ.get("PMO_FAULT_OTHER_EVENTS", "1000"))
RESPONDENT_TABS = 40
OTHER_TABS = 10
TEAMS = 20  # submissions are serialised per surveyed team: several teams, several at once
KILL_AFTER = 1 / 3  # of the submissions acknowledged
SERVICE_GAP_S = 15.0  # the proxy answers again within this
COMES_BACK_S = 60.0
RUN_TIMEOUT_S = 600  # a loaded 2-core machine: ~3 min; the figures, not the speed, are tested
REDIS_DB = int(os.environ.get("PMO_FAULT_REDIS_DB", "13"))
ALREADY = "Your answers were already received."


def _report(config: pytest.Config, line: str) -> None:
    report(config, "fault", line)


def _full_names() -> dict[str, str]:
    import pmo_saas.pmo_saas  # noqa: F401  (every state registered)
    from pmo_saas.surveys.pages.overview import SurveysState
    from pmo_saas.surveys.pages.respond import RespondState

    respond, overview = RespondState.get_full_name(), SurveysState.get_full_name()
    return {
        "respond": respond,
        "open_link": f"{respond}.open_link",
        "load": f"{respond}.load",
        "submit": f"{respond}.submit",
        "overview": overview,
        "overview_load": f"{overview}.load",
    }


@dataclass
class World:
    owner: TenantContext
    slug: str
    survey_id: int
    tokens: list[str]
    cookie: str


def _world() -> World:
    owner = factories.make_org("Fault Org")
    per_team = -(-SUBMISSIONS // TEAMS)
    team_ids = []
    for n in range(TEAMS):
        team_ids.append(factories.make_team(owner, f"Team {n + 1}", people(owner, per_team)))
    smtp.clear()
    survey_id = launch(owner, team_ids, title="Fault pulse")
    tokens = [t for m in smtp.messages() for t in LINK.findall(smtp.body(m))]
    assert len(tokens) == per_team * TEAMS, f"{len(tokens)} personal links mailed"
    assert owner.user_id is not None and owner.org_slug
    session_token = identity.start_session(user_id=owner.user_id)
    return World(
        owner, owner.org_slug, survey_id, tokens[:SUBMISSIONS], f"pmo_session={session_token}"
    )


def _redis_url() -> str:
    redis = os.environ.get("PMO_TEST_REDIS_URL", "")
    assert redis, "the fault test needs Redis (PMO_TEST_REDIS_URL)"
    return f"{redis.rstrip('/')}/{REDIS_DB}"


def _app_env(tmp: Path) -> dict[str, str]:
    database = get_settings().database_url
    assert database.startswith("postgresql"), "the fault test runs on PostgreSQL"
    redis_url = _redis_url()
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ)
    env.update(
        PATH=f"{root / 'tools/node_modules/.bin'}:{root / '.venv/bin'}:{env.get('PATH', '')}",
        PMO_DATABASE_URL=database,
        PMO_REDIS_URL=redis_url,
        REFLEX_REDIS_URL=redis_url,
        GRANIAN_WORKERS="1",  # as deploy/compose.yaml: one process per replica
        REFLEX_WEB_WORKDIR=str(tmp / "web"),
        REFLEX_STATES_WORKDIR=str(tmp / "states"),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        **smtp.app_env(),
    )
    return env


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    already_received: set[str] = field(default_factory=set)
    retried: set[str] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)
    other_answered: int = 0
    lost_state: list[str] = field(default_factory=list)


async def _respondent(
    tab: Tab, links: list[str], names: dict[str, str], tally: Tally, form: dict[str, str]
) -> None:
    respond = names["respond"]
    for token in links:
        await tab.send(names["open_link"], f"/s/{token}", until=redirected)
        loaded = state_delta(
            await tab.send(names["load"], "/s", until=answered_by(respond, "error")), respond
        )
        if loaded.get("error"):
            tally.refusals.append(f"load: {loaded['error']}")
            continue
        resent_before = tab.stats.resent
        update = await tab.send(
            names["submit"], "/s", until=answered_by(respond, "submitted", "error"), form=form
        )
        answer = state_delta(update, respond)
        if tab.stats.resent > resent_before:
            tally.retried.add(token)
        if answer.get("submitted"):
            tally.acknowledged.add(token)
            if str(answer.get("notice", "")).startswith(ALREADY):
                tally.already_received.add(token)
        else:
            error = str(answer.get("error", ""))
            tally.refusals.append(f"submit: {error or answer}")
            if "open too long" in error or "not valid" in error:
                tally.lost_state.append(error)


async def _coach(tab: Tab, events: int, world: World, names: dict[str, str], tally: Tally) -> None:
    path = f"/o/{world.slug}/surveys"
    for _ in range(events):
        overview = names["overview"]
        update = await tab.send(
            names["overview_load"], path, until=answered_by(overview, "surveys", "error")
        )
        delta = state_delta(update, overview)
        if delta.get("error") or not delta.get("surveys"):
            tally.refusals.append(
                f"overview (tab {tab.token[:8]}, {tab.stats.drops} drops): "
                f"{delta.get('error') or 'no surveys listed'}"
            )
        else:
            tally.other_answered += 1


async def _probe(url: str, stop: asyncio.Event, gaps: list[float]) -> None:
    """HTTP through the proxy every 0.1 s: the longest run without an answer."""
    down_since = 0.0
    async with httpx.AsyncClient(timeout=2) as client:
        while not stop.is_set():
            try:
                ok = (await client.get(f"{url}/ping")).status_code == 200
            except httpx.HTTPError:
                ok = False
            now = time.monotonic()
            if not ok and not down_since:
                down_since = now
            elif ok and down_since:
                gaps.append(now - down_since)
                down_since = 0.0
            await asyncio.sleep(0.1)
    if down_since:
        gaps.append(time.monotonic() - down_since)


async def _run(cluster: Cluster, world: World, names: dict[str, str], tally: Tally) -> dict:
    form = {k: str(random.randint(1, 7)) for k, _ in ins.WESTRUM_ITEMS}
    form["comment"] = ""
    respondents = [Tab(cluster.url) for _ in range(RESPONDENT_TABS)]
    coaches = [Tab(cluster.url, world.cookie) for _ in range(OTHER_TABS)]
    tabs = respondents + coaches
    for tab in tabs:  # one by one: nginx spreads them round-robin over the replicas
        await tab.connect()
    stop, gaps = asyncio.Event(), []
    probe = asyncio.create_task(_probe(cluster.url, stop, gaps))
    shares = [world.tokens[n::RESPONDENT_TABS] for n in range(RESPONDENT_TABS)]
    per_coach = [
        OTHER_EVENTS // OTHER_TABS + (n < OTHER_EVENTS % OTHER_TABS) for n in range(OTHER_TABS)
    ]
    work = [
        *(_respondent(t, s, names, tally, form) for t, s in zip(respondents, shares, strict=True)),
        *(_coach(t, n, world, names, tally) for t, n in zip(coaches, per_coach, strict=True)),
    ]
    started = time.monotonic()
    running = asyncio.gather(*work)
    victim = cluster.members[0]
    while len(tally.acknowledged) < SUBMISSIONS * KILL_AFTER and not running.done():
        await asyncio.sleep(0.05)
    killed_at = time.monotonic()
    killed = await asyncio.to_thread(cluster.kill, victim)
    await running
    wall = time.monotonic() - started
    back_deadline = time.monotonic() + COMES_BACK_S
    while not victim.answered_at and time.monotonic() < back_deadline:
        await asyncio.sleep(0.2)
    stop.set()
    await probe
    drops = sum(t.stats.drops for t in tabs)  # before the tabs close (a close is one too)
    await asyncio.gather(*(t.close() for t in tabs), return_exceptions=True)
    return {
        "wall": wall,
        "killed": killed,
        "killed_after": killed_at - started,
        "back_after": (victim.answered_at - killed_at) if victim.answered_at else None,
        "gap": max(gaps, default=0.0),
        "drops": drops,
        "resent": sum(t.stats.resent for t in tabs),
        "new_tokens": sum(t.stats.new_tokens for t in tabs),
        "new_token_at": [
            (round(at - killed_at, 1), drops) for t in tabs for at, drops in t.stats.new_token_at
        ],
        "recovery": max((t.stats.longest_recovery_s for t in tabs), default=0.0),
    }


def _stored(world: World) -> tuple[set[str], int, int]:
    """(our tokens whose personal link is answered, sealed rows, the teams' counter)."""
    by_hash = {hash_token(t): t for t in world.tokens}
    with system_session() as session:
        answered = session.exec(
            select(SurveyLink.token_hash)
            .join(SurveyInvitation, col(SurveyInvitation.id) == SurveyLink.invitation_id)
            .where(
                SurveyInvitation.survey_id == world.survey_id,
                col(SurveyInvitation.answered).is_(True),
            )
        ).all()
        sealed = session.exec(
            select(func.count())
            .select_from(SurveySealedResponse)
            .where(SurveySealedResponse.survey_id == world.survey_id)
        ).one()
        counted = session.exec(
            select(func.coalesce(func.sum(SurveyTeam.responses), 0)).where(
                SurveyTeam.survey_id == world.survey_id
            )
        ).one()
    return {by_hash[h] for h in answered if h in by_hash}, int(sealed), int(counted)


def test_a_replica_killed_mid_run_loses_no_acknowledged_submission_and_stores_none_twice(
    request: pytest.FixtureRequest, tmp_path: Path
):
    names = _full_names()
    get_engine().dispose()
    cluster = Cluster(tmp_path, _app_env(tmp_path))
    tally = Tally()
    try:
        # The replicas start (each imports the app: CPU) while the survey is launched.
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=1) as pool:
            booting = pool.submit(cluster.start)
            world = _world()
            _report(
                request.config,
                f"set-up: {len(world.tokens)} personal links in {time.monotonic() - started:.0f} s",
            )
            booting.result()
        _report(
            request.config, f"3 replicas behind nginx up after {time.monotonic() - started:.0f} s"
        )
        figures = asyncio.run(asyncio.wait_for(_run(cluster, world, names, tally), RUN_TIMEOUT_S))
    finally:
        cluster.stop()
        logs = {r.name: cluster.log_tail(r, 1500) for r in cluster.members}
    stored, sealed, counted = _stored(world)
    duplicates = max(sealed, counted) - len(stored)
    lost = len(tally.acknowledged - stored)
    in_flight = tally.retried
    _report(
        request.config,
        f"acknowledged {len(tally.acknowledged)}, stored {len(stored)}, duplicates {duplicates}, "
        f"lost {lost}, seconds without service {figures['gap']:.1f}",
    )
    _report(
        request.config,
        f"{figures['wall']:.0f} s for {SUBMISSIONS} submissions + {tally.other_answered} other "
        f"events; killed {figures['killed']} at {figures['killed_after']:.0f} s; back after "
        f"{figures['back_after'] or 0:.1f} s; {figures['drops']} drops, {figures['resent']} "
        f"events sent again, {len(in_flight)} submissions retried "
        f"({len(tally.already_received)} 'already received'); longest recovery "
        f"{figures['recovery']:.1f} s; fresh tokens {figures['new_tokens']}; "
        f"restarts: {cluster.restarts}; fresh tokens (s after the kill, drops before): "
        f"{figures['new_token_at']}",
    )
    assert figures["drops"] > 0, "the kill dropped no connection: it hit nothing"
    assert tally.refusals == [], tally.refusals[:5]
    assert tally.lost_state == [] and figures["new_tokens"] == 0, "a tab lost its state"
    assert tally.acknowledged <= stored, f"lost {lost} acknowledged submissions"
    assert duplicates == 0 and sealed == counted == len(stored)
    # Every submission was answered in the end: stored once, by the first try or its retry.
    assert len(tally.acknowledged) == SUBMISSIONS == len(stored)
    assert tally.already_received <= in_flight
    assert tally.other_answered == OTHER_EVENTS
    assert figures["gap"] <= SERVICE_GAP_S, f"{figures['gap']:.1f} s without service"
    assert figures["back_after"] is not None, f"the killed replica did not come back: {logs}"


def test_a_dead_instance_s_tabs_keep_their_token_a_live_instance_s_do_not():
    """pmo_saas/ops/failover.py against real Redis: the records a SIGKILLed instance left
    behind free their tokens once its heartbeat lapses; a live instance's stay taken."""
    from redis.asyncio import Redis

    async def scenario() -> tuple[str | None, str | None, str | None]:
        clients = [Redis.from_url(_redis_url()) for _ in range(3)]
        dead, live, other = (FailoverTokenManager(c) for c in clients)
        orphan, held = str(uuid.uuid4()), str(uuid.uuid4())
        try:
            assert await dead.link_token_to_sid(orphan, "sid-dead") is None
            assert await live.link_token_to_sid(held, "sid-live") is None
            # Before the lapse, the orphan's token still reads as taken (a fresh one).
            early = await other.link_token_to_sid(orphan, "sid-early")
            await other.disconnect_token(early or orphan, "sid-early")
            assert dead._beating is not None
            dead._beating.cancel()  # SIGKILL: no more beats, and nothing deleted
            await asyncio.sleep(HEARTBEAT_TTL_S + 0.5)
            taken_over = await other.link_token_to_sid(orphan, "sid-back")
            duplicate = await other.link_token_to_sid(held, "sid-copy")
            return early, taken_over, duplicate
        finally:
            for manager in (live, other):
                await manager.close()
            await clients[0].delete(*(dead._get_redis_key(t) for t in (orphan, held)))
            for client in clients:
                await client.aclose()

    early, taken_over, duplicate = asyncio.run(scenario())
    assert early is not None, "a token recorded for a live instance is not free"
    assert taken_over is None, "the dead instance's tab kept its token (and its state)"
    assert duplicate is not None, "a live instance's tab is still a duplicate: a fresh token"
