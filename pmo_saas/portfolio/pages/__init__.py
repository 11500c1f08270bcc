"""The portfolio section's pages: portfolios, initiatives (board, table, CSV), scoring and
ranking, scoring rounds, participatory budgeting, funding and scenarios, risks, and governance
(DSDM lifecycle, gate reviews, decisions log; shown in the Dashboard section)."""

from pmo_saas.portfolio.pages import (  # noqa: F401
    budgeting,
    funding,
    governance,
    initiatives,
    overview,
    ranking,
    risks,
    rounds,
)
