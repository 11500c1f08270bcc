"""Coaching, one module per page (walk `pages/X.py -> services/X.py -> models.py`):

- `plans`     plans: list, create (blank or from a round), change, delete, detail
              (pages/plans.py, pages/plan.py)
- `goals`     a plan's goals (pages/plan.py)
- `actions`   actions, my open actions (pages/plan.py, pages/mine.py)
- `sessions`  the coaching-session log (pages/plan.py)
- `board`     the leadership board and promotion to the portfolio (pages/board.py)
- `training`  courses, enrolments, coverage (pages/training.py)
- `common`    what they share: read rules, dates, texts, action rows

Every function takes a tenant session and `ctx` (keyword-only). Rows of another organisation
are invisible to the session, so they raise the same NotFound as missing rows.

Who may do what:
- coaches, admins and owners manage plans, goals, actions, session logs and the course
  catalogue, and promote organisational items to the portfolio;
- members read the plans of their teams (and their own person plan, and any plan where they
  own an action), change the status of the actions they own, enrol themselves in courses and
  record their own completions;
- viewers read plans, the leadership board and training coverage, and change nothing.

Bad input never half-writes: a missing owner is refused; a due date in the past is accepted
with a warning in the returned row; deleting a goal that has actions needs `confirm=True`.

Import from the module that holds the function; this package re-exports nothing.
"""
