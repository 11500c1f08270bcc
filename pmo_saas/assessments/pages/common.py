"""Small helpers shared by the assessment pages (no state here)."""

from __future__ import annotations

import itertools

import reflex as rx

from pmo_saas.identity.auth_state import AuthState


def id_after(path: str, segment: str) -> int:
    """The number following `segment` in a URL path (0 when absent or not a number)."""
    parts = [p for p in (path or "").split("/") if p]
    for before, value in itertools.pairwise(parts):
        if before == segment and value.isdigit():
            return int(value)
    return 0


def section_href(suffix: str = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/assessments" + suffix


def back_link() -> rx.Component:
    return rx.link("← All assessments", href=section_href())
