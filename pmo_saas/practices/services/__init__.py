"""Practices, one module per page (walk `pages/X.py -> services/X.py -> models.py`):

- `playbook`    publish, edit (each save keeps a version), list, detail, the starter practices,
                and `practices_for_dimension` (the read coaching goals call)
- `adoption`    a team's adoption of a practice, the teams x practices matrix, its CSV
- `comparison`  teams that adopted a practice vs the rest, mean maturity in the latest round
- `common`      what they share: look-ups, who may do what, rows

Who may do what: coaches, admins and owners publish and edit practices and record any team's
adoption; members record the adoption of their own teams; everyone reads the playbook.
Every function takes a tenant session and `ctx` (keyword-only); another organisation's rows
raise the same NotFound as missing ones.
"""
