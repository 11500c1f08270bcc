"""Assessment pages: overview (models, rounds, my questionnaires), model editor, answering,
and the coach's round page with results. Each module holds a page and the state it uses."""

from pmo_saas.assessments.pages import answer, editor, overview, round_page  # noqa: F401
