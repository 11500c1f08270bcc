"""Transformation maturity assessments, one module per page (walk `pages/X.py -> services/X.py`):

- `catalog`   models, versions, levels, dimensions, statements (pages/overview.py, editor.py)
- `rounds`    start, list, follow and close rounds, facilitator notes (pages/overview.py,
              round_page.py)
- `answering` a participant's assignments and answers (pages/answer.py)
- `results`   aggregates, heat map, CSV export, focus dimensions, and the read API coaching
              uses (pages/round_page.py)

Every function takes a tenant session and `ctx` (keyword-only). Rows of another organisation
are invisible to the session, so they raise the same NotFound as missing rows.

Who may do what:
- coaches (and admins, owners) build models, start, follow and close rounds, read aggregates,
  write facilitator notes, export CSV and mark focus dimensions;
- a participant (any member the round asked) reads and writes only their own answers;
- nobody reads another person's answers through this package: results are aggregates only.

Import from the module that holds the function; this package re-exports nothing.
"""
