"""Validation of initiative fields, shared by the forms and the CSV import, and cycle finding.

Every cleaner takes what a person typed (a string) or a typed value and returns the stored
value, or raises ValidationFailed with a message that says what is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.portfolio.scoring import MOSCOW_LABELS

STATUSES: dict[str, str] = {
    "funnel": "Funnel",
    "reviewing": "Reviewing",
    "analysing": "Analysing",
    "ready": "Ready",
    "implementing": "Implementing",
    "done": "Done",
}
RISK_STATUSES = ("open", "mitigating", "accepted", "closed")
MOSCOW_ALIASES = {
    "must": "must",
    "must have": "must",
    "m": "must",
    "should": "should",
    "should have": "should",
    "s": "should",
    "could": "could",
    "could have": "could",
    "c": "could",
    "wont": "wont",
    "won't": "wont",
    "won't have": "wont",
    "wont have": "wont",
    "w": "wont",
}
MAX_MONEY = 10**15


def _text(raw: object) -> str:
    return "" if raw is None else str(raw)


def clean_text(raw: object, *, what: str, max_length: int, required: bool = False) -> str:
    value = " ".join(_text(raw).split()) if max_length <= 500 else _text(raw).strip()
    if required and not value:
        raise ValidationFailed(f"Enter a {what}.", field=what)
    if len(value) > max_length:
        raise ValidationFailed(f"The {what} is longer than {max_length} characters.", field=what)
    return value


def clean_money(raw: object, *, what: str = "cost", required: bool = False) -> int | None:
    """Whole currency units, 0 or more; '120,000' and '120000.00' are accepted."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise ValidationFailed(f"Enter the {what}.", field=what)
        return None
    if isinstance(raw, bool):
        raise ValidationFailed(f"The {what} must be a number.", field=what)
    text = re.sub(r"[\s,_]", "", _text(raw))
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValidationFailed(
            f"The {what} must be a number of whole currency units; got “{raw}”.", field=what
        ) from None
    if not amount.is_finite():
        raise ValidationFailed(f"The {what} must be a number; got “{raw}”.", field=what)
    if amount < 0:
        raise ValidationFailed(f"The {what} cannot be negative; got {raw}.", field=what)
    if amount != amount.to_integral_value():
        raise ValidationFailed(
            f"Enter the {what} in whole currency units (no cents); got {raw}.", field=what
        )
    if amount > MAX_MONEY:
        raise ValidationFailed(f"The {what} is implausibly large; got {raw}.", field=what)
    return int(amount)


def clean_date(raw: object, *, what: str) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(_text(raw).strip())
    except ValueError:
        raise ValidationFailed(
            f"The {what} must be a date written YYYY-MM-DD; got “{raw}”.", field=what
        ) from None


def clean_status(raw: object) -> str:
    value = _text(raw).strip().lower() or "funnel"
    if value not in STATUSES:
        raise ValidationFailed(
            f"The status must be one of {', '.join(STATUSES)}; got “{raw}”.", field="status"
        )
    return value


def clean_moscow(raw: object) -> str | None:
    value = " ".join(_text(raw).strip().lower().replace("\u2019", "'").split())
    if not value:
        return None
    if value not in MOSCOW_ALIASES:
        raise ValidationFailed(
            f"The MoSCoW category must be Must, Should, Could or Won't; got “{raw}”.",
            field="moscow",
        )
    return MOSCOW_ALIASES[value]


def clean_tags(raw: object) -> str:
    """Stored comma-separated, lower-case, sorted; typed with commas or semicolons."""
    items = raw if isinstance(raw, list | tuple | set) else re.split(r"[;,]", _text(raw))
    tags = sorted({" ".join(str(t).lower().split()) for t in items if str(t).strip()})
    for tag in tags:
        if len(tag) > 40:
            raise ValidationFailed(f"The tag “{tag}” is longer than 40 characters.", field="tags")
    joined = ",".join(tags)
    if len(joined) > 500:
        raise ValidationFailed("There are too many tags (500 characters in all).", field="tags")
    return joined


def tag_list(stored: str) -> list[str]:
    return [t for t in stored.split(",") if t]


def check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValidationFailed("The end date is before the start date.", field="end_date")


def moscow_label(value: str | None) -> str:
    return MOSCOW_LABELS.get(value or "", "")


def find_cycle(edges: Mapping[int, Iterable[int]]) -> list[int] | None:
    """A dependency cycle as [a, b, ..., a], or None. Iterative DFS: deep graphs are fine."""
    white, grey, black = 0, 1, 2
    colour: dict[int, int] = {}
    for start in edges:
        if colour.get(start, white) != white:
            continue
        path: list[int] = []
        stack: list[tuple[int, Iterable[int]]] = [(start, iter(edges.get(start, ())))]
        colour[start] = grey
        path.append(start)
        while stack:
            node, children = stack[-1]
            advanced = False
            for child in children:
                state = colour.get(child, white)
                if state == grey:
                    return [*path[path.index(child) :], child]
                if state == white:
                    colour[child] = grey
                    path.append(child)
                    stack.append((child, iter(edges.get(child, ()))))
                    advanced = True
                    break
            if not advanced:
                colour[node] = black
                path.pop()
                stack.pop()
    return None


def cycle_message(cycle: list[int], titles: Mapping[int, str]) -> str:
    names = " → ".join(f"“{titles.get(i, i)}”" for i in cycle)
    return f"That would make a dependency cycle: {names}. Remove one of these dependencies."
