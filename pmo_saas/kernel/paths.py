"""URL paths as the pages read them (no Reflex): the one `id_after` every domain's pages use."""

from __future__ import annotations

from itertools import pairwise


def id_after(path: str, segment: str) -> int:
    """The number following `segment` in a URL path (0 when absent or not a number)."""
    parts = [p for p in (path or "").split("/") if p]
    for before, value in pairwise(parts):
        if before == segment and value.isdigit():
            return int(value)
    return 0
