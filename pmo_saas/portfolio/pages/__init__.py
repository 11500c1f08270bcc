"""The portfolio section's pages: portfolios, initiatives (board, table, CSV), scoring and
ranking, scoring rounds, funding and scenarios, risks."""

from pmo_saas.portfolio.pages import funding, initiatives, overview, ranking, risks, rounds  # noqa: F401
