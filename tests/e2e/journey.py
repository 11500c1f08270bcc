"""Steps most browser journeys share: signing in through the sign-in page, a user's e-mail.
(The billing, board, coaching, collaboration and portfolio journeys still hold copies.)"""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity.models import User
from tests import factories


def sign_in(page: Page, base_url: str, email: str, path: str) -> None:
    """Open `path`, get sent to sign in, sign in with the factories' password, land back."""
    page.goto(f"{base_url}{path}")
    page.wait_for_url(re.compile(r"^[^?]*/signin.*"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(rf"^[^?]*{re.escape(path)}/?$"))


def email_of(user_id: int | None) -> str:
    with system_session() as session:
        return session.exec(select(User.email).where(User.id == user_id)).one()
