"""Several production app processes behind one address, on loopback, with a supervisor.

`Cluster` starts nginx with deploy/nginx.conf (its three upstreams pointed at loopback ports)
and one `reflex run --env prod --backend-only` process per upstream (granian, one worker, the
Redis state manager, the same database), each in a process group of its own. A supervisor
thread restarts a replica whose process exited, as compose's `restart: unless-stopped` does.
The frontend bundle is not served: the clients of the fault test (and of a bench that wants a
cluster) speak Reflex's websocket protocol, as bench/event_latency.py's do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from pmo_saas.settings import PROJECT_ROOT
from tests.deploy.proxy import nginx_command, proxy_config

START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answers(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


@dataclass
class Replica:
    name: str
    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    # monotonic times: the last (re)start, and when it answered /ping after it
    started_at: float = 0.0
    answered_at: float = 0.0

    def start(self) -> None:
        self.starts += 1
        self.started_at, self.answered_at = time.monotonic(), 0.0
        with self.log.open("a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = subprocess.Popen(
                [
                    str(PROJECT_ROOT / ".venv" / "bin" / "reflex"),
                    "run",
                    "--env",
                    "prod",
                    "--backend-only",
                    "--backend-host",
                    "127.0.0.1",
                    "--backend-port",
                    str(self.port),
                ],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def serving_pids(self) -> list[int]:
        """The processes that serve requests: granian's workers (or the process itself)."""
        assert self.proc is not None
        return _children(self.proc.pid) or [self.proc.pid]

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@dataclass
class Cluster:
    """nginx on one address in front of `replicas` app processes; call `start`, then `stop`."""

    tmp: Path
    env: dict[str, str]
    replicas: int = 3
    listen: int = field(default_factory=free_port)
    members: list[Replica] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)
    _nginx: subprocess.Popen[bytes] | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)
    _supervisor: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.listen}"

    def start(self) -> None:
        ports = [free_port() for _ in range(self.replicas)]
        conf = proxy_config(self.tmp, self.listen, ports)
        with (self.tmp / "nginx.log").open("w") as out:
            self._nginx = subprocess.Popen(
                nginx_command(self.tmp, conf, "-g", "daemon off;"),
                stdout=subprocess.DEVNULL,
                stderr=out,
                start_new_session=True,
            )
        for n, port in enumerate(ports, start=1):
            env = {**self.env, "PMO_PUBLIC_URL": self.url, "REFLEX_API_URL": self.url}
            replica = Replica(f"app{n}", port, env, self.tmp / f"app{n}.log")
            replica.start()
            self.members.append(replica)
        deadline = time.monotonic() + START_TIMEOUT_S
        for replica in self.members:
            while not answers(f"{replica.url}/ping"):
                if not replica.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{replica.name} did not start:\n{self.log_tail(replica)}")
                time.sleep(0.3)
            replica.answered_at = time.monotonic()
        self._supervisor = threading.Thread(target=self._supervise, daemon=True)
        self._supervisor.start()

    def _supervise(self) -> None:
        """Restart a replica whose process exited (compose's restart policy)."""
        while not self._stopping.wait(0.2):
            for replica in self.members:
                if not replica.alive():
                    assert replica.proc is not None
                    code = replica.proc.returncode
                    # Its group may hold a worker still: gone with the replica, as with a container.
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(replica.proc.pid, signal.SIGKILL)
                    self.restarts.append(f"{replica.name} exited ({code}): restarted")
                    replica.start()
                elif not replica.answered_at and answers(f"{replica.url}/ping", timeout=0.5):
                    replica.answered_at = time.monotonic()

    def kill(self, replica: Replica, *, grace_s: float = 5.0) -> list[int]:
        """SIGKILL the replica's serving process(es). If what is left of the replica does not
        exit by itself within `grace_s` (granian respawning or hanging), its whole group is
        killed, as a failing health check would have the container restarted."""
        assert replica.proc is not None
        pids = replica.serving_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        replica.answered_at = 0.0
        try:
            replica.proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            if not answers(f"{replica.url}/ping", timeout=0.5):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(replica.proc.pid, signal.SIGKILL)
        return pids

    def log_tail(self, replica: Replica, chars: int = 3000) -> str:
        return replica.log.read_text(errors="replace")[-chars:] if replica.log.exists() else ""

    def stop(self) -> None:
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout=5)
        for replica in self.members:
            replica.stop()
        if self._nginx is not None:
            self._nginx.terminate()
            try:
                self._nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._nginx.kill()
