"""Rounds end to end through the services: starting, answering, progress, closing, results,
change since the previous round, notes, CSV, focus dimensions, roles and tenant isolation."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from pmo_saas.assessments.models import AssessmentModel
from pmo_saas.assessments.services import answering, catalog, results, rounds
from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from tests import factories
from tests.assessments import helpers


@pytest.fixture
def setup(org_a: TenantContext) -> dict:
    coach = helpers.person(org_a, Role.COACH)
    a, b, c = (helpers.person(org_a, Role.MEMBER) for _ in range(3))
    d = helpers.person(org_a, Role.MEMBER)
    alpha = factories.make_team(org_a, "Alpha", members=[a, b, c])
    beta = factories.make_team(org_a, "Beta", members=[d])
    return {
        "coach": coach,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "alpha": alpha,
        "beta": beta,
        "model": helpers.small_model(coach),
    }


def test_round_journey_with_save_and_continue(setup: dict) -> None:
    coach, a, b, c = setup["coach"], setup["a"], setup["b"], setup["c"]
    alpha, beta = setup["alpha"], setup["beta"]
    round_id = helpers.start(coach, setup["model"], [alpha, beta], title="Spring")
    with tenant_session(coach) as session:
        progress = rounds.round_progress(session=session, ctx=coach, round_id=round_id)
    assert [(p.team_name, p.invited, p.started, p.submitted) for p in progress] == [
        ("Alpha", 3, 0, 0),
        ("Beta", 1, 0, 0),
    ]

    # a answers halfway and comes back later
    helpers.answer(a, round_id, alpha, {"F1": 4}, submit=False)
    with tenant_session(a) as session:
        mine = answering.my_assignments(session=session, ctx=a)
    assert [(m.answered, m.total, m.submitted) for m in mine] == [(1, 3, False)]
    helpers.answer(a, round_id, alpha, {"F2": 4, "Q1": 2})
    with tenant_session(a) as session:
        pid = helpers.participant_id(a, round_id, alpha)
        saved = answering.my_answers(session=session, ctx=a, participant_id=pid)
    assert sorted(saved.values.values()) == [2, 4, 4] and saved.submitted
    helpers.answer(b, round_id, alpha, {"F1": 2, "F2": 3, "Q1": 3})
    helpers.answer(c, round_id, alpha, {"F1": 3, "F2": 3, "Q1": 4})
    with tenant_session(coach) as session:
        progress = rounds.round_progress(session=session, ctx=coach, round_id=round_id)
    assert [(p.started, p.submitted) for p in progress] == [(3, 3), (0, 0)]

    helpers.close(coach, round_id)
    with pytest.raises(Conflict):
        helpers.answer(a, round_id, alpha, {"F1": 1})
    with pytest.raises(Conflict):
        helpers.close(coach, round_id)

    with tenant_session(coach) as session:
        result = results.team_result(session=session, ctx=coach, round_id=round_id, team_id=alpha)
        radar = results.radar_series(result)
        heat = results.heat_map(session=session, ctx=coach, round_id=round_id)
    # Flow: 4, 4, 2, 3, 3, 3 -> 19/6; Quality: 2, 3, 4 -> 3
    assert radar == [
        {"dimension": "Flow", "current": 3.17, "previous": 0},
        {"dimension": "Quality", "current": 3.0, "previous": 0},
    ]
    assert [t for _, t in heat.teams] == ["Alpha", "Beta"]  # alphabetical, never ranked
    assert heat.value(alpha, result.dimensions[0].dimension_id) == pytest.approx(19 / 6)
    assert heat.value(beta, result.dimensions[0].dimension_id) is None
    with tenant_session(coach) as session:
        ranked = results.heat_map(
            session=session,
            ctx=coach,
            round_id=round_id,
            rank_by_dimension_id=result.dimensions[0].dimension_id,
        )
    assert [t for _, t in ranked.teams] == ["Alpha", "Beta"]  # Beta has no answers: last
    assert result.previous_round_id is None

    # A second round shows the change since the first.
    second = helpers.start(coach, setup["model"], [alpha], title="Summer")
    for person, vals in ((a, (5, 5, 3)), (b, (4, 4, 3)), (c, (4, 3, 3))):
        helpers.answer(person, second, alpha, dict(zip(("F1", "F2", "Q1"), vals, strict=True)))
    helpers.close(coach, second)
    with tenant_session(coach) as session:
        later = results.team_result(session=session, ctx=coach, round_id=second, team_id=alpha)
        latest = results.latest_closed_round_for_team(session=session, ctx=coach, team_id=alpha)
        before = results.latest_closed_round_for_team(
            session=session, ctx=coach, team_id=alpha, before_round_id=second
        )
    flow, quality = later.dimensions
    assert later.previous_round_id == round_id
    assert flow.mean == pytest.approx(25 / 6)
    assert flow.change == pytest.approx(25 / 6 - 19 / 6)
    assert quality.change == pytest.approx(0.0)
    assert latest is not None and latest.id == second
    assert before is not None and before.id == round_id


def test_comments_shown_without_names_only_from_three_respondents(setup: dict) -> None:
    coach, a, b, c = setup["coach"], setup["a"], setup["b"], setup["c"]
    alpha = setup["alpha"]
    round_id = helpers.start(coach, setup["model"], [alpha])
    flow_id = helpers.dimension_ids(coach, round_id)["flow"]
    helpers.answer(a, round_id, alpha, {"F1": 3}, comments={flow_id: "Too much WIP"})
    helpers.answer(b, round_id, alpha, {"F1": 4})
    with tenant_session(coach) as session:
        early = results.team_result(session=session, ctx=coach, round_id=round_id, team_id=alpha)
    assert early.dimensions[0].comments == [] and early.dimensions[0].spread_hidden
    helpers.answer(c, round_id, alpha, {"F1": 2}, comments={flow_id: "Blocked a lot"})
    with tenant_session(coach) as session:
        later = results.team_result(session=session, ctx=coach, round_id=round_id, team_id=alpha)
    assert later.dimensions[0].comments == ["Blocked a lot", "Too much WIP"]


def test_health_check_colour_and_trend(org_a: TenantContext) -> None:
    people = [helpers.person(org_a, Role.MEMBER) for _ in range(3)]
    team = factories.make_team(org_a, "Gamma", members=people)
    with tenant_session(org_a) as session:
        catalog.ensure_builtin_models(session=session, ctx=org_a)
        health = session.exec(
            select(AssessmentModel.id).where(AssessmentModel.builtin_key == "team_health")
        ).one()
    assert health is not None
    round_id = helpers.start(org_a, health, [team])
    fun = "We enjoy working together."
    fun_dim = helpers.dimension_ids(org_a, round_id)["fun"]
    for person, value, trend in zip(people, (3, 3, 2), (1, 1, 0), strict=True):
        pid = helpers.participant_id(person, round_id, team)
        statements = helpers.statement_ids(person, round_id)
        with tenant_session(person) as session:
            answering.save_answers(
                session=session,
                ctx=person,
                participant_id=pid,
                values={statements[fun]: value},
                trends={fun_dim: trend},
                submit=True,
            )
    with tenant_session(org_a) as session:
        result = results.team_result(session=session, ctx=org_a, round_id=round_id, team_id=team)
    row = next(d for d in result.dimensions if d.dimension_key == "fun")
    assert row.mean == pytest.approx(8 / 3) and row.colour == "green"
    assert (row.trend_up, row.trend_same, row.trend_down, row.trend) == (2, 1, 0, "improving")


def test_answer_validation(setup: dict) -> None:
    coach, a, alpha = setup["coach"], setup["a"], setup["alpha"]
    round_id = helpers.start(coach, setup["model"], [alpha])
    with pytest.raises(ValidationFailed, match="from 1 to 5"):
        helpers.answer(a, round_id, alpha, {"F1": 6})
    with pytest.raises(ValidationFailed, match="at least one"):
        helpers.answer(a, round_id, alpha, {}, submit=True)
    pid = helpers.participant_id(a, round_id, alpha)
    with tenant_session(a) as session, pytest.raises(ValidationFailed, match="not part"):
        answering.save_answers(session=session, ctx=a, participant_id=pid, values={999_999: 3})
    with tenant_session(a) as session, pytest.raises(ValidationFailed, match="trends"):
        answering.save_answers(
            session=session,
            ctx=a,
            participant_id=pid,
            values={},
            trends={helpers.dimension_ids(coach, round_id)["flow"]: 1},
        )
    # clearing an answer removes it
    helpers.answer(a, round_id, alpha, {"F1": 3}, submit=False)
    helpers.answer(a, round_id, alpha, {"F1": None}, submit=False)
    with tenant_session(a) as session:
        assert answering.my_answers(session=session, ctx=a, participant_id=pid).values == {}


def test_start_round_validation(setup: dict, org_a: TenantContext) -> None:
    coach = setup["coach"]
    empty_team = factories.make_team(org_a, "Empty")
    with tenant_session(coach) as session:
        with pytest.raises(ValidationFailed, match="no members"):
            rounds.start_round(
                session=session, ctx=coach, model_id=setup["model"], team_ids=[empty_team]
            )
        with pytest.raises(ValidationFailed, match="at least one team"):
            rounds.start_round(session=session, ctx=coach, model_id=setup["model"], team_ids=[])


def test_notes_csv_and_focus(setup: dict) -> None:
    coach, a, b, c = setup["coach"], setup["a"], setup["b"], setup["c"]
    alpha = setup["alpha"]
    round_id = helpers.start(coach, setup["model"], [alpha], title="Autumn")
    for person, vals in ((a, (1, 2, 5)), (b, (2, 2, 4)), (c, (3, 2, 4))):
        helpers.answer(person, round_id, alpha, dict(zip(("F1", "F2", "Q1"), vals, strict=True)))
    flow_id = helpers.dimension_ids(coach, round_id)["flow"]
    with tenant_session(coach) as session:
        with pytest.raises(Conflict, match="Close the round"):
            results.mark_focus_dimension(
                session=session, ctx=coach, round_id=round_id, team_id=alpha, dimension_id=flow_id
            )
        rounds.set_round_notes(
            session=session, ctx=coach, round_id=round_id, notes="Flow is the pain."
        )
        rounds.close_round(session=session, ctx=coach, round_id=round_id)
        results.mark_focus_dimension(
            session=session,
            ctx=coach,
            round_id=round_id,
            team_id=alpha,
            dimension_id=flow_id,
            note="Limit WIP",
        )
    with tenant_session(coach) as session:
        assert rounds.round_notes(session=session, ctx=coach, round_id=round_id) == (
            "Flow is the pain."
        )
        focus = results.focus_dimensions(
            session=session, ctx=coach, round_id=round_id, team_id=alpha
        )
        text = results.export_round_csv(session=session, ctx=coach, round_id=round_id)
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert [(f.dimension_key, f.note) for f in focus] == [("flow", "Limit WIP")]
    assert focus[0].mean == pytest.approx(2.0)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["team"], r["dimension"], r["mean"], r["min"], r["focus"]) for r in rows] == [
        ("Alpha", "Flow", "2.00", "1", "yes"),
        ("Alpha", "Quality", "4.33", "4", ""),
    ]
    assert rows[0]["distribution"] == "1 4 1 0 0"
    assert {
        "assessment.round_started",
        "assessment.round_closed",
        "assessment.notes_updated",
        "assessment.focus_marked",
        "assessment.answers_submitted",
        "assessment.exported",
    } <= actions
    with tenant_session(coach) as session:
        results.unmark_focus_dimension(
            session=session, ctx=coach, round_id=round_id, team_id=alpha, dimension_id=flow_id
        )
        assert (
            results.focus_dimensions(session=session, ctx=coach, round_id=round_id, team_id=alpha)
            == []
        )


def test_members_cannot_start_rounds_or_see_others_answers(setup: dict) -> None:
    coach, a, b, alpha = setup["coach"], setup["a"], setup["b"], setup["alpha"]
    round_id = helpers.start(coach, setup["model"], [alpha])
    helpers.answer(a, round_id, alpha, {"F1": 5})
    a_pid = helpers.participant_id(a, round_id, alpha)
    with tenant_session(b) as session:
        with pytest.raises(Forbidden):
            rounds.start_round(session=session, ctx=b, model_id=setup["model"], team_ids=[alpha])
        with pytest.raises(NotFound):
            answering.my_answers(session=session, ctx=b, participant_id=a_pid)
        with pytest.raises(NotFound):
            answering.save_answers(session=session, ctx=b, participant_id=a_pid, values={})
        for read in (results.team_result, results.team_dimension_scores):
            with pytest.raises(Forbidden):
                read(session=session, ctx=b, round_id=round_id, team_id=alpha)
        for action in (
            results.heat_map,
            rounds.round_progress,
            results.export_round_csv,
            rounds.close_round,
            rounds.round_notes,
        ):
            with pytest.raises(Forbidden):
                action(session=session, ctx=b, round_id=round_id)
        with pytest.raises(Forbidden):
            rounds.list_rounds(session=session, ctx=b)
        # b sees the round they are asked to answer, nothing more
        assert rounds.get_round(session=session, ctx=b, round_id=round_id).id == round_id
    # even the coach cannot read a's individual answers
    with tenant_session(coach) as session, pytest.raises(NotFound):
        answering.my_answers(session=session, ctx=coach, participant_id=a_pid)
    outsider = helpers.person(coach, Role.MEMBER)
    with tenant_session(outsider) as session, pytest.raises(NotFound):
        rounds.get_round(session=session, ctx=outsider, round_id=round_id)


def test_other_org_sees_nothing(setup: dict, org_b: TenantContext) -> None:
    coach, a, alpha = setup["coach"], setup["a"], setup["alpha"]
    round_id = helpers.start(coach, setup["model"], [alpha])
    helpers.answer(a, round_id, alpha, {"F1": 5})
    helpers.close(coach, round_id)
    flow_id = helpers.dimension_ids(coach, round_id)["flow"]
    a_pid = helpers.participant_id(a, round_id, alpha)
    with tenant_session(org_b) as session:
        assert rounds.list_rounds(session=session, ctx=org_b) == []
        assert answering.my_assignments(session=session, ctx=org_b) == []
        for read in (
            results.team_result,
            results.team_dimension_scores,
            results.focus_dimensions,
        ):
            with pytest.raises(NotFound):
                read(session=session, ctx=org_b, round_id=round_id, team_id=alpha)
        for action in (
            rounds.get_round,
            results.heat_map,
            rounds.round_progress,
            results.export_round_csv,
            rounds.close_round,
            rounds.round_notes,
        ):
            with pytest.raises(NotFound):
                action(session=session, ctx=org_b, round_id=round_id)
        with pytest.raises(NotFound):
            rounds.set_round_notes(session=session, ctx=org_b, round_id=round_id, notes="x")
        with pytest.raises(NotFound):
            results.mark_focus_dimension(
                session=session, ctx=org_b, round_id=round_id, team_id=alpha, dimension_id=flow_id
            )
        with pytest.raises(NotFound):
            answering.my_answers(session=session, ctx=org_b, participant_id=a_pid)
        with pytest.raises(NotFound):
            rounds.start_round(
                session=session, ctx=org_b, model_id=setup["model"], team_ids=[alpha]
            )
        with pytest.raises(NotFound):
            results.latest_closed_round_for_team(session=session, ctx=org_b, team_id=alpha)
    # org_b's own team cannot be slipped into org_a's round either
    foreign_team = factories.make_team(org_b, "Foreign")
    with tenant_session(coach) as session, pytest.raises(NotFound):
        rounds.start_round(
            session=session, ctx=coach, model_id=setup["model"], team_ids=[foreign_team]
        )
