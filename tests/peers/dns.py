"""A real DNS server on loopback (dnslib) whose TXT records the tests publish.

One UDP server per test process, started on first use and stopped at exit (like the SMTP
peer). The app asks it through `PMO_DNS_RESOLVER` (`app_env()` for the browser journeys'
app server; the in-process tests set the same setting). Unknown names answer NXDOMAIN.
"""

from __future__ import annotations

import atexit
import socket
import threading
from typing import Any

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

_lock = threading.Lock()
_records: dict[str, list[str]] = {}
_server: dict[str, Any] = {}


class _Records(BaseResolver):  # type: ignore[misc]
    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with _lock:
            values = list(_records.get(name, []))
        if request.q.qtype == QTYPE.TXT:
            for value in values:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=0))
        if not values:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port() -> int:
    """The server's UDP port, starting it on first call."""
    if "server" not in _server:
        udp_port = _free_udp_port()
        quiet = DNSLogger(log="-request,-reply,-truncated,-error,-recv,-send", logf=lambda _: None)
        server = DNSServer(_Records(), address="127.0.0.1", port=udp_port, logger=quiet)
        server.start_thread()
        atexit.register(server.stop)
        _server["server"] = server
        _server["port"] = udp_port
    return int(_server["port"])


def resolver() -> str:
    """`host:port` for PMO_DNS_RESOLVER."""
    return f"127.0.0.1:{port()}"


def app_env() -> dict[str, str]:
    return {"PMO_DNS_RESOLVER": resolver()}


def publish(name: str, value: str) -> None:
    """Add a TXT record (several may share a name)."""
    port()
    with _lock:
        _records.setdefault(name.rstrip(".").lower(), []).append(value)


def unpublish(name: str) -> None:
    with _lock:
        _records.pop(name.rstrip(".").lower(), None)
