"""Numbers as the pages show them, formatted on the server: one place for every domain."""

from __future__ import annotations

from functools import lru_cache

NO_VALUE = "—"


@lru_cache(maxsize=8192)
def number(value: float) -> str:
    """A number as people write it: 3, 2.5, 0.25, 1,200 (at most two decimals)."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def optional_number(value: float | None, empty: str = "") -> str:
    """`number`, or `empty` when there is no value (not scored, not measured)."""
    return empty if value is None else number(value)


def money(amount: int | None, currency: str = "", *, empty: str = "") -> str:
    """A whole amount with thousands separators (1,200 EUR); `empty` when there is none."""
    if amount is None:
        return empty
    return f"{amount:,} {currency}".strip()


def signed(value: float | None, *, empty: str = NO_VALUE) -> str:
    """A change with its sign: +1.5, -2, 0 (`number`'s rounding)."""
    if value is None:
        return empty
    return ("+" if value > 0 else "") + number(value)


def fixed(value: float | None, *, empty: str = NO_VALUE) -> str:
    """Always two decimals (3.00, 2.50): means read side by side in a column."""
    return empty if value is None else f"{value:.2f}"


def signed_fixed(value: float | None, *, empty: str = NO_VALUE) -> str:
    """A change in `fixed`'s two decimals with its sign: +0.33, -0.50; ±0.00 when it rounds to
    nothing."""
    if value is None:
        return empty
    rounded = round(value, 2)
    return "±0.00" if rounded == 0 else f"{rounded:+.2f}"
