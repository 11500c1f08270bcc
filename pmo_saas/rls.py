"""PostgreSQL row-level security for tenant-owned tables: the second wall behind db.py.

Migrations call `enable_tenant_rls(op, "table")` after creating a tenant-owned table. Tenant
transactions run as the role `settings.db_tenant_role` with `app.org_id` set; that role sees
and writes only its organisation's rows, whatever SQL it runs. On SQLite these are no-ops.
"""

from __future__ import annotations

from typing import Any

from pmo_saas.settings import get_settings


def _is_postgres(op: Any) -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def ensure_tenant_role(op: Any) -> None:
    if not _is_postgres(op):
        return
    role = get_settings().db_tenant_role
    # The role name is validated as an identifier in settings.
    op.execute(
        f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE "{role}" NOLOGIN;
          END IF;
        END $$;
        """  # noqa: S608
    )
    op.execute(f'GRANT "{role}" TO CURRENT_USER')
    op.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "{role}"'
    )
    op.execute(
        f'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "{role}"'
    )


def grant_existing(op: Any) -> None:
    if not _is_postgres(op):
        return
    role = get_settings().db_tenant_role
    op.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"')
    op.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"')


def enable_tenant_rls(op: Any, table: str) -> None:
    if not _is_postgres(op):
        return
    guard = (
        "(NULLIF(current_setting('app.org_id', true), '') IS NULL "
        "OR org_id = NULLIF(current_setting('app.org_id', true), '')::int)"
    )
    op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    op.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
    op.execute(f'CREATE POLICY tenant_isolation ON "{table}" USING {guard} WITH CHECK {guard}')


def disable_tenant_rls(op: Any, table: str) -> None:
    if not _is_postgres(op):
        return
    op.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
    op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
