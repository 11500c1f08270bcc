"""Builders for coaching tests: people, a team, and assessment rounds answered through the
assessment services (the real write path), so plans start from real results."""

from __future__ import annotations

from dataclasses import dataclass

from pmo_saas.assessments.schemas import DimensionInput, LevelInput
from pmo_saas.assessments.services import answering as assessment_answering
from pmo_saas.assessments.services import catalog as assessment_catalog
from pmo_saas.assessments.services import results as assessment_results
from pmo_saas.assessments.services import rounds as assessment_rounds
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import Membership, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from tests import factories

LEVELS = [LevelInput(value=v, label=f"Level {v}") for v in range(1, 6)]


@dataclass
class World:
    owner: TenantContext
    coach: TenantContext
    alice: TenantContext  # member of team Alpha
    bob: TenantContext  # member of team Alpha
    carol: TenantContext  # member of team Beta
    viewer: TenantContext
    alpha: int
    beta: int


def person(ctx: TenantContext, role: Role, name: str) -> TenantContext:
    """Like factories.make_member, without hashing a password (an SSO-only account): fast."""
    with system_session() as session:
        user = User(email=factories.unique_email(role.value), name=name, password_hash="")
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Membership(org_id=ctx.org_id, user_id=user.id, role=role))
    return TenantContext(org_id=ctx.org_id, user_id=user.id, role=role, org_slug=ctx.org_slug)


def world(owner: TenantContext) -> World:
    coach = person(owner, Role.COACH, "Cora Coach")
    alice = person(owner, Role.MEMBER, "Alice")
    bob = person(owner, Role.MEMBER, "Bob")
    carol = person(owner, Role.MEMBER, "Carol")
    viewer = person(owner, Role.VIEWER, "Vera Viewer")
    alpha = factories.make_team(owner, "Alpha", members=[alice, bob])
    beta = factories.make_team(owner, "Beta", members=[carol])
    return World(owner, coach, alice, bob, carol, viewer, alpha, beta)


def model(ctx: TenantContext) -> int:
    """Three dimensions: Flow (F1, F2), Quality (Q1), Teamwork (T1)."""
    with tenant_session(ctx) as session:
        return assessment_catalog.create_model(
            session=session,
            ctx=ctx,
            name="Coaching test model",
            levels=LEVELS,
            dimensions=[
                DimensionInput(key="flow", name="Flow", statements=["F1", "F2"]),
                DimensionInput(key="quality", name="Quality", statements=["Q1"]),
                DimensionInput(key="teamwork", name="Teamwork", statements=["T1"]),
            ],
        )


def answered_round(
    coach: TenantContext,
    model_id: int,
    team_id: int,
    answers: dict[int, dict[str, int]],
    *,
    people: list[TenantContext],
    title: str,
    focus: tuple[str, ...] = (),
    close: bool = True,
) -> int:
    """Start a round for one team, let `people` answer (statement text -> value), close it
    and mark `focus` dimension keys. `answers` maps a person's user id to their ratings."""
    with tenant_session(coach) as session:
        round_id = assessment_rounds.start_round(
            session=session, ctx=coach, model_id=model_id, team_ids=[team_id], title=title
        )
    for person in people:
        with tenant_session(person) as session:
            mine = assessment_answering.my_assignments(session=session, ctx=person)
            participant = next(a for a in mine if a.round_id == round_id)
            summary = assessment_rounds.get_round(session=session, ctx=coach, round_id=round_id)
            detail = assessment_catalog.model_version(
                session=session, ctx=coach, version_id=summary.model_version_id
            )
            by_text = {s.text: s.id for d in detail.dimensions for s in d.statements}
            assert person.user_id is not None
            assessment_answering.save_answers(
                session=session,
                ctx=person,
                participant_id=participant.participant_id,
                values={by_text[t]: v for t, v in answers[person.user_id].items()},
                submit=True,
            )
    if not close:
        return round_id
    with tenant_session(coach) as session:
        assessment_rounds.close_round(session=session, ctx=coach, round_id=round_id)
        scores = assessment_results.team_dimension_scores(
            session=session, ctx=coach, round_id=round_id, team_id=team_id
        )
        for score in scores:
            if score.dimension_key in focus:
                assessment_results.mark_focus_dimension(
                    session=session,
                    ctx=coach,
                    round_id=round_id,
                    team_id=team_id,
                    dimension_id=score.dimension_id,
                )
    return round_id
