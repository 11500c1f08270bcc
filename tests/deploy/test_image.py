"""The production image, built and started as an operator would (docs/operations.md).

Builds the Debian base with debootstrap (cached as `localhost/bookworm-min`), builds the image
with podman, migrates a fresh PostgreSQL database with a one-shot container, starts the app
container against it and Redis behind deploy/nginx.conf (run on loopback, two of its three
upstreams down), waits for its health check, signs up through the proxy in a browser and
finds the organisation's row. Prints the image size, build time and seconds from `run` to
healthy. Marked `image`: the README's test command deselects it, `.ci/run` runs it (after
installing podman, runc, debootstrap and nginx-light).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect

from pmo_saas.settings import PROJECT_ROOT
from tests.deploy.proxy import nginx_command, proxy_config
from tests.deploy.report import report

pytestmark = pytest.mark.image

IMAGE = os.environ.get("PMO_IMAGE_TAG", "localhost/pmo_saas:test")
BASE = "localhost/bookworm-min"
PG_ADMIN = os.environ.get("PMO_IMAGE_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS = os.environ.get("PMO_TEST_REDIS_URL", "redis://127.0.0.1:6379")
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINERS_CONF = PROJECT_ROOT / "deploy" / "containers.conf"
BUILD_TIMEOUT_S = 1800
HEALTHY_TIMEOUT_S = 300
PASSWORD = "image-test-pass-2026"


def _report(config: pytest.Config, line: str) -> None:
    report(config, "image", line)


def _env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def _podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    runtime = shutil.which("runc") or "/usr/sbin/runc"
    result = subprocess.run(
        ["podman", "--runtime", runtime, *args],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args[:3])} ... failed ({result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def image(request: pytest.FixtureRequest) -> str:
    for tool in ("podman", "debootstrap"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install -y podman runc debootstrap"
    started = time.monotonic()
    base = subprocess.run(
        ["bash", str(PROJECT_ROOT / "deploy" / "build-base.sh")],
        env={**_env(), "PMO_BASE_TAG": BASE},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert base.returncode == 0, f"building the base image failed:\n{base.stdout}\n{base.stderr}"
    _report(
        request.config,
        f"base image: {base.stdout.strip().splitlines()[-1]} ({time.monotonic() - started:.0f} s)",
    )
    args = ["build", "--format", "docker", "--network", "host", "--build-arg", f"BASE={BASE}"]
    if HOST_CA.exists():  # the machine's TLS-inspecting path (RECIPES.md); users pass neither
        args += [
            "-v", f"{HOST_CA}:/run/host-ca.crt:ro",
            "--build-arg", "PIP_CERT=/run/host-ca.crt",
            "--build-arg", "NODE_EXTRA_CA_CERTS=/run/host-ca.crt",
        ]  # fmt: skip
    started = time.monotonic()
    _podman(*args, "-t", IMAGE, str(PROJECT_ROOT), timeout=BUILD_TIMEOUT_S)
    size = int(_podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip())
    _report(
        request.config,
        f"image {IMAGE} built in {time.monotonic() - started:.0f} s, size {size / 1e9:.2f} GB",
    )
    return IMAGE


@pytest.fixture(scope="module")
def image_database() -> Iterator[str]:
    name = f"pmo_image_{os.getpid()}_{int(time.time())}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        raise AssertionError(f"the image test needs PostgreSQL at {PG_ADMIN}: {error}") from error
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _container_env(database_url: str, port: int, public_url: str) -> list[str]:
    env = {
        "PMO_ENVIRONMENT": "production",
        "PMO_SECRET_KEY": secrets.token_urlsafe(48),
        "PMO_DATABASE_URL": database_url,
        "PMO_REDIS_URL": REDIS,
        "PMO_PUBLIC_URL": public_url,
        # As in deploy/compose.yaml: the browser reaches the backend through the proxy.
        "REFLEX_API_URL": public_url,
        "GRANIAN_WORKERS": "1",
        "PORT": str(port),
    }
    return [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]


def _healthz(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=3) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def test_the_proxy_configuration_is_valid(tmp_path: Path):
    assert Path(shutil.which("nginx") or "/usr/sbin/nginx").exists(), (
        "nginx is missing: apt-get install -y nginx-light"
    )
    conf = proxy_config(tmp_path, _free_port(), [_free_port(), _free_port(), _free_port()])
    result = subprocess.run(nginx_command(tmp_path, conf, "-t"), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """deploy/nginx.conf on loopback: the app replica first, then two replicas that are down
    (nothing listens there), so requests also exercise max_fails and proxy_next_upstream."""
    tmp = tmp_path_factory.mktemp("proxy")
    listen, app_port = _free_port(), _free_port()
    conf = proxy_config(tmp, listen, [app_port, _free_port(), _free_port()])
    with (tmp / "nginx.err").open("w") as errors:
        process = subprocess.Popen(
            nginx_command(tmp, conf, "-g", "daemon off;"), stdout=subprocess.DEVNULL, stderr=errors
        )
    try:
        yield f"http://localhost:{listen}", app_port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def app_container(
    request: pytest.FixtureRequest, image: str, image_database: str, proxy: tuple[str, int]
) -> Iterator[str]:
    public_url, port = proxy
    env = _container_env(image_database, port, public_url)
    name = f"pmo-image-test-{os.getpid()}"
    # Migrations run once per deploy, in a one-shot container, never in the app's CMD.
    migrate = _podman(
        "run", "--rm", "--network", "host", "--name", f"{name}-migrate", *env, image,
        "python", "-m", "pmo_saas.manage", "migrate", timeout=300, check=False,
    )  # fmt: skip
    assert migrate.returncode == 0, f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}"
    assert "database migrated" in migrate.stdout
    _podman("rm", "-f", "--ignore", name, check=False)
    started = time.monotonic()
    _podman("run", "-d", "--network", "host", "--name", name, *env, image)
    url = f"http://localhost:{port}"
    try:
        status, body = 0, ""
        while time.monotonic() - started < HEALTHY_TIMEOUT_S:
            status, body = _healthz(url)
            if status == 200:
                break
            state = _podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()
            if state not in ("running", "created", "configured"):
                logs = _podman("logs", name, check=False)
                raise AssertionError(f"the app container is {state}:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.5)
        else:
            logs = _podman("logs", name, check=False)
            raise AssertionError(
                f"no healthy /healthz within {HEALTHY_TIMEOUT_S} s (last {status}: {body}):\n"
                f"{logs.stdout[-4000:]}{logs.stderr[-4000:]}"
            )
        _report(request.config, f"run to healthy: {time.monotonic() - started:.1f} s")
        assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "ok"}
        # The image's own HEALTHCHECK (kept by --format docker) agrees.
        check = _podman("healthcheck", "run", name, check=False)
        assert check.returncode == 0, f"HEALTHCHECK failed: {check.stdout}{check.stderr}"
        yield url
    finally:
        _podman("rm", "-f", "--time", "10", name, check=False)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_image_serves_a_sign_up_through_the_proxy_against_postgresql_and_redis(
    app_container: str, proxy: tuple[str, int], image_database: str, page: Page
):
    user = _podman("exec", f"pmo-image-test-{os.getpid()}", "id", "-un").stdout.strip()
    assert user == "pmo", "the app runs as the non-root user"
    public_url, _port = proxy
    # Through the proxy (two of its three upstreams are down): health answers, metrics do not.
    for _ in range(4):
        assert _get(f"{public_url}/healthz")[0] == 200
    assert _get(f"{public_url}/metrics")[0] == 404
    # Straight to the replica but as if proxied: refused without the token.
    request = urllib.request.Request(  # noqa: S310
        f"{app_container}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)  # noqa: S310
    assert refused.value.code == 403

    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{public_url}/signup")
    page.get_by_label("Organisation name").fill("Image Org")
    page.get_by_label("Your name").fill("Ima Owner")
    page.get_by_label("Email").fill("ima@image.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create organisation").click()
    # Sign-up answers "check your inbox" (the address is verified by the mailed link) and the
    # organisation exists from then on.
    expect(page.get_by_role("status")).to_contain_text("Check your inbox", timeout=60_000)
    assert sockets and all(url.startswith(public_url.replace("http", "ws")) for url in sockets), (
        f"the websocket went through the proxy: {sockets}"
    )

    with psycopg.connect(image_database) as conn:
        rows = conn.execute("SELECT name, slug FROM organization").fetchall()
    assert rows == [("Image Org", "image-org")]

    # The operator's view (loopback, no proxy: allowed without a token): the sign-up event
    # was timed, the page is a connected session, the HTTP routes are labelled by template.
    with urllib.request.urlopen(f"{app_container}/metrics", timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    assert re.search(
        r'pmo_event_duration_seconds_count\{handler="[^"]*sign_up_state\.submit"', text
    )
    connected = re.search(r"^pmo_connected_sessions ([0-9.]+)$", text, re.MULTILINE)
    assert connected and float(connected.group(1)) >= 1, text[-2000:]
    assert 'route="/healthz",status="200"' in text
