"""The PMO's improvement backlog: raised from a feedback round (and statement) or from a PMO
retrospective, moved through its statuses, owned, audited, exported; and who may not."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.improvement import services
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.improvement.helpers import launch_feedback
from tests.surveys.helpers import close, team_with


def _raise(ctx, **kw):
    with tenant_session(ctx) as session:
        return services.raise_item(session=session, ctx=ctx, **kw)


def _rows(ctx):
    with tenant_session(ctx) as session:
        return services.list_items(session=session, ctx=ctx)


def _round(ctx) -> int:
    team_with(ctx, "One", 5)
    survey_id = launch_feedback(ctx)
    close(ctx, survey_id)
    return survey_id


def test_items_from_feedback_and_from_a_retro_move_through_statuses_with_audit_rows(org_a):
    survey_id = _round(org_a)
    coach = factories.make_member(org_a, Role.COACH, name="Cora")
    from_feedback = _raise(
        org_a,
        title="Explain funding decisions in the review",
        survey_id=survey_id,
        question_key="funding",
        owner_user_id=coach.user_id,
    )
    _raise(org_a, title="Shorter status reports", source="retrospective", retro="PMO retro 11/30")
    with tenant_session(org_a) as session:
        services.set_item_status(session=session, ctx=org_a, item_id=from_feedback, status="doing")
        services.set_item_owner(session=session, ctx=org_a, item_id=from_feedback,
                                owner_user_id=None)  # fmt: skip
    rows = _rows(org_a)
    assert [r.status for r in rows] == ["proposed", "doing"]  # open ones first, by status
    doing = rows[1]
    assert (doing.round_label, doing.question_label) == ("Round 1", "Funding decisions are clear")
    assert doing.owner_name == "" and rows[0].retro == "PMO retro 11/30"
    with tenant_session(org_a) as session:
        actions = session.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.action).startswith("improvement."))
            .order_by(col(AuditEvent.id))
        ).all()
    assert actions == ["improvement.raised", "improvement.raised", "improvement.status",
                       "improvement.owner"]  # fmt: skip
    with tenant_session(org_a) as session:
        text = services.export_items_csv(session=session, ctx=org_a)
    assert "Explain funding decisions in the review,doing,feedback,Round 1" in text


def test_bad_input_is_refused(org_a):
    survey_id = _round(org_a)
    with pytest.raises(ValidationFailed):
        _raise(org_a, title="No round")  # from feedback without its round
    with pytest.raises(ValidationFailed):
        _raise(org_a, title="Bad statement", survey_id=survey_id, question_key="nope")
    with pytest.raises(ValidationFailed):
        _raise(org_a, title="No retro named", source="retrospective")
    with pytest.raises(ValidationFailed):
        _raise(org_a, title="Odd", source="rumour")
    item = _raise(org_a, title="Fine", survey_id=survey_id)
    with pytest.raises(ValidationFailed), tenant_session(org_a) as session:
        services.set_item_status(session=session, ctx=org_a, item_id=item, status="shipped")


def test_another_org_cannot_read_change_or_point_at_rows(org_a, org_b):
    survey_id = _round(org_a)
    item = _raise(org_a, title="Ours", survey_id=survey_id)
    their_round = _round(org_b)
    assert _rows(org_b) == []
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        services.set_item_status(session=session, ctx=org_b, item_id=item, status="done")
    with pytest.raises(NotFound):
        _raise(org_a, title="Their round", survey_id=their_round)
    with pytest.raises(NotFound):  # their owner cannot own our item
        _raise(org_a, title="Their person", survey_id=survey_id, owner_user_id=org_b.user_id)
    with pytest.raises(NotFound), tenant_session(org_a) as session:
        services.set_item_owner(
            session=session, ctx=org_a, item_id=item, owner_user_id=org_b.user_id
        )
    assert _rows(org_a)[0].status == "proposed"


def test_members_read_the_backlog_but_only_coaches_write_it(org_a):
    survey_id = _round(org_a)
    item = _raise(org_a, title="Ours", survey_id=survey_id)
    member = factories.make_member(org_a, Role.MEMBER)
    assert [r.title for r in _rows(member)] == ["Ours"]
    with pytest.raises(Forbidden):
        _raise(member, title="Mine", survey_id=survey_id)
    with pytest.raises(Forbidden), tenant_session(member) as session:
        services.set_item_status(session=session, ctx=member, item_id=item, status="dropped")
