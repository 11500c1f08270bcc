"""The markdown subset of comments, rendered on the server to HTML that is safe to show.

markdown-it-py (the CommonMark reference port, maintained) with raw HTML off: any `<tag>` in
a comment comes out escaped. Only emphasis, code, lists, quotes, line breaks and links are
on; a link must be http, https or mailto (anything else stays text) and carries
rel="noopener noreferrer nofollow". Mentions (`@[Name](user:12)`, `@[Team](team:3)`) become
bold names read from the database, never the name typed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

MENTION = re.compile(r"@\[([^\]\n]{1,120})\]\((user|team):(\d{1,10})\)")
SAFE_SCHEMES = ("http://", "https://", "mailto:")
REL = "noopener noreferrer nofollow"
_ESCAPE = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


def _link_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].attrSet("rel", REL)
    tokens[idx].attrSet("target", "_blank")
    result: str = renderer.renderToken(tokens, idx, options, env)
    return result


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False})
    md.enable(["emphasis", "backticks", "link", "list", "blockquote", "fence", "newline"])
    md.enable(["escape", "entity", "code"])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    return md


def escape_markdown(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)


def mentions_in(body: str) -> tuple[set[int], set[int]]:
    """(user ids, team ids) mentioned in `body`."""
    users: set[int] = set()
    teams: set[int] = set()
    for _name, kind, raw in MENTION.findall(body):
        (users if kind == "user" else teams).add(int(raw))
    return users, teams


def render(body: str, names: Callable[[str, int], str | None]) -> str:
    """Safe HTML for `body`; `names(kind, id)` gives a mention's current name (None: gone)."""

    def mention(match: re.Match[str]) -> str:
        name = names(match.group(2), int(match.group(3)))
        return f"**@{escape_markdown(name)}**" if name else "@(unknown)"

    return _parser().render(MENTION.sub(mention, body))
