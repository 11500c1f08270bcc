"""Builders for assessment tests: a small two-dimension model and rounds answered through
the services, so every test exercises the real write path."""

from __future__ import annotations

import secrets

from sqlmodel import select

from pmo_saas.assessments.schemas import DimensionInput, LevelInput
from pmo_saas.assessments.services import answering, catalog, rounds
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import Membership, User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role

LEVELS = [LevelInput(value=v, label=f"Level {v}", description=f"Means {v}") for v in range(1, 6)]


def person(ctx: TenantContext, role: Role = Role.MEMBER) -> TenantContext:
    """A person in ctx's organisation. Like factories.make_member, but without a password:
    these tests never sign in, and hashing one costs half a second on a busy machine."""
    with system_session() as session:
        user = User(email=f"{role.value}-{secrets.token_hex(4)}@example.com", name=role.value)
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Membership(org_id=ctx.org_id, user_id=user.id, role=role))
    return TenantContext(org_id=ctx.org_id, user_id=user.id, role=role, org_slug=ctx.org_slug)


def small_model(ctx: TenantContext, name: str = "Small model") -> int:
    """Two dimensions: Flow (statements F1, F2) and Quality (Q1)."""
    with tenant_session(ctx) as session:
        return catalog.create_model(
            session=session,
            ctx=ctx,
            name=name,
            levels=LEVELS,
            dimensions=[
                DimensionInput(key="flow", name="Flow", statements=["F1", "F2"]),
                DimensionInput(key="quality", name="Quality", statements=["Q1"]),
            ],
        )


def statement_ids(ctx: TenantContext, round_id: int) -> dict[str, int]:
    """Statement text -> id in the version the round uses."""
    with tenant_session(ctx) as session:
        summary = rounds.get_round(session=session, ctx=ctx, round_id=round_id)
        detail = catalog.model_version(
            session=session, ctx=ctx, version_id=summary.model_version_id
        )
    return {s.text: s.id for d in detail.dimensions for s in d.statements}


def dimension_ids(ctx: TenantContext, round_id: int) -> dict[str, int]:
    with tenant_session(ctx) as session:
        summary = rounds.get_round(session=session, ctx=ctx, round_id=round_id)
        detail = catalog.model_version(
            session=session, ctx=ctx, version_id=summary.model_version_id
        )
    return {d.key: d.id for d in detail.dimensions}


def start(ctx: TenantContext, model_id: int, team_ids: list[int], title: str = "Round") -> int:
    with tenant_session(ctx) as session:
        return rounds.start_round(
            session=session, ctx=ctx, model_id=model_id, team_ids=team_ids, title=title
        )


def participant_id(person: TenantContext, round_id: int, team_id: int) -> int:
    with tenant_session(person) as session:
        mine = answering.my_assignments(session=session, ctx=person)
    return next(a.participant_id for a in mine if a.round_id == round_id and a.team_id == team_id)


def answer(
    person: TenantContext,
    round_id: int,
    team_id: int,
    values: dict[str, int | None],
    *,
    submit: bool = True,
    comments: dict[int, str] | None = None,
) -> None:
    """`values` maps statement text -> rating."""
    pid = participant_id(person, round_id, team_id)
    with tenant_session(person) as session:
        summary = rounds.get_round(session=session, ctx=person, round_id=round_id)
        detail = catalog.model_version(
            session=session, ctx=person, version_id=summary.model_version_id
        )
        by_text = {s.text: s.id for d in detail.dimensions for s in d.statements}
        answering.save_answers(
            session=session,
            ctx=person,
            participant_id=pid,
            values={by_text[text]: value for text, value in values.items()},
            comments=comments,
            submit=submit,
        )


def close(ctx: TenantContext, round_id: int) -> None:
    with tenant_session(ctx) as session:
        rounds.close_round(session=session, ctx=ctx, round_id=round_id)


def answered_round(
    ctx: TenantContext, answers: dict[int, list[tuple[int, int, int]]], title: str = "Q1"
) -> int:
    """A closed round of `small_model`: each team's people answer (F1, F2, Q1) triples.
    Teams get their people first, then the round opens, then everyone answers and it closes."""
    people = {}
    for team, triples in answers.items():
        people[team] = [person(ctx) for _ in triples]
        with tenant_session(ctx) as session:
            for who in people[team]:
                mid = session.exec(
                    select(Membership.id).where(Membership.user_id == who.user_id)
                ).one()
                identity.add_team_member(session=session, ctx=ctx, team_id=team, membership_id=mid)
    model = small_model(ctx, name=f"Model {title}")
    rid = start(ctx, model, list(answers), title=title)
    for team, triples in answers.items():
        for who, (f1, f2, q1) in zip(people[team], triples, strict=True):
            answer(who, rid, team, {"F1": f1, "F2": f2, "Q1": q1})
    close(ctx, rid)
    return rid
