"""The maturity tile reads the answer totals close_round writes: it must show exactly what it
showed when it averaged every raw answer, at each step of an organisation's life."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import event, func
from sqlmodel import Session, col, select

from pmo_saas.assessments.models import (
    KIND_MATURITY,
    ROUND_CLOSED,
    AssessmentAnswer,
    AssessmentDimension,
    AssessmentModel,
    AssessmentModelVersion,
    AssessmentRound,
    RoundDimensionTotal,
    RoundParticipant,
)
from pmo_saas.assessments.schemas import DimensionInput
from pmo_saas.assessments.services import answering, catalog
from pmo_saas.dashboard import tiles
from pmo_saas.dashboard.schemas import MaturityTile
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import User
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict
from pmo_saas.seed import DEMO_OWNER, DEMO_SLUG, seed_demo
from tests import factories
from tests.assessments import helpers


def tile_from_answers(session: Session, ctx: TenantContext) -> MaturityTile:
    """The tile as it was computed before the totals: every raw answer averaged per round
    and dimension (the former maturity_tile's query, kept here as the reference)."""
    round_means = (
        select(
            AssessmentAnswer.round_id,
            AssessmentAnswer.dimension_id,
            func.avg(AssessmentAnswer.value).label("mean"),
        )
        .group_by(col(AssessmentAnswer.round_id), col(AssessmentAnswer.dimension_id))
        .subquery()
    )
    submitted = (
        select(RoundParticipant.round_id, func.count().label("people"))
        .where(col(RoundParticipant.submitted_at).is_not(None))
        .group_by(col(RoundParticipant.round_id))
        .subquery()
    )
    rows = session.exec(
        select(  # type: ignore[call-overload]
            AssessmentModel.id,
            AssessmentModel.name,
            AssessmentRound.id,
            AssessmentRound.title,
            AssessmentRound.closed_at,
            AssessmentDimension.key,
            AssessmentDimension.name,
            round_means.c.mean,
            func.coalesce(submitted.c.people, 0),
        )
        .select_from(round_means)
        .join(AssessmentRound, col(AssessmentRound.id) == round_means.c.round_id)
        .join(AssessmentDimension, col(AssessmentDimension.id) == round_means.c.dimension_id)
        .join(
            AssessmentModelVersion,
            col(AssessmentModelVersion.id) == AssessmentRound.model_version_id,
        )
        .join(AssessmentModel, col(AssessmentModel.id) == AssessmentModelVersion.model_id)
        .outerjoin(submitted, submitted.c.round_id == AssessmentRound.id)
        .where(AssessmentRound.status == ROUND_CLOSED, AssessmentModel.kind == KIND_MATURITY)
    ).all()
    return tiles.maturity_trend(rows)


def assert_tile_as_from_answers(ctx: TenantContext) -> MaturityTile:
    with tenant_session(ctx) as session:
        tile = tiles.maturity_tile(session, ctx)
        assert tile == tile_from_answers(session, ctx)
        # And the totals are those of the closed rounds' answers, row for row.
        raw = session.exec(
            select(
                AssessmentAnswer.round_id,
                AssessmentAnswer.team_id,
                AssessmentAnswer.dimension_id,
                func.count(),
                func.sum(AssessmentAnswer.value),
            )
            .join(AssessmentRound, col(AssessmentRound.id) == AssessmentAnswer.round_id)
            .where(AssessmentRound.status == ROUND_CLOSED)
            .group_by(
                col(AssessmentAnswer.round_id),
                col(AssessmentAnswer.team_id),
                col(AssessmentAnswer.dimension_id),
            )
        ).all()
        written = session.exec(
            select(
                RoundDimensionTotal.round_id,
                RoundDimensionTotal.team_id,
                RoundDimensionTotal.dimension_id,
                RoundDimensionTotal.answers,
                RoundDimensionTotal.total,
            )
        ).all()
    assert sorted(map(tuple, written)) == sorted(map(tuple, raw))
    return tile


@pytest.fixture
def demo() -> TenantContext:
    seed_demo()
    with system_session() as session:
        owner = session.exec(select(User.id).where(User.email == DEMO_OWNER)).one()
    return identity.workspace_context(user_id=owner, slug=DEMO_SLUG)


def test_the_tile_shows_what_the_raw_answers_give_as_rounds_close_and_teams_go(demo, org_b):
    rng = random.Random(16)
    # The demo's two closed rounds (written closed by the seed) and nothing of org B's.
    demo_tile = assert_tile_as_from_answers(demo)
    assert len(demo_tile.points) == 2
    teams = {
        factories.make_team(demo, f"Squad {n}", members=people): people
        for n, people in enumerate([helpers.person(demo) for _ in range(k)] for k in (7, 5, 4, 3))
    }
    their_people = [helpers.person(org_b) for _ in range(3)]
    other = factories.make_team(org_b, "Theirs", members=their_people)
    model_id = helpers.small_model(demo, name="Squad maturity")
    theirs = helpers.small_model(org_b, name="Squad maturity")

    statements = ["F1", "F2", "Q1"]

    def answer_round(title: str, *, submitting: int, close: bool = True) -> int:
        """Everyone rates at random, some statements skipped; `submitting` per team submit."""
        round_id = helpers.start(demo, model_id, list(teams), title=title)
        for team_id, people in teams.items():
            for n, who in enumerate(people):
                values = {s: rng.choice([1, 2, 3, 4, 5, 5, None]) for s in statements}
                values["F1"] = values["F1"] or 3  # at least one rating
                helpers.answer(who, round_id, team_id, values, submit=n < submitting)
        if close:
            helpers.close(demo, round_id)
        return round_id

    answer_round("Squads Q1", submitting=3)
    first = assert_tile_as_from_answers(demo)
    assert first.model == "Squad maturity" and len(first.points) == 1
    # Too few submitted: hidden, although its answers are there.
    squad = next(iter(teams))
    few = helpers.start(demo, model_id, [squad], title="Squads small")
    for who in teams[squad][:2]:
        helpers.answer(who, few, squad, {"F1": 5, "F2": 5, "Q1": 5})
    helpers.close(demo, few)
    assert assert_tile_as_from_answers(demo).points == first.points
    # A new version: Flow renamed and a dimension added; the rounds keep their own names.
    with tenant_session(demo) as session:
        catalog.update_model(
            session=session,
            ctx=demo,
            model_id=model_id,
            name="Squad maturity",
            levels=helpers.LEVELS,
            dimensions=[
                DimensionInput(key="flow", name="Flow of work", statements=["F1", "F2"]),
                DimensionInput(key="quality", name="Quality", statements=["Q1"]),
                DimensionInput(key="safety", name="Safety", statements=["S1"]),
            ],
        )
    statements.append("S1")
    answer_round("Squads Q2", submitting=4)
    answer_round("Squads Q3", submitting=2)
    answer_round("Squads Q4 (running)", submitting=5, close=False)
    # Organisation B's closed round counts for B alone.
    b_round = helpers.start(org_b, theirs, [other], title="Theirs Q1")
    for who in their_people:
        helpers.answer(who, b_round, other, {"F1": 1, "F2": 1, "Q1": 1})
    helpers.close(org_b, b_round)
    before = assert_tile_as_from_answers(demo)
    assert [p.label for p in before.points] == ["Squads Q1", "Squads Q2", "Squads Q3"]
    assert "Safety" in before.dimensions and "Flow of work" in before.points[-1].values
    assert assert_tile_as_from_answers(org_b).points[0].values == {"Flow": 1.0, "Quality": 1.0}
    # A team deleted after its rounds closed takes its answers and its totals with it.
    with tenant_session(demo) as session:
        identity.delete_team(session=session, ctx=demo, team_id=squad)
    after = assert_tile_as_from_answers(demo)
    assert after != before


def test_answers_saved_while_the_round_closes_are_refused_not_left_out_of_the_totals(org_a):
    people = [helpers.person(org_a) for _ in range(3)]
    team = factories.make_team(org_a, "Alpha", members=people)
    round_id = helpers.start(org_a, helpers.small_model(org_a), [team])
    for who in people[:2]:
        helpers.answer(who, round_id, team, {"F1": 2, "F2": 3, "Q1": 4})
    late = people[2]
    pid = helpers.participant_id(late, round_id, team)
    ids = helpers.statement_ids(org_a, round_id)
    reads: list[str] = []

    # At the cursor: a save's statements are Core statements on the session's connection.
    def close_after_the_questionnaire_is_read(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        reads.append(statement)
        if len(reads) == 2:  # the round was read open; nothing written yet
            helpers.close(org_a, round_id)

    with pytest.raises(Conflict), tenant_session(late) as session:
        event.listen(
            session.connection(), "before_cursor_execute", close_after_the_questionnaire_is_read
        )
        answering.save_answers(
            session=session, ctx=late, participant_id=pid, values={ids["F1"]: 5}, submit=True
        )
    assert len(reads) > 2
    assert_tile_as_from_answers(org_a)
