"""The assessment pages' states enforce roles and tenancy on the server, whatever the page shows.

Each handler is called as the websocket would call it (tests/state_harness.py): a state tree
whose router carries the session cookie and the page URL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from pmo_saas.assessments.demo import seed_demo_assessments
from pmo_saas.assessments.models import AssessmentAnswer, AssessmentRound
from pmo_saas.assessments.pages.answer import AnswerState
from pmo_saas.assessments.pages.editor import ModelEditorState
from pmo_saas.assessments.pages.overview import AssessmentsState
from pmo_saas.assessments.pages.round_page import RoundState
from pmo_saas.assessments.services import catalog
from pmo_saas.db import system_session, tenant_session
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

        # Ratings outside the questionnaire or its scale are ignored in the page.
        own = await state_for(
            AnswerState, token=_token(world["ann"]), path=f"{base}/{world['ann_part']}"
        )
        await own.load()
        f1 = own.dimensions[0].statements[0].id
        own.choose(f1, 9)
        own.choose(999_999, 3)
        assert own._values[f1] == 4 and 999_999 not in own._values

        # Ann sees her own three answers.
        ann = await state_for(
            AnswerState, token=_token(world["ann"]), path=f"{base}/{world['ann_part']}"
        )
        await ann.load()
        assert ann.error == "" and (ann.answered, ann.total) == (3, 3)
        chosen = {s.text: ann.chosen[str(s.id)] for d in ann.dimensions for s in d.statements}
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
        overview.mark_busy("start")
        assert await overview.start_round({"title": "Summer"}) is not None
        assert overview.busy == ""

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


def test_health_check_answers_with_trends_and_heat_map_ranking_on_request(org_a):
    coach = helpers.person(org_a, Role.COACH)
    zeta_people = [helpers.person(org_a) for _ in range(3)]
    able_person = helpers.person(org_a)
    zeta = factories.make_team(org_a, "Zeta", members=zeta_people)
    able = factories.make_team(org_a, "Able", members=[able_person])
    base = f"/o/{org_a.org_slug}/assessments"

    async def answer(person, rating: int, trend: str) -> None:  # type: ignore[no-untyped-def]
        token = _token(person)
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        (mine,) = overview.assignments
        state = await state_for(
            AnswerState, token=token, path=f"{base}/answer/{mine.participant_id}"
        )
        await state.load()
        assert state.asks_trend and state.total == 11
        assert [o.label for o in state.dimensions[0].statements[0].options] == [
            "Red",
            "Amber",
            "Green",
        ]
        for dim in state.dimensions:
            state.choose(dim.statements[0].id, rating)
        state.set_trend(state.dimensions[0].id, trend)
        state.set_comment(state.dimensions[0].id, "We ship weekly")
        await state.submit()
        assert state.error == "" and state.submitted and state.answered == 11

    async def scenario():
        token = _token(coach)
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        health = next(m for m in overview.models if m.name == "Team health check")
        assert health.builtin and health.kind == "health_check"
        overview.choose_model(str(health.id))
        overview.choose_team(zeta, True)
        overview.choose_team(able, True)
        await overview.start_round({"title": "Pulse"})
        assert overview.error == ""
        for person in zeta_people:
            await answer(person, 3, "1")
        await answer(able_person, 1, "-1")

        await overview.load()
        (pulse,) = overview.rounds
        assert pulse.progress == "Able: 1 of 1 submitted · Zeta: 3 of 3 submitted"
        rnd = await state_for(RoundState, token=token, path=f"{base}/rounds/{pulse.id}")
        await rnd.load()
        by_team = {r.team_name: r for r in rnd.results}
        value = by_team["Zeta"].rows[0]
        assert (value.name, value.mean, value.colour, value.trend) == (
            "Delivering value",
            "3.00",
            "green",
            "improving",
        )
        assert value.comments == ["We ship weekly"] * 3
        low = by_team["Able"].rows[0]
        assert (low.colour, low.trend, low.comments, low.minimum) == (
            "red",
            "worsening",
            [],
            "hidden",
        )
        assert by_team["Zeta"].scale_max == 3

        # Alphabetical by default (no ranking); ranked only when the coach asks.
        assert [r.team_name for r in rnd.heat.rows] == ["Able", "Zeta"]
        await rnd.order_heat_map("Delivering value")
        assert [r.team_name for r in rnd.heat.rows] == ["Zeta", "Able"]
        assert rnd.heat.rows[0].cells[0].background == "hsl(205, 75%, 84%)"  # top of the scale
        await rnd.order_heat_map("")
        assert [r.team_name for r in rnd.heat.rows] == ["Able", "Zeta"]

    run(scenario())


def test_editor_saves_a_used_model_as_a_new_version(world):
    org, coach = world["org"], world["coach"]
    token = _token(coach)
    base = f"/o/{org.org_slug}/assessments"

    async def scenario():
        editor = await state_for(
            ModelEditorState, token=token, path=f"{base}/models/{world['model_id']}"
        )
        await editor.load()
        assert (editor.version_number, editor.locked, editor.builtin) == (1, True, False)
        assert [d.statements for d in editor.dimensions] == ["F1\nF2", "Q1"]
        editor.set_dimension(0, "statements", "F1\nF2 reworded\n\nF3")
        editor.add_level()
        editor.set_level(5, "label", "Leading")
        editor.add_dimension()
        editor.set_dimension(2, "name", "Learning")
        editor.set_dimension(2, "statements", "L1")
        await editor.save()
        assert editor.error == ""
        assert editor.notice == "Saved as version 2. Rounds that used version 1 keep it."
        assert [lv.label for lv in editor.levels][-1] == "Leading"
        assert [d.name for d in editor.dimensions] == ["Flow", "Quality", "Learning"]
        assert [d.key for d in editor.dimensions][:2] == ["flow", "quality"]

        # Not used yet: saving again stays on version 2.
        editor.remove_last_level()
        editor.remove_dimension(7)  # a stale index (the dialog of a dimension already gone)
        assert editor.error == "That dimension is no longer in the model."
        assert len(editor.dimensions) == 3
        editor.remove_dimension(2)  # confirmed in its dialog
        assert editor.error == ""
        assert editor.notice == "“Learning” removed (not saved yet)."
        await editor.save()
        assert editor.notice == "Saved (version 2)."
        assert len(editor.levels) == 5 and len(editor.dimensions) == 2

        # An empty dimension name is refused with a message, nothing saved.
        editor.set_dimension(0, "name", "  ")
        await editor.save()
        assert "dimension name" in editor.error

        # The round answered with version 1 still shows version 1's results.
        rnd = await state_for(RoundState, token=token, path=f"{base}/rounds/{world['round_id']}")
        await rnd.load()
        assert rnd.model_label == "Small model, version 1"
        assert [r.name for r in rnd.results[0].rows] == ["Flow", "Quality"]

    run(scenario())


def test_builtin_model_is_read_only_in_the_editor(world):
    org, coach = world["org"], world["coach"]
    token = _token(coach)
    base = f"/o/{org.org_slug}/assessments"

    async def scenario():
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        maturity = next(m for m in overview.models if m.builtin and m.kind == "maturity")
        assert maturity.dimension_count >= 6
        editor = await state_for(ModelEditorState, token=token, path=f"{base}/models/{maturity.id}")
        await editor.load()
        assert editor.builtin and len(editor.dimensions) >= 6
        await editor.save()
        assert "copy one to adapt it" in editor.error
        redirect = await editor.copy({"name": "Our maturity"})
        assert redirect is not None and editor.error == ""
        await overview.load()
        copy = next(m for m in overview.models if m.name == "Our maturity")
        assert not copy.builtin and copy.dimension_count == maturity.dimension_count
        # The list's Copy button picks a free name.
        await overview.copy_model(copy.id)
        await overview.copy_model(copy.id)
        await overview.load()
        names = {m.name for m in overview.models}
        assert {"Copy of Our maturity", "Copy of Our maturity 2"} <= names

    run(scenario())


def test_demo_rounds_render_on_the_round_page(org_a):
    people = {name: [helpers.person(org_a) for _ in range(3)] for name in ("Falcon", "Otter")}
    teams = {name: factories.make_team(org_a, name, members=p) for name, p in people.items()}
    with tenant_session(org_a) as session:
        seed_demo_assessments(
            session=session,
            ctx=org_a,
            team_ids=list(teams.values()),
            respondent_user_ids={teams[n]: [p.user_id for p in people[n]] for n in teams},
        )
    token = _token(org_a)
    base = f"/o/{org_a.org_slug}/assessments"

    async def scenario():
        overview = await state_for(AssessmentsState, token=token, path=base)
        await overview.load()
        latest, first = overview.rounds
        assert latest.status == first.status == "closed"
        rnd = await state_for(RoundState, token=token, path=f"{base}/rounds/{latest.id}")
        await rnd.load()
        assert rnd.error == ""
        assert [r.team_name for r in rnd.results] == ["Falcon", "Otter"]
        for team in rnd.results:
            assert team.has_previous and len(team.radar) == len(team.rows) >= 6
            assert all(row.change != "-" and row.stddev != "hidden" for row in team.rows)
            assert all(point["Previous round"] > 0 for point in team.radar)
        assert [len(r.cells) for r in rnd.heat.rows] == [len(rnd.heat.dimensions)] * 2
        assert all(c.text != "-" for r in rnd.heat.rows for c in r.cells)

    run(scenario())


def test_a_coach_reorders_dimensions_and_the_saved_version_keeps_the_order(world):
    """The editor's Up/Down buttons: the order is the draft's until saved, then the new
    version's (a round used the old one, so it stays as it was)."""
    org = world["org"]
    path = f"/o/{org.org_slug}/assessments/models/{world['model_id']}"

    async def scenario():
        editor = await state_for(ModelEditorState, token=_token(world["coach"]), path=path)
        await editor.load()
        names = [d.name for d in editor.dimensions]
        assert len(names) >= 2
        editor.move_dimension(1, -1)
        assert [d.name for d in editor.dimensions] == [names[1], names[0], *names[2:]]
        assert "not saved yet" in editor.notice
        editor.move_dimension(0, -1)  # already first
        editor.move_dimension(0, 7)  # a forged step
        assert [d.name for d in editor.dimensions] == [names[1], names[0], *names[2:]]
        await editor.save()
        assert editor.error == "" and "Saved as version 2" in editor.notice
        again = await state_for(ModelEditorState, token=_token(world["coach"]), path=path)
        await again.load()
        assert [d.name for d in again.dimensions] == [names[1], names[0], *names[2:]]
        with tenant_session(org) as session:
            used = session.get(AssessmentRound, world["round_id"])
            assert used is not None
            first = catalog.model_version(
                session=session, ctx=org, version_id=used.model_version_id
            )
        assert [d.name for d in first.dimensions] == names  # the round's version unchanged

    run(scenario())
