"""Assessment rounds as objects of conversation (collaboration/targets.py): seen as the round
is (assessments/services/rounds.get_round): by coaches, and by the people asked to answer."""

from __future__ import annotations

from sqlmodel import Session

from pmo_saas.assessments.models import AssessmentRound
from pmo_saas.assessments.services.rounds import get_round
from pmo_saas.collaboration.targets import register_target
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError


def _can_see(session: Session, ctx: TenantContext, round_id: int) -> bool:
    try:
        get_round(session=session, ctx=ctx, round_id=round_id)
    except DomainError:
        return False
    return True


def _describe(session: Session, round_id: int) -> tuple[str, str]:
    row = session.get(AssessmentRound, round_id)
    assert row is not None
    return row.title, f"/assessments/rounds/{round_id}"


register_target("assessment_round", label="assessment round", can_see=_can_see, describe=_describe)
