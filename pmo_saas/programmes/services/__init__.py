"""Programmes, one module per page (walk `pages/X.py -> services/X.py -> models.py`):

- `programmes`  create and delete programmes, put initiatives in them (one programme each)
- `rollup`      each programme's status, funding, risks, delivery and capacity, and its CSV

Who may do what: coaches, admins and owners group initiatives into programmes; everyone in
the organisation reads the roll-up (as they read the portfolio). Every function takes a tenant
session and `ctx` (keyword-only); another organisation's rows raise NotFound.
"""
