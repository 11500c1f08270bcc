"""Rows of the improvement tables for the tenancy matrix (the demo seed leaves them empty)."""

from __future__ import annotations

from pmo_saas.db import tenant_session
from pmo_saas.improvement import services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.surveys.services import pmo_feedback


def make_improvement_rows(ctx: TenantContext) -> None:
    """A round of feedback on the PMO (not mailed) and an item raised from it."""
    with tenant_session(ctx) as session:
        survey_id = pmo_feedback.launch_pmo_feedback(session=session, ctx=ctx, notify=False)
        services.raise_item(
            session=session,
            ctx=ctx,
            title="Tenancy probe improvement",
            survey_id=survey_id,
            question_key="serves",
            owner_user_id=ctx.user_id,
        )
