"""The one module that asks DNS (dnspython): TXT records for domain proofs.

The resolver is the operator's (`PMO_DNS_RESOLVER=host:port`) or the system's. A missing name
or record is simply "no records"; a resolver that does not answer is `DnsUnavailable`.
"""

from __future__ import annotations

import dns.exception
import dns.resolver

from pmo_saas.kernel.errors import DomainError
from pmo_saas.settings import get_settings

TIMEOUT_SECONDS = 3.0


class DnsUnavailable(DomainError):
    """The resolver did not answer; nothing can be concluded about the records."""


def _resolver() -> tuple[dns.resolver.Resolver, str]:
    configured = get_settings().dns_resolver.strip()
    if not configured:
        resolver = dns.resolver.Resolver(configure=True)
        return resolver, "the system's DNS resolver"
    host, port = configured, 53
    if configured.startswith("["):  # [::1]:5353
        host, _, rest = configured[1:].partition("]")
        port = int(rest.lstrip(":") or 53)
    elif configured.count(":") == 1:
        host, _, raw_port = configured.partition(":")
        port = int(raw_port)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = port
    return resolver, f"the DNS resolver {configured}"


def txt_records(name: str) -> list[str]:
    """The TXT strings published at `name` (each record's chunks joined)."""
    try:
        resolver, which = _resolver()
    except (dns.exception.DNSException, ValueError, OSError) as error:
        raise DnsUnavailable(
            f"The DNS resolver could not be used ({type(error).__name__}). Nothing was "
            "changed; ask the operator to check PMO_DNS_RESOLVER."
        ) from None
    resolver.timeout = TIMEOUT_SECONDS
    resolver.lifetime = TIMEOUT_SECONDS
    try:
        answer = resolver.resolve(name, "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as error:
        raise DnsUnavailable(
            f"{which[0].upper()}{which[1:]} did not answer for {name} "
            f"({type(error).__name__}). Nothing was changed; try again in a few minutes."
        ) from None
    return [
        b"".join(record.strings).decode("utf-8", "replace")
        for record in answer  # type: ignore[attr-defined]
    ]
