"""What the workspace home reads of assessments at a glance."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from pmo_saas.assessments.models import AssessmentRound
from pmo_saas.kernel.context import TenantContext


def count_rounds(*, session: Session, ctx: TenantContext, open_only: bool = False) -> int:
    query = select(func.count(col(AssessmentRound.id)))
    if open_only:
        query = query.where(AssessmentRound.status == "open")
    return int(session.exec(query).one())
