"""deploy/nginx.conf run on loopback: the compose names of the replicas replaced by ports."""

from __future__ import annotations

import shutil
from pathlib import Path

from pmo_saas.settings import PROJECT_ROOT


def proxy_config(tmp: Path, listen: int, upstreams: list[int]) -> Path:
    """deploy/nginx.conf with the compose names replaced by loopback ports."""
    conf = (PROJECT_ROOT / "deploy" / "nginx.conf").read_text()
    assert "listen 80;" in conf and "server app3:8000" in conf
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    for n, port in enumerate(upstreams, start=1):
        conf = conf.replace(f"server app{n}:8000", f"server 127.0.0.1:{port}")
    path = tmp / "nginx.conf"
    path.write_text(conf)
    return path


def nginx_command(tmp: Path, conf: Path, *extra: str) -> list[str]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return [nginx, "-p", str(tmp), "-c", str(conf), "-g", f"pid {tmp}/nginx.pid;", *extra]
