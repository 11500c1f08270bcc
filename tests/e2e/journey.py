"""Steps most browser journeys share: signing in through the sign-in page, a user's e-mail.
(The billing, board, coaching, collaboration and portfolio journeys still hold copies.)"""

from __future__ import annotations

import re

from playwright.sync_api import Page
from sqlmodel import select

from pmo_saas.db import system_session
from pmo_saas.identity.models import User
from tests import factories

# Lines for the end of the run ("browser checks"): what a check covered, e.g. axe's pages and
# rules, printed whether or not output is captured (tests/e2e/conftest.py).
SUMMARY: list[str] = []


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


_WATCH_BUSY = """() => {
  window.__busy = [];
  const note = (el) => {
    if (el.matches('button[disabled]'))
      window.__busy.push('button:' + (el.getAttribute('aria-label') || el.textContent.trim()));
    if (el.matches('[role=progressbar]'))
      window.__busy.push('progressbar:' + el.getAttribute('aria-label'));
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') note(r.target);
      for (const n of r.addedNodes) {
        if (n.nodeType !== 1) continue;
        note(n);
        n.querySelectorAll('button[disabled], [role=progressbar]').forEach(note);
      }
    }
  }).observe(document.body,
    {subtree: true, childList: true, attributes: true, attributeFilter: ['disabled']});
}"""


def watch_busy(page: Page) -> None:
    """From now on, note each button that turns disabled (Radix renders `loading` as a
    disabled button holding a spinner) and each progress bar shown: work too quick for
    `expect` to catch mid-way still leaves its trace for `busy_seen`."""
    page.evaluate(_WATCH_BUSY)


def busy_seen(page: Page) -> list[str]:
    return page.evaluate("() => window.__busy || []")
