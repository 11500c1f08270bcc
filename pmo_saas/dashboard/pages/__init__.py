"""The dashboard section's pages: the executive dashboard, its monthly report, share links, and
the public `/shared` view a `/share/<token>` link opens. Governance and the API keys, shown in
the same section, are portfolio's (portfolio/pages/governance.py) and rest's (rest/pages.py)."""

from pmo_saas.dashboard.pages import dashboard, report, shared, sharing  # noqa: F401
