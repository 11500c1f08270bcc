"""Survey pages: the list and launch form (coaches) with "your surveys" (everyone), the
respondent's page reached by a personal or open link (public, no account), the results, and
a respondent's own team results after the close. Each module holds a page and its state."""

from pmo_saas.surveys.pages import overview, respond, results  # noqa: F401
