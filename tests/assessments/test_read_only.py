"""A read-only workspace (invoice overdue past the grace period): assessments read, nothing
writes, and a refused write leaves nothing behind, even when the caller goes on."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from pmo_saas.assessments.models import (
    AssessmentAnswer,
    AssessmentModel,
    AssessmentRound,
    AssessmentStatement,
)
from pmo_saas.assessments.schemas import DimensionInput
from pmo_saas.assessments.services import answering, catalog, results, rounds
from pmo_saas.billing.entitlements import READ_ONLY_MESSAGE
from pmo_saas.db import tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ReadOnly
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


def _count(ctx: TenantContext, model: type) -> int:
    with tenant_session(ctx) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_every_assessment_write_is_refused_with_the_billing_message(
    org_a: TenantContext, org_b: TenantContext, billing_on: None
) -> None:
    coach = helpers.person(org_a, Role.COACH)
    ann = helpers.person(org_a)
    alpha = factories.make_team(org_a, "Alpha", members=[ann])
    model_id = helpers.small_model(coach)
    closed = helpers.start(coach, model_id, [alpha], title="Winter")
    with tenant_session(coach) as session:
        rounds.close_round(session=session, ctx=coach, round_id=closed)
    round_id = helpers.start(coach, model_id, [alpha], title="Spring")
    part = helpers.participant_id(ann, round_id, alpha)
    dims = helpers.dimension_ids(coach, round_id)
    statements = helpers.statement_ids(coach, round_id)
    unused = helpers.small_model(coach, name="Not used by a round")
    factories.lapse_subscription(org_a)
    models_before = _count(org_a, AssessmentModel)
    statements_before = _count(org_a, AssessmentStatement)
    writes = [
        (
            coach,
            lambda s: catalog.create_model(
                session=s,
                ctx=coach,
                name="New",
                levels=helpers.LEVELS,
                dimensions=[DimensionInput(name="D", statements=["S"])],
            ),
        ),
        (coach, lambda s: catalog.copy_model(session=s, ctx=coach, model_id=model_id, name="C")),
        (coach, lambda s: catalog.archive_model(session=s, ctx=coach, model_id=model_id)),
        (  # a model no round used is edited in place (its old content deleted in bulk)
            coach,
            lambda s: catalog.update_model(
                session=s,
                ctx=coach,
                model_id=unused,
                name="Renamed",
                description="",
                levels=helpers.LEVELS,
                dimensions=[DimensionInput(name="D", statements=["S"])],
            ),
        ),
        (
            coach,
            lambda s: rounds.start_round(
                session=s, ctx=coach, model_id=model_id, team_ids=[alpha], title="Autumn"
            ),
        ),
        (
            coach,
            lambda s: rounds.set_round_notes(session=s, ctx=coach, round_id=round_id, notes="n"),
        ),
        (coach, lambda s: rounds.close_round(session=s, ctx=coach, round_id=round_id)),
        (
            ann,
            lambda s: answering.save_answers(
                session=s, ctx=ann, participant_id=part, values={statements["F1"]: 3}
            ),
        ),
        (
            coach,
            lambda s: results.mark_focus_dimension(
                session=s, ctx=coach, round_id=closed, team_id=alpha, dimension_id=dims["flow"]
            ),
        ),
    ]
    for who, write in writes:
        # The caller catches the refusal and leaves the block normally: nothing is committed.
        with tenant_session(who) as session, pytest.raises(ReadOnly) as refused:
            write(session)
        assert str(refused.value) == READ_ONLY_MESSAGE
    # A bulk statement never reaches the flush: refused all the same.
    with tenant_session(coach) as session, pytest.raises(ReadOnly):
        session.execute(delete(AssessmentStatement))
    assert _count(org_a, AssessmentModel) == models_before
    assert _count(org_a, AssessmentStatement) == statements_before
    assert _count(org_a, AssessmentAnswer) == 0
    with tenant_session(coach) as session:
        statuses = session.exec(select(AssessmentRound.status).order_by(AssessmentRound.id))
        assert statuses.all() == ["closed", "open"]
        # Reading goes on, and so does the round page's view of the results.
        assert [r.id for r in rounds.list_rounds(session=session, ctx=coach)] == [round_id, closed]
        results.team_result(session=session, ctx=coach, round_id=round_id, team_id=alpha)
    # The other organisation is not read-only: its writes go through.
    other = helpers.person(org_b, Role.COACH)
    helpers.small_model(other)


def test_the_catalogue_still_gets_its_built_in_models_when_read_only(
    org_a: TenantContext, billing_on: None
) -> None:
    coach = helpers.person(org_a, Role.COACH)
    factories.lapse_subscription(org_a)
    assert _count(org_a, AssessmentModel) == 0  # the first visit adds them
    with tenant_session(coach) as session:
        models = catalog.list_models(session=session, ctx=coach)
    assert models and all(m.builtin for m in models)
    with tenant_session(coach) as session, pytest.raises(ReadOnly):
        catalog.copy_model(session=session, ctx=coach, model_id=models[0].id, name="Mine")
    assert _count(org_a, AssessmentModel) == len(models)
