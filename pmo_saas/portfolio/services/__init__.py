"""Portfolio services, one module per page: pages/X.py -> services/X.py -> models.py.

overview -> portfolios, initiatives, ranking, rounds, funding, risks; `_common` holds the role
check and the look-ups they share. Functions take `session` (a tenant session: rows of other
organisations do not exist in it) and `ctx`. Everyone in the organisation reads; members
score in rounds they are invited to; coaches, admins and owners manage. Writes validate
everything before touching a row and record the important ones in the audit log in the same
transaction; in a read-only workspace the tenant session refuses them (the tables are
`refused_when_read_only`).
"""
