"""Browser journeys: one production build of the app per test session, driven by Chromium.

The app runs as `reflex run --env prod --single-port` against the same database the tests
use (and Redis with several backend workers when PMO_TEST_REDIS_URL is set).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmo_saas.settings import PROJECT_ROOT
from tests.e2e.journey import SUMMARY
from tests.peers import oidc

BUILD_TIMEOUT_S = 600
# Peer modules whose `app_env()` the app server is started with.
PEER_MODULES = (
    "tests.peers.stripe",
    "tests.peers.smtp",
    "tests.peers.dns",
    "tests.peers.jira_peer",
)
# The OpenID Connect peers run on loopback: SSO's outbound checks allow exactly that.
SSO_LOOPBACK_NETWORKS = "127.0.0.0/8,::1/128"


# The running app's log, whose tail a failing journey's report shows (what the server saw).
_APP_LOG: list[Path] = []
APP_LOG_TAIL_LINES = 80


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + BUILD_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the app did not answer {url} in time:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def app_url(engine, tmp_path_factory) -> Iterator[str]:
    port = _free_port()
    url = f"http://localhost:{port}"
    log = tmp_path_factory.mktemp("app") / "reflex.log"
    _APP_LOG.append(log)
    env = dict(os.environ)
    env.update(
        PMO_PUBLIC_URL=url,
        # Own build folders, so a developer's dev server (or a parallel run) is left alone.
        REFLEX_WEB_WORKDIR=".web-test" + os.environ.get("PMO_E2E_SUFFIX", ""),
        REFLEX_STATES_WORKDIR=".states-test" + os.environ.get("PMO_E2E_SUFFIX", ""),
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        PMO_SSO_ALLOWED_NETWORKS=SSO_LOOPBACK_NETWORKS,
    )
    env.update(_peer_app_env())
    if os.environ.get("PMO_TEST_REDIS_URL"):
        env["REFLEX_REDIS_URL"] = os.environ["PMO_TEST_REDIS_URL"]
        env.setdefault("GRANIAN_WORKERS", "2")
    reflex = str(Path(PROJECT_ROOT) / ".venv" / "bin" / "reflex")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                reflex,
                "run",
                "--env",
                "prod",
                "--single-port",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(f"{url}/ping", proc, log)
        _wait_for(f"{url}/signin/", proc, log)
        yield url
    finally:
        _stop(proc)


def _peer_app_env() -> dict[str, str]:
    """Settings that point the app at loopback peers (e.g. the Stripe-compatible server)."""
    env: dict[str, str] = {}
    for module_name in PEER_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        env.update(module.app_env())
    return env


def _stop(proc: subprocess.Popen) -> None:
    """Stop the app's whole process group (it was started in a session of its own)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def idp1() -> Iterator[str]:
    """An OpenID Connect provider on loopback (oidc-provider-mock), for the SSO journey."""
    yield from oidc.oidc_provider_mock()


@pytest.fixture(scope="session")
def idp2() -> Iterator[str]:
    """A second provider process: a second issuer, for a second organisation."""
    yield from oidc.oidc_provider_mock()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = os.environ.get("PMO_CHROMIUM", "/usr/bin/chromium")
    args = dict(browser_type_launch_args)
    if chromium and Path(chromium).exists():
        args["executable_path"] = chromium
    args["args"] = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]
    return args


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    return app_url


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section("browser checks")
        for line in SUMMARY:
            terminalreporter.write_line(line)


def _page_text(item) -> str:
    page = getattr(item, "funcargs", {}).get("page")
    if page is None:
        return "(no page)"
    try:
        text = page.locator("body").inner_text(timeout=2000)
    except Exception as error:  # a report must never fail on its own
        text = f"(could not read the page: {error})"
    shown = " | ".join(t.strip() for t in text.splitlines() if t.strip())
    return f"url: {page.url}\n{shown[:1500]}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "/e2e/" in str(item.fspath):
        # What the user saw, first: the CI summary shows only the head of a failure's output.
        report.sections.insert(0, ("page when it failed", _page_text(item)))
    if report.when == "call" and report.failed and _APP_LOG and "/e2e/" in str(item.fspath):
        lines = _APP_LOG[-1].read_text(errors="replace").splitlines()[-APP_LOG_TAIL_LINES:]
        report.sections.append(("app server log (last lines)", "\n".join(lines)))
