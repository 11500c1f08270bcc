"""What an organisation's plan allows: the one place every plan-limited service consults.

With no Stripe keys configured (self-hosting, the embedded default) billing is off and every
feature is available without limits. The billing domain fills in the plan rules.
"""

from __future__ import annotations

from sqlmodel import Session

from pmo_saas.kernel.context import TenantContext
from pmo_saas.settings import get_settings


def billing_enabled() -> bool:
    return bool(getattr(get_settings(), "stripe_secret_key", ""))


def check_can_add_member(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan has no room for another member."""
    if not billing_enabled():
        return


def check_can_open_survey(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan allows no further open survey."""
    if not billing_enabled():
        return


def check_can_open_assessment_round(*, session: Session, ctx: TenantContext) -> None:
    """Raises LimitReached when the plan allows no further open assessment round."""
    if not billing_enabled():
        return


def check_writable(*, session: Session, ctx: TenantContext) -> None:
    """Raises ReadOnly when the workspace is read-only (past due beyond the grace period)."""
    if not billing_enabled():
        return


def seats_changed(*, session: Session, org_id: int) -> None:
    """Membership changed: the subscription's quantity follows (when billing is on)."""
    if not billing_enabled():
        return
