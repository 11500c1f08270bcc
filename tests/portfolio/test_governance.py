"""DSDM lifecycle per initiative: stage-gate reviews move it, the decisions log records them."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import GateReview
from pmo_saas.portfolio.pages.governance import GovernanceState
from pmo_saas.portfolio.services import governance
from tests import factories
from tests.dashboard.helpers import initiative_ids, make_portfolio
from tests.state_harness import run, state_for


def _initiative(ctx) -> int:
    return initiative_ids(ctx, make_portfolio(ctx, initiatives=1))[0]


def _review(ctx, initiative_id, decision, **kw):
    with tenant_session(ctx) as session:
        return governance.record_gate_review(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            decision=decision,
            decided_on=kw.pop("decided_on", "2026-11-02"),
            approvers=kw.pop("approvers", "Ada Sponsor, Ben Visionary"),
            **kw,
        )


def _state(ctx, initiative_id):
    with tenant_session(ctx) as session:
        return governance.get_governance(session=session, ctx=ctx, initiative_id=initiative_id)


def test_a_new_initiative_starts_in_pre_project(org_a):
    g = _state(org_a, _initiative(org_a))
    assert (g.stage, g.status) == ("pre_project", "active")
    assert [s.state for s in g.steps] == ["current"] + ["ahead"] * 5
    assert [s.label for s in g.steps] == [
        "Pre-project",
        "Feasibility",
        "Foundations",
        "Evolutionary development",
        "Deployment",
        "Post-project",
    ]
    assert g.reviews == [] and g.decisions == []


def test_gates_walk_the_lifecycle_and_log_each_decision(org_a):
    initiative_id = _initiative(org_a)
    _review(org_a, initiative_id, "proceed")
    _review(org_a, initiative_id, "proceed_with_conditions", conditions="Security review first")
    _review(org_a, initiative_id, "proceed")
    g = _state(org_a, initiative_id)
    assert g.stage == "evolutionary_development"
    assert [s.state for s in g.steps[:4]] == ["done", "done", "done", "current"]
    latest = g.reviews[-2]  # newest first; same date, so by id
    assert latest.decision == "proceed_with_conditions"
    assert latest.conditions == "Security review first"
    assert latest.approvers == ["Ada Sponsor", "Ben Visionary"]
    assert [d.title for d in g.decisions] == [
        "Foundations gate: Proceed",
        "Feasibility gate: Proceed with conditions",
        "Pre-project gate: Proceed",
    ]
    # Deployment may send the work back for another increment.
    _review(org_a, initiative_id, "proceed")
    _review(org_a, initiative_id, "iterate")
    assert _state(org_a, initiative_id).stage == "evolutionary_development"
    for _ in range(3):
        _review(org_a, initiative_id, "proceed")
    done = _state(org_a, initiative_id)
    assert done.status == "completed" and done.allowed_decisions == []
    assert all(s.state == "done" for s in done.steps)
    with pytest.raises(Conflict, match="completed"):
        _review(org_a, initiative_id, "proceed")


def test_hold_and_stop(org_a):
    initiative_id = _initiative(org_a)
    _review(org_a, initiative_id, "hold")
    held = _state(org_a, initiative_id)
    assert (held.stage, held.status) == ("pre_project", "on_hold")
    _review(org_a, initiative_id, "proceed")
    assert _state(org_a, initiative_id).status == "active"
    _review(org_a, initiative_id, "stop")
    with pytest.raises(Conflict, match="stopped"):
        _review(org_a, initiative_id, "proceed")


@pytest.mark.parametrize(
    ("decision", "kw", "message"),
    [
        ("maybe", {}, "decision"),
        ("iterate", {}, "deployment only"),
        ("proceed_with_conditions", {}, "conditions"),
        ("proceed", {"approvers": " , "}, "approver"),
        ("proceed", {"decided_on": "02/11/2026"}, "YYYY-MM-DD"),
    ],
)
def test_bad_reviews_are_refused_and_change_nothing(org_a, decision, kw, message):
    initiative_id = _initiative(org_a)
    with pytest.raises(ValidationFailed, match=message):
        _review(org_a, initiative_id, decision, **kw)
    g = _state(org_a, initiative_id)
    assert g.reviews == [] and g.decisions == [] and g.stage == "pre_project"


def test_decisions_can_be_logged_on_their_own(org_a):
    initiative_id = _initiative(org_a)
    with tenant_session(org_a) as session:
        governance.log_decision(
            session=session,
            ctx=org_a,
            initiative_id=initiative_id,
            title="Use the managed identity provider",
            decided_on="2026-10-01",
            decided_by="Architecture board",
            rationale="Cheaper to run",
        )
        with pytest.raises(ValidationFailed):
            governance.log_decision(
                session=session, ctx=org_a, initiative_id=initiative_id, title="", decided_on=""
            )
    [row] = _state(org_a, initiative_id).decisions
    assert (row.title, row.decided_by, row.gate_review_id) == (
        "Use the managed identity provider",
        "Architecture board",
        None,
    )


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_read_but_do_not_decide(org_a, role):
    initiative_id = _initiative(org_a)
    person = factories.make_member(org_a, role)
    assert _state(person, initiative_id).stage == "pre_project"
    with pytest.raises(Forbidden):
        _review(person, initiative_id, "proceed")
    with tenant_session(person) as session, pytest.raises(Forbidden):
        governance.log_decision(
            session=session,
            ctx=person,
            initiative_id=initiative_id,
            title="x",
            decided_on="2026-01-01",
        )


def test_a_coach_records_gate_reviews(org_a):
    initiative_id = _initiative(org_a)
    coach = factories.make_member(org_a, Role.COACH)
    _review(coach, initiative_id, "proceed")
    assert _state(org_a, initiative_id).stage == "feasibility"


def test_other_organisation_cannot_read_or_review(org_a, org_b):
    initiative_id = _initiative(org_a)
    _review(org_a, initiative_id, "proceed")
    with pytest.raises(NotFound):
        _state(org_b, initiative_id)
    with pytest.raises(NotFound):
        _review(org_b, initiative_id, "stop")
    assert _state(org_a, initiative_id).status == "active"


def test_csv_of_lifecycles_and_of_one_initiatives_decisions(org_a, org_b):
    initiative_id = _initiative(org_a)
    _review(org_a, initiative_id, "proceed_with_conditions", conditions="=cmd()")
    with tenant_session(org_a) as session:
        overview = governance.export_governance_csv(session=session, ctx=org_a)
        log = governance.export_governance_csv(
            session=session, ctx=org_a, initiative_id=initiative_id
        )
    assert overview.splitlines()[1].startswith("Growth initiative 1,Growth,Feasibility,active")
    assert "Pre-project: Proceed with conditions" in log and "'=cmd()" in log
    assert "Pre-project gate: Proceed with conditions" in log
    with tenant_session(org_b) as session:
        assert len(governance.export_governance_csv(session=session, ctx=org_b).splitlines()) == 1
        with pytest.raises(NotFound):
            governance.export_governance_csv(
                session=session, ctx=org_b, initiative_id=initiative_id
            )


def test_a_viewer_cannot_record_a_gate_review(org_a):
    initiative_id = initiative_ids(org_a, make_portfolio(org_a, initiatives=1))[0]
    viewer = factories.make_member(org_a, Role.VIEWER)
    token = identity.start_session(user_id=viewer.user_id)
    path = f"/o/{org_a.org_slug}/dashboard/governance/{initiative_id}"

    async def scenario():
        state = await state_for(GovernanceState, token=token, path=path)
        await state.load()
        assert state.stage_label == "Pre-project"
        await state.record_review(
            {"decision": "Proceed", "decided_on": "2026-11-01", "approvers": "Me"}
        )
        assert "coach" in state.error

    run(scenario())
    with system_session() as session:
        assert session.exec(select(func.count()).select_from(GateReview)).one() == 0
