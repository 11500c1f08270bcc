"""Roll-out waves, one module per page (walk `pages/X.py -> services/X.py -> models.py`):

- `waves`       the roadmap: waves in order, their teams, entry and exit criteria
- `progress`    each team of a wave against its criteria, from the latest round and survey;
                the flat cells and their CSV
- `comparison`  pilot teams against the rest: maturity and culture trends, never a group
                below the anonymity threshold, each figure with its team count
- `common`      what they share: look-ups, who may do what, rows

Who may do what: coaches, admins and owners plan waves and see progress and the comparison
(they read team maturity and survey results, which are theirs to read); everyone reads the
roadmap itself. Every function takes a tenant session and `ctx` (keyword-only); another
organisation's rows raise the same NotFound as missing ones.
"""
