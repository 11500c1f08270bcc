"""PostgreSQL only: row-level security holds even for raw SQL in a tenant transaction.

On SQLite there is no such wall, and this module defines no test (nothing is skipped).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from pmo_saas.db import tenant_session
from tests import factories

if os.environ["PMO_DATABASE_URL"].startswith("postgresql"):

    def test_raw_sql_in_a_tenant_transaction_sees_only_its_org(org_a, org_b):
        factories.make_team(org_a, "Ours")
        factories.make_team(org_b, "Theirs")
        with tenant_session(org_a) as session:
            names = session.execute(text("SELECT name FROM team ORDER BY name")).scalars().all()
            assert names == ["Ours"]
            role = session.execute(text("SELECT current_user")).scalar()
            assert role == "pmo_tenant"
            changed = session.execute(text("UPDATE team SET name = 'x' WHERE name = 'Theirs'"))
            assert changed.rowcount == 0

    def test_raw_insert_for_another_org_is_refused_by_the_database(org_a, org_b):
        from sqlalchemy.exc import ProgrammingError

        with (
            pytest.raises(ProgrammingError, match="row-level security"),
            tenant_session(org_a) as session,
        ):
            session.execute(
                text("INSERT INTO team (org_id, name, created_at) VALUES (:org, 'x', now())"),
                {"org": org_b.org_id},
            )
