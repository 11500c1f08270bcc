"""One row in every REST API table, for the tenancy test's TENANT_ROW_MAKERS."""

from __future__ import annotations

from pmo_saas.kernel.context import TenantContext
from pmo_saas.rest import keys
from tests.rest.helpers import make_key


def make_rest_rows(ctx: TenantContext) -> None:
    """An API key, and its rate counter (its first request)."""
    _, key = make_key(ctx, name="Row maker")
    keys.authenticate(f"Bearer {key}")
