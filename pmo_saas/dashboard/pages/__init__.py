"""The dashboard section's pages: the executive dashboard, its monthly report, share links, API
keys, and the public `/shared` view a `/share/<token>` link opens. (Governance, shown in the
same section, is portfolio's: portfolio/pages/governance.py.)"""

from pmo_saas.dashboard.pages import apikeys, dashboard, report, shared, sharing  # noqa: F401
