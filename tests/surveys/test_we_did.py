"""You said, we did: focus questions and commitments from shown results only, for one's own
teams only, as coaching actions; the next round shows them with the change, and its
respondents read them before answering (without owners)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from pmo_saas.coaching.models import CoachingAction, CoachingPlan
from pmo_saas.coaching.services import actions as coaching_actions
from pmo_saas.coaching.services import plans as coaching_plans
from pmo_saas.collaboration.models import ACTION_ASSIGNED, RESULTS_PUBLISHED, Notification
from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, Membership, User
from pmo_saas.kernel.anonymity import AnonymityRefused
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from pmo_saas.surveys.wedid import services as we_did
from pmo_saas.surveys.wedid.models import SurveyCommitment, SurveyFocus
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    people,
    team_with,
    westrum_answers,
)

QUESTION = "messengers"


def _answer(ctx: TenantContext, members: list[TenantContext], value: int) -> None:
    """Each member answers through their newest personal link."""
    links = links_from_outbox(ctx)
    for m in members:
        services.submit_response(token=links[email_of(m)][-1], answers=westrum_answers(value))


def _closed_round(org: TenantContext):
    """Alpha (3 answers) and Beta (3) shown; Gamma (no answers) hidden; threshold 3."""
    alpha, alpha_people = team_with(org, "Alpha", 3)
    beta, beta_people = team_with(org, "Beta", 3)
    gamma, gamma_people = team_with(org, "Gamma", 2)
    survey_id = launch(org, [alpha, beta, gamma], title="Culture check", min_group_size=3)
    _answer(org, alpha_people, 4)
    _answer(org, beta_people, 6)
    close(org, survey_id)
    with tenant_session(org) as session:
        progress = services.survey_progress(session=session, ctx=org, survey_id=survey_id)
    ids = {p.team_name: p.survey_team_id for p in progress}
    return survey_id, ids, {"Alpha": alpha_people, "Beta": beta_people, "Gamma": gamma_people}


def _commit(ctx: TenantContext, survey_id: int, survey_team_id: int, owner: int | None, **kw):
    with tenant_session(ctx) as session:
        return we_did.commit_on_question(
            session=session,
            ctx=ctx,
            survey_id=survey_id,
            survey_team_id=survey_team_id,
            question_key=kw.pop("question_key", QUESTION),
            title=kw.pop("title", "Retro on bad news"),
            owner_user_id=owner,
            due_date=kw.pop("due_date", "2030-03-31"),
        )


def _board(ctx: TenantContext, survey_id: int):
    with tenant_session(ctx) as session:
        return we_did.we_did_board(session=session, ctx=ctx, survey_id=survey_id)


def _rows(ctx: TenantContext, cls) -> int:
    with tenant_session(ctx) as session:
        return session.exec(select(func.count()).select_from(cls)).one()


def _member_ctx(org: TenantContext, person: TenantContext) -> TenantContext:
    return TenantContext(org_id=org.org_id, user_id=person.user_id, role=Role.MEMBER)


def test_a_coach_commits_on_a_shown_team_and_it_becomes_an_action_in_a_new_team_plan(org_a, org_b):
    survey_id, ids, crowd = _closed_round(org_a)
    coach = people(org_a, 1, Role.COACH)[0]
    board = _board(coach, survey_id)
    assert [c.label for c in board.teams] == ["Alpha", "Beta"]  # Gamma is hidden: not offered
    # Owners offered to a coach: this organisation's people, never another's.
    offered = {int(o.value) for o in board.owners}
    assert {p.user_id for team in crowd.values() for p in team} <= offered
    assert org_b.user_id not in offered
    assert QUESTION in [q.value for q in board.questions]
    owner = crowd["Alpha"][0].user_id
    focus = _commit(coach, survey_id, ids["Alpha"], owner)
    assert (focus.team_name, focus.question_key, focus.shown_mean) == ("Alpha", QUESTION, 4.0)
    [commitment] = focus.commitments
    assert (commitment.title, commitment.status, commitment.status_label) == (
        "Retro on bad news",
        "todo",
        "Planned",
    )
    with tenant_session(org_a) as session:
        [plan] = session.exec(select(CoachingPlan)).all()
        [action] = session.exec(select(CoachingAction)).all()
        audited = set(session.exec(select(AuditEvent.action)).all())
    assert plan.title == "You said, we did: Culture check" and plan.coach_user_id == coach.user_id
    assert (action.plan_id, action.owner_user_id, str(action.due_date)) == (
        plan.id,
        owner,
        "2030-03-31",
    )
    assert {"survey.focus_picked", "coaching.action_committed"} <= audited
    with tenant_session(org_a) as session:
        told = session.exec(
            select(Notification.kind).where(Notification.recipient_id == owner)
        ).all()
    # The owner hears of it like any assigned action (and, asked in the survey, of the results)
    assert sorted(told) == sorted([ACTION_ASSIGNED, RESULTS_PUBLISHED])
    # A second action on the same question: the same focus, the same plan.
    focus = _commit(coach, survey_id, ids["Alpha"], owner, title="Blameless post-mortems")
    assert [c.title for c in focus.commitments] == ["Retro on bad news", "Blameless post-mortems"]
    assert (_rows(org_a, SurveyFocus), _rows(org_a, CoachingPlan)) == (1, 1)


def test_an_action_goes_into_the_team_s_existing_active_plan(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    with tenant_session(org_a) as session:
        alpha_team = session.exec(select(CoachingPlan)).first()
        assert alpha_team is None
        team_id = identity.list_teams(session=session, ctx=org_a)
        alpha_id = next(t.id for t in team_id if t.name == "Alpha")
        plan = coaching_plans.create_plan(
            session=session, ctx=org_a, title="Alpha growth", team_id=alpha_id
        )
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][1].user_id)
    with tenant_session(org_a) as session:
        [action] = session.exec(select(CoachingAction)).all()
    assert action.plan_id == plan.id and _rows(org_a, CoachingPlan) == 1


def test_a_hidden_team_is_never_offered_and_a_commitment_on_it_is_refused_clearly(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    with pytest.raises(AnonymityRefused) as refused:
        _commit(org_a, survey_id, ids["Gamma"], org_a.user_id)
    message = str(refused.value)
    assert "hidden by the anonymity rules" in message
    assert "Gamma" not in message and "0" not in message  # says nothing of the team's answers
    with tenant_session(org_a) as session, pytest.raises(AnonymityRefused):
        we_did.pick_focus(
            session=session,
            ctx=org_a,
            survey_id=survey_id,
            survey_team_id=ids["Gamma"],
            question_key=QUESTION,
        )
    assert (_rows(org_a, SurveyFocus), _rows(org_a, CoachingAction)) == (0, 0)
    assert _rows(org_a, CoachingPlan) == 0
    # A member of the hidden team is told why, and offered nothing.
    gamma_member = _member_ctx(org_a, crowd["Gamma"][0])
    board = _board(gamma_member, survey_id)
    assert board.teams == [] and board.note == we_did.OWN_TEAM_HIDDEN


def test_a_team_commits_for_itself_but_not_for_another_team(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    alpha_member = _member_ctx(org_a, crowd["Alpha"][0])
    beta_member = _member_ctx(org_a, crowd["Beta"][0])
    board = _board(alpha_member, survey_id)
    assert [c.label for c in board.teams] == ["Alpha"]
    # Owners offered to a member: the people of their own team.
    assert {int(o.value) for o in board.owners} == {p.user_id for p in crowd["Alpha"]}
    _commit(alpha_member, survey_id, ids["Alpha"], crowd["Alpha"][1].user_id)
    with pytest.raises(Forbidden, match="your own teams only"):
        _commit(beta_member, survey_id, ids["Alpha"], beta_member.user_id)
    # Beta's member sees Beta's commitments only (none), never Alpha's.
    assert _board(beta_member, survey_id).focus == []
    assert [f.team_name for f in _board(alpha_member, survey_id).focus] == ["Alpha"]
    assert [f.team_name for f in _board(org_a, survey_id).focus] == ["Alpha"]
    # Someone in none of the survey's teams: the survey is not theirs to read.
    outsider = people(org_a, 1)[0]
    with pytest.raises(NotFound):
        _board(outsider, survey_id)
    with pytest.raises(Forbidden):
        _commit(outsider, survey_id, ids["Beta"], outsider.user_id)
    assert _rows(org_a, SurveyCommitment) == 1


def test_a_member_removed_from_the_team_or_the_organisation_loses_it(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    leaver, stayer = crowd["Alpha"][0], crowd["Alpha"][1]
    with tenant_session(org_a) as session:
        teams = identity.list_teams(session=session, ctx=org_a)
        alpha_id = next(t.id for t in teams if t.name == "Alpha")
        membership_id = session.exec(
            select(Membership.id).where(Membership.user_id == leaver.user_id)
        ).one()
        identity.remove_team_member(
            session=session, ctx=org_a, team_id=alpha_id, membership_id=membership_id
        )
    removed = _member_ctx(org_a, leaver)
    with pytest.raises(NotFound):
        _board(removed, survey_id)
    with pytest.raises(Forbidden):
        _commit(removed, survey_id, ids["Alpha"], stayer.user_id)
    # Removed from the organisation: no longer an owner an action can be given to.
    with tenant_session(org_a) as session:
        identity.remove_member(session=session, ctx=org_a, membership_id=membership_id)
    with pytest.raises(ValidationFailed, match="owner must be a member"):
        _commit(org_a, survey_id, ids["Alpha"], leaver.user_id)
    assert _rows(org_a, SurveyCommitment) == 0


def test_viewers_read_their_team_s_commitments_but_commit_nothing(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    viewer = people(org_a, 1, Role.VIEWER)[0]
    with tenant_session(org_a) as session:
        teams = identity.list_teams(session=session, ctx=org_a)
        alpha_id = next(t.id for t in teams if t.name == "Alpha")
        membership_id = session.exec(
            select(Membership.id).where(Membership.user_id == viewer.user_id)
        ).one()
        identity.add_team_member(
            session=session, ctx=org_a, team_id=alpha_id, membership_id=membership_id
        )
    board = _board(viewer, survey_id)
    assert board.teams == [] and board.note == we_did.VIEWERS_READ
    assert [f.team_name for f in board.focus] == ["Alpha"]
    with pytest.raises(Forbidden, match="Viewers"):
        _commit(viewer, survey_id, ids["Alpha"], viewer.user_id)


def test_another_organisation_cannot_read_pick_or_commit(org_a, org_b):
    survey_id, ids, crowd = _closed_round(org_a)
    focus = _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    with pytest.raises(NotFound):
        _board(org_b, survey_id)
    with pytest.raises(NotFound):
        _commit(org_b, survey_id, ids["Alpha"], org_b.user_id)
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        we_did.commit_action(
            session=session,
            ctx=org_b,
            focus_id=focus.id,
            title="Theirs",
            owner_user_id=org_b.user_id,
            due_date=None,
        )
    with tenant_session(org_b) as session, pytest.raises(NotFound):
        we_did.export_we_did_csv(session=session, ctx=org_b, survey_id=survey_id)
    assert (_rows(org_b, SurveyFocus), _rows(org_b, SurveyCommitment)) == (0, 0)
    assert _rows(org_a, SurveyCommitment) == 1


def test_nothing_is_picked_before_the_close_nor_off_the_rated_questions(org_a):
    alpha, alpha_people = team_with(org_a, "Alpha", 3)
    survey_id = launch(org_a, [alpha], min_group_size=3)
    _answer(org_a, alpha_people, 5)
    with tenant_session(org_a) as session:
        [team] = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
    assert _board(org_a, survey_id).note == we_did.NOT_CLOSED
    with pytest.raises(Conflict, match="once the survey has closed"):
        _commit(org_a, survey_id, team.survey_team_id, org_a.user_id)
    close(org_a, survey_id)
    with pytest.raises(ValidationFailed, match="rated questions"):
        _commit(org_a, survey_id, team.survey_team_id, org_a.user_id, question_key="comment")
    with pytest.raises(ValidationFailed, match="not a date"):
        _commit(org_a, survey_id, team.survey_team_id, org_a.user_id, due_date="soon")
    assert (_rows(org_a, SurveyFocus), _rows(org_a, CoachingAction)) == (0, 0)


def _rerun(ctx: TenantContext, survey_id: int) -> int:
    with tenant_session(ctx) as session:
        return services.rerun_survey(session=session, ctx=ctx, survey_id=survey_id)


def test_the_next_round_shows_each_commitment_with_its_status_and_the_change(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    owner = crowd["Alpha"][0]
    focus = _commit(org_a, survey_id, ids["Alpha"], owner.user_id)
    dropped = _commit(org_a, survey_id, ids["Alpha"], owner.user_id, title="Dropped idea")
    with tenant_session(org_a) as session:
        coaching_actions.set_action_status(
            session=session, ctx=org_a, action_id=focus.commitments[0].action_id, status="done"
        )
        coaching_actions.delete_action(
            session=session, ctx=org_a, action_id=dropped.commitments[1].action_id
        )
    round_2 = _rerun(org_a, survey_id)
    # While it runs: the commitments and their status, the change once it has closed.
    [row] = _board(org_a, round_2).follow_up
    assert (row.previous_round, row.previous_mean, row.change) == (1, 4.0, None)
    assert "once this round has closed" in row.change_note
    assert [(c.title, c.status_label) for c in row.focus.commitments] == [
        ("Retro on bad news", "Done"),
        ("Dropped idea", "Dropped from the plan"),
    ]
    # Its respondents read what was done before answering: no owner, no dates.
    token = links_from_outbox(org_a)[email_of(crowd["Alpha"][1])][-1]
    form = services.load_survey_form(token=token)
    assert [(n.prompt, n.action, n.status_label) for n in form.we_did] == [
        (focus.prompt, "Retro on bad news", "Done"),
        (focus.prompt, "Dropped idea", "Dropped from the plan"),
    ]
    with tenant_session(org_a) as session:
        owner_name = session.get(User, owner.user_id).name  # type: ignore[union-attr]
    assert owner_name not in form.model_dump_json() and "2030" not in form.model_dump_json()
    # Beta committed nothing: its respondents read nothing.
    beta_token = links_from_outbox(org_a)[email_of(crowd["Beta"][0])][-1]
    assert services.load_survey_form(token=beta_token).we_did == []
    _answer(org_a, crowd["Alpha"], 6)
    _answer(org_a, crowd["Beta"], 6)
    close(org_a, round_2)
    [row] = _board(org_a, round_2).follow_up
    assert (row.previous_mean, row.current_mean, row.change) == (4.0, 6.0, 2.0)
    # Beta's member sees the follow-up of Beta only (nothing), Alpha's member Alpha's.
    assert _board(_member_ctx(org_a, crowd["Beta"][0]), round_2).follow_up == []
    assert len(_board(_member_ctx(org_a, crowd["Alpha"][2]), round_2).follow_up) == 1
    with tenant_session(org_a) as session:
        exported = we_did.export_we_did_csv(session=session, ctx=org_a, survey_id=round_2)
    assert "previous round 1,Alpha" in exported and ",Done,2.0" in exported


def test_the_change_is_not_shown_when_the_next_round_hides_the_team(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    round_2 = _rerun(org_a, survey_id)
    _answer(org_a, crowd["Alpha"][:2], 7)  # two answers: below the threshold of 3
    _answer(org_a, crowd["Beta"], 6)
    _answer(org_a, crowd["Gamma"], 5)  # Gamma (2) with Alpha (2): hidden together 4 >= 3
    close(org_a, round_2)
    [row] = _board(org_a, round_2).follow_up
    assert row.current_mean is None and row.change is None
    assert "hidden" in row.change_note


def test_a_later_survey_of_another_instrument_is_not_the_next_round(org_a):
    survey_id, ids, crowd = _closed_round(org_a)
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    with tenant_session(org_a) as session:
        teams = identity.list_teams(session=session, ctx=org_a)
    alpha_id = next(t.id for t in teams if t.name == "Alpha")
    other = launch(org_a, [alpha_id], instrument="enps", min_group_size=3)
    assert _board(org_a, other).follow_up == []
    token = links_from_outbox(org_a)[email_of(crowd["Alpha"][1])][-1]
    assert services.load_survey_form(token=token).we_did == []


def test_the_rest_api_reads_the_board_and_another_organisation_gets_404(org_a, org_b):
    from tests.rest.helpers import bearer, client, make_key

    survey_id, ids, crowd = _closed_round(org_a)
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    _, key = make_key(org_a)
    _, b_key = make_key(org_b)
    response = client().get(f"/api/v1/surveys/{survey_id}/we-did", headers=bearer(key))
    assert response.status_code == 200
    [focus] = response.json()["focus"]
    assert (focus["team_name"], focus["commitments"][0]["title"]) == ("Alpha", "Retro on bad news")
    theirs = client().get(f"/api/v1/surveys/{survey_id}/we-did", headers=bearer(b_key))
    missing = client().get(f"/api/v1/surveys/{2**31 - 1}/we-did", headers=bearer(key))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_a_read_only_workspace_reads_its_commitments_and_commits_nothing(org_a, billing_on):
    from pmo_saas.billing.entitlements import READ_ONLY_MESSAGE
    from pmo_saas.kernel.errors import ReadOnly
    from tests import factories

    survey_id, ids, crowd = _closed_round(org_a)
    _commit(org_a, survey_id, ids["Alpha"], crowd["Alpha"][0].user_id)
    factories.lapse_subscription(org_a)
    assert [f.team_name for f in _board(org_a, survey_id).focus] == ["Alpha"]
    for team in ("Alpha", "Beta"):  # a new action on a picked focus, and a new focus
        with pytest.raises(ReadOnly) as refused:
            _commit(org_a, survey_id, ids[team], crowd[team][0].user_id, title="More")
        assert str(refused.value) == READ_ONLY_MESSAGE
    assert (_rows(org_a, SurveyFocus), _rows(org_a, SurveyCommitment)) == (1, 1)
