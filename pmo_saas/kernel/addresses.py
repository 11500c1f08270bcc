"""Which IP addresses outbound fetches (single sign-on, delivery sync) may reach by default."""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(ip: IpAddress) -> bool:
    """Globally routable: not private, loopback, link-local, multicast, reserved or unspecified
    (an IPv4-mapped IPv6 address is judged by the IPv4 address inside it)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
