"""Collaborative scoring: private scores, one input at a time, median/spread, settling."""

from __future__ import annotations

import pytest
from sqlmodel import select

from pmo_saas.db import tenant_session
from pmo_saas.identity.models import AuditEvent, OutboxMessage
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.models import RoundScore
from pmo_saas.portfolio.services import initiatives as initiative_services
from pmo_saas.portfolio.services import portfolios as portfolio_services
from pmo_saas.portfolio.services import ranking as ranking_services
from pmo_saas.portfolio.services import rounds as round_services
from tests import factories
from tests.portfolio.builders import make_initiative, make_portfolio

KEYS = ["business_value", "time_criticality", "risk_reduction", "job_size"]


@pytest.fixture
def setup(org_a):
    pid = make_portfolio(org_a)
    a = make_initiative(org_a, pid, "Alpha")
    b = make_initiative(org_a, pid, "Beta")
    coach = factories.make_member(org_a, Role.COACH, name="Coach")
    scorers = [factories.make_member(org_a, Role.MEMBER, name=f"S{n}") for n in range(3)]
    with tenant_session(coach) as session:
        round_id = round_services.open_scoring_round(
            session=session,
            ctx=coach,
            portfolio_id=pid,
            name="Q1 scoring",
            scorer_user_ids=[s.user_id for s in scorers],
        )
    return pid, a, b, coach, scorers, round_id


def submit(ctx, round_id, key, scores):
    with tenant_session(ctx) as session:
        round_services.submit_round_scores(
            session=session, ctx=ctx, round_id=round_id, key=key, scores=scores
        )


def test_three_scorers_median_spread_and_settle(setup):
    pid, a, b, coach, scorers, round_id = setup
    table = {  # scorer -> key -> (Alpha, Beta)
        0: {
            "business_value": (8, 3),
            "time_criticality": (5, 1),
            "risk_reduction": (3, 1),
            "job_size": (5, 2),
        },
        1: {
            "business_value": (8, 20),
            "time_criticality": (5, 2),
            "risk_reduction": (2, 1),
            "job_size": (3, 2),
        },
        2: {
            "business_value": (13, 1),
            "time_criticality": (8, 1),
            "risk_reduction": (3, 1),
            "job_size": (5, 3),
        },
    }
    for n, scorer in enumerate(scorers):
        for key in KEYS:
            with tenant_session(scorer) as session:
                sheet = round_services.scoring_sheet(session=session, ctx=scorer, round_id=round_id)
            assert sheet.key == key  # one input at a time, in order
            assert sheet.my_scores == {}
            assert [t for _, t in sheet.initiatives] == ["Alpha", "Beta"]
            alpha, beta = table[n][key]
            submit(scorer, round_id, key, {a: alpha, b: beta})
    with tenant_session(scorers[0]) as session:
        assert (
            round_services.scoring_sheet(session=session, ctx=scorers[0], round_id=round_id).key
            is None
        )
    with tenant_session(coach) as session:
        summary = round_services.round_summary(session=session, ctx=coach, round_id=round_id)
    assert set(summary.scorers_done.values()) == {4}
    cell = next(c for c in summary.cells if c.initiative_id == a and c.key == "business_value")
    assert cell.scores == [8, 8, 13]
    assert cell.median == 8
    assert cell.spread == 5
    # Beta's business value (1, 3, 20) is the widest disagreement relative to the scale.
    top = summary.most_disagreed[0]
    assert (top.initiative_id, top.key, top.spread) == (b, "business_value", 19)
    with tenant_session(coach) as session:
        written = round_services.settle_round(
            session=session, ctx=coach, round_id=round_id, final={(b, "business_value"): 5}
        )
        ranking = ranking_services.rank_portfolio(session=session, ctx=coach, portfolio_id=pid)
    assert written == 8
    rows = {r.title: r for r in ranking.rows}
    # Alpha: medians 8, 5, 3, job size 5 -> 16 / 5 = 3.2
    assert rows["Alpha"].score == pytest.approx(3.2)
    # Beta: settled 5 by the facilitator, 1, 1, job size 2 -> 7 / 2 = 3.5
    assert rows["Beta"].score == pytest.approx(3.5)
    with tenant_session(scorers[1]) as session:  # after settling, everyone sees the summary
        assert round_services.round_summary(
            session=session, ctx=scorers[1], round_id=round_id
        ).status == ("settled")
        with pytest.raises(Conflict, match="closed"):
            round_services.submit_round_scores(
                session=session,
                ctx=scorers[1],
                round_id=round_id,
                key="job_size",
                scores={a: 1, b: 1},
            )


def test_median_off_the_fibonacci_scale_snaps_up(setup):
    _, a, b, coach, scorers, round_id = setup
    for scorer, values in zip(scorers[:2], [(3, 3), (5, 5)], strict=True):
        submit(scorer, round_id, "business_value", {a: values[0], b: values[1]})
    with tenant_session(coach) as session:
        round_services.settle_round(session=session, ctx=coach, round_id=round_id)
        row = initiative_services.get_initiative(session=session, ctx=coach, initiative_id=a)
    assert row.scores == {"business_value": 5}  # median 4 is not on the scale
    assert "job_size" not in row.scores  # nobody scored it: still not scored


def test_scores_are_private_until_settled(setup):
    _, a, b, _coach, scorers, round_id = setup
    submit(scorers[0], round_id, "business_value", {a: 8, b: 3})
    with tenant_session(scorers[1]) as session:
        sheet = round_services.scoring_sheet(session=session, ctx=scorers[1], round_id=round_id)
        assert sheet.my_scores == {}
        with pytest.raises(Forbidden, match="private until the facilitator settles"):
            round_services.round_summary(session=session, ctx=scorers[1], round_id=round_id)
    with tenant_session(scorers[0]) as session:
        sheet = round_services.scoring_sheet(session=session, ctx=scorers[0], round_id=round_id)
        assert sheet.key == "time_criticality"
        # They may revise what they did, and see only their own scores.
        round_services.submit_round_scores(
            session=session,
            ctx=scorers[0],
            round_id=round_id,
            key="business_value",
            scores={a: 13, b: 3},
        )
        rows = session.exec(select(RoundScore).where(RoundScore.key == "business_value")).all()
        assert sorted(r.value for r in rows) == [3, 13]


def test_one_input_at_a_time_and_complete_columns(setup):
    _, a, b, coach, scorers, round_id = setup
    with pytest.raises(Conflict, match="Score User/business value for every initiative first"):
        submit(scorers[0], round_id, "job_size", {a: 1, b: 1})
    with pytest.raises(ValidationFailed, match="missing: Beta"):
        submit(scorers[0], round_id, "business_value", {a: 8})
    with pytest.raises(ValidationFailed, match="Beta: User/business value must be one of"):
        submit(scorers[0], round_id, "business_value", {a: 8, b: 4})
    with pytest.raises(ValidationFailed, match="must be a number"):
        submit(scorers[0], round_id, "business_value", {a: 8, b: "high"})
    with tenant_session(coach) as session:
        assert session.exec(select(RoundScore)).all() == []  # nothing half-written


def test_only_invited_members_score(setup, org_a):
    _, a, b, coach, scorers, round_id = setup
    outsider = factories.make_member(org_a, Role.MEMBER)
    with pytest.raises(Forbidden, match="not invited"):
        submit(outsider, round_id, "business_value", {a: 1, b: 1})
    viewer = factories.make_member(org_a, Role.VIEWER, name="Vera")
    with pytest.raises(Forbidden, match="Viewers"):
        submit(viewer, round_id, "business_value", {a: 1, b: 1})
    with (
        tenant_session(coach) as session,
        pytest.raises(ValidationFailed, match="Vera is a viewer"),
    ):
        round_services.open_scoring_round(
            session=session,
            ctx=coach,
            portfolio_id=_pid(session, coach),
            name="R2",
            scorer_user_ids=[viewer.user_id],
        )
    with tenant_session(scorers[0]) as session, pytest.raises(Forbidden):
        round_services.settle_round(session=session, ctx=scorers[0], round_id=round_id)


def test_scorer_from_another_org_is_refused(setup, org_b):
    _, _, _, coach, _, _ = setup
    with tenant_session(coach) as session, pytest.raises(NotFound, match="A scorer"):
        round_services.open_scoring_round(
            session=session,
            ctx=coach,
            portfolio_id=_pid(session, coach),
            name="R",
            scorer_user_ids=[org_b.user_id],
        )


def _pid(session, ctx) -> int:
    return portfolio_services.list_portfolios(session=session, ctx=ctx)[0].id


def test_invited_scorers_get_a_mail_and_the_round_is_audited(setup):
    _, _, _, coach, scorers, _ = setup
    with tenant_session(coach) as session:
        mails = session.exec(select(OutboxMessage)).all()
        actions = session.exec(select(AuditEvent.action)).all()
    assert len(mails) == len(scorers) == 3
    assert all("Q1 scoring" in m.body for m in mails)
    assert "round.opened" in actions


def test_garbage_initiative_ids_are_not_found(setup):
    _, _, _, _, scorers, round_id = setup
    with pytest.raises(NotFound):
        submit(scorers[0], round_id, "business_value", {"abc": 1})


def test_invited_scorers_get_a_link_straight_to_the_round(org_a):
    """The invitation mail links to the round's page in the organisation's workspace."""
    from pmo_saas.db import system_session

    scorer = factories.make_member(org_a, Role.MEMBER)
    with tenant_session(org_a) as session:
        portfolio_id = portfolio_services.create_portfolio(session=session, ctx=org_a, name="Mail")
        initiative_services.create_initiative(
            session=session, ctx=org_a, portfolio_id=portfolio_id, data={"title": "One"}
        )
        round_id = round_services.open_scoring_round(
            session=session,
            ctx=org_a,
            portfolio_id=portfolio_id,
            name="R1",
            scorer_user_ids=[scorer.user_id],
        )
    with system_session() as session:
        bodies = session.exec(select(OutboxMessage.body)).all()
    link = f"/o/{org_a.org_slug}/portfolio/p/{portfolio_id}/rounds/{round_id}"
    assert any(link in body for body in bodies)
