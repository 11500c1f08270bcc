"""Small helpers shared by the assessment pages (no state here)."""

from __future__ import annotations

import reflex as rx

from pmo_saas.identity.auth_state import AuthState
from pmo_saas.kernel.paths import id_after  # noqa: F401  (the pages import it from here)


def section_href(suffix: str = "") -> rx.Var:
    return "/o/" + AuthState.org_slug + "/assessments" + suffix


def back_link() -> rx.Component:
    return rx.link("← All assessments", href=section_href())
