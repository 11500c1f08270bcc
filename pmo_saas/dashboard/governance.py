"""Governance is portfolio's now (pmo_saas.portfolio.services.governance). This name stays only
for dashboard/http.py, which helper "rest" moves to pmo_saas/rest/: delete it then."""

from pmo_saas.portfolio.services.governance import get_governance as get_governance
