"""Portfolio services, one module per page: pages/X.py -> services/X.py -> models.py.

overview -> portfolios, initiatives, ranking, rounds, funding, risks; `_common` holds the write
check and the look-ups they share. Functions take `session` (a tenant session: rows of other
organisations do not exist in it) and `ctx`. Everyone in the organisation reads; members
score in rounds they are invited to; coaches, admins and owners manage. Writes check
`check_writable` first, validate everything before touching a row, and record the important
ones in the audit log in the same transaction.
"""

# Compatibility only: coaching/portfolio_link.py reaches these four through
# importlib("pmo_saas.portfolio.services") until its own rework lands; nothing else may.
from pmo_saas.portfolio.services.funding import list_published_plans
from pmo_saas.portfolio.services.initiatives import create_initiative, get_initiative
from pmo_saas.portfolio.services.portfolios import list_portfolios

__all__ = ["create_initiative", "get_initiative", "list_portfolios", "list_published_plans"]
