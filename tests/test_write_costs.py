"""What the main write events cost in SQL statements, and the one version bump per transaction.

The counts are written here, as the page loads' are in test_query_counts.py: a score saved
and an assessment answer saved are the writes people make most often, so a look-up added to
them (the acting user read again for the audit log, a model version's statements read again,
a second version bump) fails here. The session look-up each event makes is not counted: it
carries what the writes need (the organisation's version, the actor's e-mail).
"""

from __future__ import annotations

from sqlmodel import select

from pmo_saas.assessments.models import AssessmentModel, RoundParticipant
from pmo_saas.assessments.pages.answer import _questionnaire
from pmo_saas.assessments.services import answering
from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, Organization, Team, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import DomainError
from pmo_saas.portfolio import views
from pmo_saas.portfolio.models import Initiative
from tests.portfolio.builders import make_initiative, make_portfolio
from tests.test_query_counts import counted, demo_owner

BUMP = "UPDATE organization SET data_version"


def _as_an_event_sees_it(ctx: TenantContext) -> TenantContext:
    """The caller's context as a websocket event builds it: from the session look-up."""
    token = identity.start_session(user_id=ctx.user_id or 0)
    user, found = identity.resolve_workspace_session(token=token, slug=ctx.org_slug)
    assert user is not None and found is not None
    return found


def _version(org_id: int) -> int:
    with system_session() as session:
        org = session.get(Organization, org_id)
        assert org is not None
        return org.data_version


def test_a_transaction_bumps_its_organisation_once_however_many_flushes(org_a, org_b):
    pid = make_portfolio(org_a)
    before, other = _version(org_a.org_id), _version(org_b.org_id)
    with counted() as statements, tenant_session(org_a) as session:
        for title in ("One", "Two", "Three"):
            session.add(Initiative(portfolio_id=pid, title=title))
            session.flush()  # each flush opens (and ends) a subtransaction of its own
    assert sum(s.startswith(BUMP) for s in statements) == 1, statements
    assert _version(org_a.org_id) == before + 1 and _version(org_b.org_id) == other


def test_a_rolled_back_savepoint_does_not_swallow_the_next_bump(org_a):
    pid = make_portfolio(org_a)
    before = _version(org_a.org_id)
    with tenant_session(org_a) as session:
        savepoint = session.begin_nested()
        session.add(Initiative(portfolio_id=pid, title="Undone"))
        session.flush()  # bumps inside the savepoint...
        savepoint.rollback()  # ...and the rollback undoes that bump with the row
        session.add(Initiative(portfolio_id=pid, title="Kept"))
    assert _version(org_a.org_id) == before + 1  # the kept write bumped again


def test_a_score_saved_costs_four_statements_and_names_the_actor(org_a):
    pid = make_portfolio(org_a)
    initiative_id = make_initiative(org_a, pid, "Scored")
    ctx = _as_an_event_sees_it(org_a)
    assert ctx.user_email  # the look-up carries the actor's e-mail for the audit log
    with counted() as statements, tenant_session(ctx) as session:
        saved = views.save_initiative(
            session=session,
            ctx=ctx,
            initiative_id=initiative_id,
            data={},
            scores={"business_value": "8"},
        )
    assert saved == {"business_value": "8"}
    # the initiative, the version bump, the score upserted (no read of it first), the audit
    # event: the acting user is not read again
    assert len(statements) == 4, statements
    assert not any('FROM "user"' in s or "FROM user " in s for s in statements), statements
    with system_session() as session:
        email = session.exec(select(User.email).where(User.id == org_a.user_id)).one()
        event = session.exec(
            select(AuditEvent)
            .where(AuditEvent.org_id == org_a.org_id, AuditEvent.action == "initiative.scored")
            .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        ).first()
    assert event is not None and event.actor_email == email and event.actor_id == org_a.user_id


def test_a_context_without_the_e_mail_still_names_the_actor(org_a):
    pid = make_portfolio(org_a)
    initiative_id = make_initiative(org_a, pid, "Scored by a job")
    assert not org_a.user_email  # built without the session look-up (a job, the REST API)
    with tenant_session(org_a) as session:
        views.save_initiative(
            session=session,
            ctx=org_a,
            initiative_id=initiative_id,
            data={},
            scores={"job_size": "3"},
        )
    with system_session() as session:
        email = session.exec(select(User.email).where(User.id == org_a.user_id)).one()
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.org_id == org_a.org_id, AuditEvent.target == "Scored by a job"
            )
        ).first()
    assert event is not None and event.actor_email == email


def _demo_participant() -> tuple[TenantContext, int, int]:
    """A participant's context (as an event builds it), their questionnaire and a statement."""
    owner = demo_owner()
    with tenant_session(owner) as session:
        model = session.exec(select(AssessmentModel).order_by(AssessmentModel.id)).first()  # type: ignore[arg-type]
        team = session.exec(select(Team).where(Team.name == "Checkout")).first()
        assert model is not None and model.id is not None and team is not None
        round_id = assessment_rounds.start_round(
            session=session, ctx=owner, model_id=model.id, team_ids=[team.id or 0], title="Costs"
        )
        part = session.exec(
            select(RoundParticipant)
            .where(RoundParticipant.round_id == round_id)
            .order_by(RoundParticipant.id)  # type: ignore[arg-type]
        ).first()
        assert part is not None and part.id is not None
        participant_id, user_id = part.id, part.user_id
    token = identity.start_session(user_id=user_id)
    _user, ctx = identity.resolve_workspace_session(token=token, slug=owner.org_slug)
    assert ctx is not None
    with tenant_session(ctx) as session:
        _mine, detail, _answers = _questionnaire(
            session=session, ctx=ctx, participant_id=participant_id
        )
    return ctx, participant_id, detail.dimensions[0].statements[0].id


def test_an_assessment_answer_saved_costs_five_statements():
    ctx, participant_id, statement_id = _demo_participant()

    def save(value: int | None, *, other: int | None = None) -> list[str]:
        values: dict[int, int | None] = {statement_id: value}
        if other is not None:
            values[other] = 1
        with counted() as statements, tenant_session(ctx) as session:
            answering.save_answers(
                session=session, ctx=ctx, participant_id=participant_id, values=values
            )
        return statements

    save(3)  # the first save of the round's locked version reads its statements and scale
    statements = save(4)
    # the questionnaire (participant, round, version, team), the version bump, the answer
    # written (an upsert: the answers kept are not read first), the participant's times, the
    # round still open with the answers counted: not the version's statements nor its scale
    assert len(statements) == 5, statements
    assert not any("assessmentlevel" in s for s in statements), statements
    # and the kept statements still refuse what is not on the questionnaire or the scale
    refused = []
    for attempt in (lambda: save(99), lambda: save(4, other=10**6)):
        try:
            attempt()
        except DomainError as error:
            refused.append(str(error))
    assert refused == [
        "Choose a rating from 1 to 5.",
        "That statement is not part of this questionnaire.",
    ]
