"""The tenant context: who acts, in which organisation, with which role."""

from __future__ import annotations

from dataclasses import dataclass

from pmo_saas.kernel.errors import Forbidden
from pmo_saas.kernel.roles import Role, at_least


@dataclass(frozen=True, slots=True)
class TenantContext:
    org_id: int
    user_id: int | None
    role: Role
    org_slug: str = ""
    # The organisation's data version when the caller's session was looked up (0: unknown);
    # a view computed at this version may be reused while it holds (db.cached_in_tenant).
    data_version: int = 0
    # The acting user's e-mail as their session was looked up ("": not known): the audit log
    # records it without reading the user's row again in every audited write.
    user_email: str = ""

    def require(self, minimum: Role, message: str | None = None) -> None:
        if not at_least(self.role, minimum):
            raise Forbidden(message or f"This needs the {minimum.value} role or higher.")

    def has(self, minimum: Role) -> bool:
        return at_least(self.role, minimum)
