"""What the Jira-like and GitHub-like loopback peers share: a threaded stdlib HTTP server in a
process of its own, its request log, switches that make it fail (an HTTP status, or a delay
longer than the app's timeout), `/_peer/...` control routes for the tests, and the launcher
that starts each peer once per test process (stopped by its pid at exit).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
LOCK = threading.Lock()


class PeerHandler(BaseHTTPRequestHandler):
    """Subclasses implement `api(method, path, query)` -> (status, body, headers) and
    `control(method, path, body)` -> body, under `LOCK`; the state lives on the server."""

    server: PeerServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if parts.path.startswith("/_peer/"):
            with LOCK:
                result = self._control(method, parts.path, json.loads(raw or b"{}"))
            self._send(200, result)
            return
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with LOCK:
            self.server.log.append(
                {"method": method, "path": parts.path, "query": query, "auth": self._auth_kind()}
            )
            failure = self.server.failures.pop(0) if self.server.failures else None
        if failure and failure.get("delay"):
            time.sleep(float(failure["delay"]))
        if failure and failure.get("status"):
            code = int(failure["status"])
            moved = {"Location": str(failure["location"])} if failure.get("location") else {}
            self._send(code, {} if moved else self.error_body(code), moved)
            return
        with LOCK:
            status, body, headers = self.api(method, parts.path, query)
        self._send(status, body, headers)

    def _auth_kind(self) -> str:
        return (self.headers.get("Authorization") or "").split(" ", 1)[0]

    def _control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        if path == "/_peer/log":
            if method == "DELETE":
                self.server.log.clear()
            return list(self.server.log)
        # {"status": 500}, {"delay": 3} or {"status": 302, "location": ...}: the next `times` calls
        if path == "/_peer/fail":
            # "after": that many calls answer normally first (a failure in mid-sync)
            self.server.failures = [None] * int(body.get("after", 0))
            self.server.failures += [dict(body)] * int(body.get("times", 1))
            return {}
        return self.control(method, path, body)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- for subclasses
    def api(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        raise NotImplementedError

    def control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        raise NotImplementedError

    def error_body(self, status: int) -> Any:
        raise NotImplementedError


class PeerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, handler: type[PeerHandler]) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.log: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any] | None] = []
        self.state: dict[str, Any] = {}


def serve(handler: type[PeerHandler]) -> None:
    port = int(sys.argv[sys.argv.index("--port") + 1])
    PeerServer(port, handler).serve_forever()


# ---------------------------------------------------------------- launching, from tests

_running: dict[str, str] = {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


def start(module: str) -> str:
    """The peer's base URL (http://127.0.0.1:PORT), starting `python -m module` on first use."""
    if module in _running:
        return _running[module]
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    atexit.register(_stop, process)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{base}/_peer/log", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"the peer {module} did not start") from None
            time.sleep(0.1)
    _running[module] = base
    return base


class PeerControl:
    """A test's handle on a running peer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self._http = httpx.Client(timeout=10)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"{self.base}/_peer/{path}", json=body or {})
        response.raise_for_status()
        return response.json()

    def log(self) -> list[dict[str, Any]]:
        return list(self.call("GET", "log"))

    def clear_log(self) -> None:
        self.call("DELETE", "log")

    def fail(
        self,
        *,
        status: int = 0,
        delay: float = 0,
        times: int = 1,
        after: int = 0,
        location: str = "",
    ) -> None:
        body = {"status": status, "delay": delay, "times": times, "after": after}
        self.call("POST", "fail", {**body, "location": location})
