"""The assessment pages' states enforce roles and tenancy on the server, whatever the page shows.

Each handler is called as the websocket would call it (tests/state_harness.py): a state tree
whose router carries the session cookie and the page URL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.assessments.models import AssessmentAnswer, AssessmentRound
from pmo_saas.assessments.pages.answer import AnswerState
from pmo_saas.assessments.pages.editor import ModelEditorState
from pmo_saas.assessments.pages.overview import AssessmentsState
from pmo_saas.assessments.pages.round_page import RoundState
from pmo_saas.db import system_session
from pmo_saas.identity import services as identity
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers
from tests.state_harness import run, state_for


def _count(model) -> int:  # type: ignore[no-untyped-def]
    with system_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _token(person) -> str:  # type: ignore[no-untyped-def]
    return identity.start_session(user_id=person.user_id)


@pytest.fixture
def world(org_a):
    """Org A: a coach, two members in team Alpha, a round of the small model, one answer."""
    coach = helpers.person(org_a, Role.COACH)
    ann, bob = helpers.person(org_a), helpers.person(org_a)
    alpha = factories.make_team(org_a, "Alpha", members=[ann, bob])
    model_id = helpers.small_model(org_a)
    round_id = helpers.start(org_a, model_id, [alpha], title="Spring")
    helpers.answer(ann, round_id, alpha, {"F1": 4, "F2": 2, "Q1": 5}, comments=None)
    return {
        "org": org_a,
        "coach": coach,
        "ann": ann,
        "bob": bob,
        "alpha": alpha,
        "model_id": model_id,
        "round_id": round_id,
        "ann_part": helpers.participant_id(ann, round_id, alpha),
        "bob_part": helpers.participant_id(bob, round_id, alpha),
    }


def test_member_cannot_start_rounds_or_open_the_coach_pages(world):
    org, bob = world["org"], world["bob"]
    token = _token(bob)

    async def scenario():
        base = f"/o/{org.org_slug}/assessments"
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        assert overview.error == ""
        assert overview.models == [] and overview.rounds == [] and overview.teams == []
        assert [a.participant_id for a in overview.assignments] == [world["bob_part"]]

        overview.chosen_model_id = str(world["model_id"])
        overview.chosen_team_ids = [world["alpha"]]
        assert await overview.start_round({"title": "Rogue round"}) is None
        assert "coach" in overview.error
        await overview.copy_model(world["model_id"])
        assert "coach" in overview.error
        await overview.new_model()
        assert "coach" in overview.error

        rnd = await state_for(RoundState, token=token, path=f"{base}/rounds/{world['round_id']}")
        await rnd.load()
        assert "coach" in rnd.error
        assert rnd.results == [] and rnd.progress == [] and rnd.heat.rows == []
        assert await rnd.export_csv() is None
        await rnd.close_round()
        assert "coach" in rnd.error
        await rnd.save_notes({"notes": "I was here"})
        assert "coach" in rnd.error

        editor = await state_for(
            ModelEditorState, token=token, path=f"{base}/models/{world['model_id']}"
        )
        await editor.load()
        assert "coach" in editor.error and editor.dimensions == []

    run(scenario())
    assert _count(AssessmentRound) == 1
    with system_session() as session:
        rnd = session.get(AssessmentRound, world["round_id"])
        assert rnd.status == "open" and rnd.notes == ""


def test_member_sees_only_their_own_answers(world):
    org = world["org"]
    base = f"/o/{org.org_slug}/assessments/answer"

    async def scenario():
        # Bob asks for Ann's questionnaire: the same "not found" as a missing one.
        bob = await state_for(
            AnswerState, token=_token(world["bob"]), path=f"{base}/{world['ann_part']}"
        )
        await bob.load()
        assert bob.error == "That questionnaire was not found."
        assert bob.dimensions == [] and bob.answered == 0 and bob._values == {}
        bob.choose(1, 1)
        await bob.save_for_later()
        assert "not found" in bob.error

        # Ann sees her own three answers.
        ann = await state_for(
            AnswerState, token=_token(world["ann"]), path=f"{base}/{world['ann_part']}"
        )
        await ann.load()
        assert ann.error == "" and (ann.answered, ann.total) == (3, 3)
        chosen = {
            s.text: next(o.value for o in s.options if o.checked)
            for d in ann.dimensions
            for s in d.statements
        }
        assert chosen == {"F1": 4, "F2": 2, "Q1": 5}

        # Bob's own (empty) questionnaire: save halfway, then submit later.
        mine = await state_for(
            AnswerState, token=_token(world["bob"]), path=f"{base}/{world['bob_part']}"
        )
        await mine.load()
        assert (mine.answered, mine.total) == (0, 3)
        f1 = mine.dimensions[0].statements[0]
        mine.choose(f1.id, 3)
        await mine.save_for_later()
        assert mine.notice.startswith("Saved. 1 of 3 statements answered")
        again = await state_for(
            AnswerState, token=_token(world["bob"]), path=f"{base}/{world['bob_part']}"
        )
        await again.load()
        assert again.answered == 1 and not again.submitted

    run(scenario())
    with system_session() as session:
        ann_values = session.exec(
            select(AssessmentAnswer.value).where(
                AssessmentAnswer.participant_id == world["ann_part"]
            )
        ).all()
    assert sorted(ann_values) == [2, 4, 5]  # Bob's attempt changed nothing of Ann's


def test_another_organisation_sees_nothing(world, org_b):
    org = world["org"]
    outsider = _token(org_b)
    own = f"/o/{org_b.org_slug}/assessments"
    theirs = f"/o/{org.org_slug}/assessments"

    async def scenario():
        # Through its own workspace, org B's owner finds none of A's rows.
        rnd = await state_for(RoundState, token=outsider, path=f"{own}/rounds/{world['round_id']}")
        await rnd.load()
        assert rnd.error == "That assessment round was not found."
        assert rnd.results == [] and rnd.heat.rows == []
        await rnd.close_round()
        assert "not found" in rnd.error
        answer = await state_for(
            AnswerState, token=outsider, path=f"{own}/answer/{world['ann_part']}"
        )
        await answer.load()
        assert "not found" in answer.error and answer.dimensions == []
        editor = await state_for(
            ModelEditorState, token=outsider, path=f"{own}/models/{world['model_id']}"
        )
        await editor.load()
        assert "not found" in editor.error and editor.dimensions == []
        overview = await state_for(AssessmentsState, token=outsider, path=own)
        await overview.load()
        assert overview.rounds == [] and overview.assignments == []
        assert world["model_id"] not in [m.id for m in overview.models]
        overview.chosen_model_id = str(world["model_id"])
        overview.chosen_team_ids = [world["alpha"]]
        await overview.start_round({"title": "Cross-org"})
        assert "not found" in overview.error

        # Through A's URL, B's owner is not a member: refused the same way.
        rnd = await state_for(
            RoundState, token=outsider, path=f"{theirs}/rounds/{world['round_id']}"
        )
        await rnd.load()
        assert "not found" in rnd.error and rnd.results == []

    run(scenario())
    assert _count(AssessmentRound) == 1


def test_coach_runs_a_round_through_the_states(world):
    org, coach = world["org"], world["coach"]
    token = _token(coach)
    base = f"/o/{org.org_slug}/assessments"
    beta = factories.make_team(org, "Beta", members=[helpers.person(org)])

    async def scenario():
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        assert overview.error == ""
        assert {"Alpha", "Beta"} <= {t.name for t in overview.teams}
        assert "Spring" in [r.title for r in overview.rounds]
        overview.chosen_model_id = str(world["model_id"])
        overview.choose_team(world["alpha"], True)
        overview.choose_team(beta, True)
        overview.choose_team(beta, False)
        overview.choose_team(beta, True)
        assert sorted(overview.chosen_team_ids) == sorted([world["alpha"], beta])
        assert await overview.start_round({"title": "Summer"}) is not None

        spring = await state_for(RoundState, token=token, path=f"{base}/rounds/{world['round_id']}")
        await spring.load()
        assert [(p.team_name, p.invited, p.started, p.submitted) for p in spring.progress] == [
            ("Alpha", 2, 1, 1)
        ]
        await spring.save_notes({"notes": "Good energy"})
        assert spring.notes == "Good energy"
        await spring.close_round()
        assert spring.status == "closed" and spring.error == ""
        alpha = spring.results[0]
        flow = alpha.rows[0]
        assert (flow.name, flow.mean, flow.median, flow.minimum) == (
            "Flow",
            "3.00",
            "3.00",
            "hidden",
        )
        assert [[c.text for c in r.cells] for r in spring.heat.rows] == [["3.00", "5.00"]]
        await spring.toggle_focus(alpha.team_id, flow.dimension_id, False)
        assert spring.results[0].rows[0].is_focus
        await spring.toggle_focus(alpha.team_id, flow.dimension_id, True)
        assert not spring.results[0].rows[0].is_focus
        download = await spring.export_csv()
        assert download is not None and spring.error == ""

    run(scenario())
    with system_session() as session:
        titles = session.exec(select(AssessmentRound.title)).all()
    assert sorted(titles) == ["Spring", "Summer"]
