"""Survey services: launch, links, submit, reminders, lifecycle, roles and tenant isolation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import func, select

from pmo_saas.db import tenant_session
from pmo_saas.identity import services as identity
from pmo_saas.identity.models import AuditEvent, OutboxMessage
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.surveys import services
from pmo_saas.surveys.models import SurveyInvitation, SurveyOpenKey, SurveyTeam
from pmo_saas.surveys.schemas import QuestionInput
from tests.surveys.helpers import (
    close,
    email_of,
    launch,
    links_from_outbox,
    people,
    results,
    team_with,
    westrum_answers,
)


def _responses(ctx) -> int:
    """Acknowledged responses (sealed or counted): no per-response rows exist to count."""
    with tenant_session(ctx) as session:
        return session.exec(select(func.coalesce(func.sum(SurveyTeam.responses), 0))).one()


def test_launch_mails_one_personal_link_per_member(org_a):
    t1, m1 = team_with(org_a, "Alpha", 3)
    t2, m2 = team_with(org_a, "Beta", 2)
    survey_id = launch(org_a, [t1, t2], title="Culture pulse")
    links = links_from_outbox(org_a)
    assert set(links) == {email_of(p) for p in m1 + m2}
    assert all(len(tokens) == 1 for tokens in links.values())
    with tenant_session(org_a) as session:
        rows = services.list_surveys(session=session, ctx=org_a)
        progress = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
        actions = session.exec(select(AuditEvent.action)).all()
    assert [(r.title, r.teams, r.invited, r.answered) for r in rows] == [("Culture pulse", 2, 5, 0)]
    assert [(p.team_name, p.invited, p.response_rate) for p in progress] == [
        ("Alpha", 3, 0.0),
        ("Beta", 2, 0.0),
    ]
    assert "survey.launched" in actions


def test_token_works_once_and_double_submit_counts_once(org_a):
    team, members = team_with(org_a, "Alpha", 2)
    survey_id = launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    form = services.load_survey_form(token=token)
    assert form.personal and form.team_name == "Alpha" and len(form.questions) == 7
    services.submit_response(token=token, answers=westrum_answers(6))
    with pytest.raises(Conflict, match="already been used"):
        services.submit_response(token=token, answers=westrum_answers(6))
    with pytest.raises(Conflict, match="already been used"):
        services.load_survey_form(token=token)
    assert _responses(org_a) == 1
    with tenant_session(org_a) as session:
        progress = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
    assert (progress[0].answered, progress[0].response_rate) == (1, 50.0)


def test_a_form_sent_again_is_told_its_answers_were_already_received(org_a):
    team, members = team_with(org_a, "Alpha", 2)
    launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    services.submit_response(token=token, answers=westrum_answers(6), form_key="form-1")
    # The same form again (its reply was lost, e.g. with a crashed server): received, once.
    with pytest.raises(services.AlreadyReceived, match=r"^Your answers were already received"):
        services.submit_response(token=token, answers=westrum_answers(2), form_key="form-1")
    # Another form (another tab, another browser) through the used link: the used link.
    for other in ("form-2", None):
        with pytest.raises(Conflict, match="already been used") as refused:
            services.submit_response(token=token, answers=westrum_answers(2), form_key=other)
        assert not isinstance(refused.value, services.AlreadyReceived)
    assert _responses(org_a) == 1
    # A receipt is kept only with stored answers: a refused form leaves none behind.
    other_token = links_from_outbox(org_a)[email_of(members[1])][0]
    with pytest.raises(ValidationFailed):
        services.submit_response(token=other_token, answers={"nope": 1}, form_key="form-3")
    services.submit_response(token=other_token, answers=westrum_answers(4), form_key="form-3")
    assert _responses(org_a) == 2


def test_a_receipt_is_the_survey_s_own(org_a, org_b):
    team_a, members_a = team_with(org_a, "Alpha", 1)
    team_b, members_b = team_with(org_b, "Alpha", 1)
    launch(org_a, [team_a])
    launch(org_b, [team_b])
    token_a = links_from_outbox(org_a)[email_of(members_a[0])][0]
    token_b = links_from_outbox(org_b)[email_of(members_b[0])][0]
    services.submit_response(token=token_a, answers=westrum_answers(6), form_key="same-key")
    # The same form key on another organisation's survey is another form: it counts there.
    services.submit_response(token=token_b, answers=westrum_answers(6), form_key="same-key")
    assert (_responses(org_a), _responses(org_b)) == (1, 1)


def test_guessed_and_expired_tokens_get_clear_messages(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    launch(org_a, [team], days_open=3)
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    for guess in ("", "abc", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 500):
        with pytest.raises(NotFound, match="link is not valid"):
            services.submit_response(token=guess, answers=westrum_answers(5))
    clock.freeze(clock.utcnow() + timedelta(days=4))
    with tenant_session(org_a) as session:
        assert services.list_surveys(session=session, ctx=org_a)[0].status == "closed"
    with pytest.raises(Conflict, match="expired"):
        services.load_survey_form(token=token)
    with pytest.raises(Conflict, match="expired"):
        services.submit_response(token=token, answers=westrum_answers(5))
    assert _responses(org_a) == 0


def test_closed_survey_refuses_answers(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    survey_id = launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    with tenant_session(org_a) as session:
        services.close_survey(session=session, ctx=org_a, survey_id=survey_id)
    with pytest.raises(Conflict, match="closed"):
        services.submit_response(token=token, answers=westrum_answers(5))


def test_answers_are_validated(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    incomplete = westrum_answers(5)
    del incomplete["novelty"]
    with pytest.raises(ValidationFailed, match="Answer the question"):
        services.submit_response(token=token, answers=incomplete)
    with pytest.raises(ValidationFailed, match="from 1 to 7"):
        services.submit_response(token=token, answers=westrum_answers(8))
    with pytest.raises(ValidationFailed, match="do not match"):
        services.submit_response(token=token, answers={**westrum_answers(5), "x": 1})
    # A refused submission does not use up the link.
    services.submit_response(token=token, answers=westrum_answers(5))
    assert _responses(org_a) == 1


def test_ocai_points_must_add_up_to_100(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    launch(org_a, [team], instrument="ocai")
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    good = {
        "now": {"clan": 40, "adhocracy": 30, "market": 20, "hierarchy": 10},
        "preferred": {"clan": 25, "adhocracy": 25, "market": 25, "hierarchy": 25},
    }
    dims = ("character", "leadership", "people", "glue", "emphasis", "success")
    bad = {**good, "now": {"clan": 40, "adhocracy": 30, "market": 20, "hierarchy": 20}}
    with pytest.raises(ValidationFailed, match="add up to 110"):
        services.submit_response(
            token=token, answers={d: (bad if d == "glue" else good) for d in dims}
        )
    services.submit_response(token=token, answers={d: good for d in dims})


def test_custom_survey_kinds_and_validation(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    questions = [
        QuestionInput(kind="scale5", prompt="Our planning works."),
        QuestionInput(kind="nps", prompt="Rate the sprint review."),
        QuestionInput(
            kind="single",
            prompt="Best day for retros?",
            options=[("mon", "Monday"), ("fri", "Friday")],
        ),
        QuestionInput(
            kind="multi",
            prompt="Which tools help?",
            options=[("board", "Board"), ("wiki", "Wiki"), ("chat", "Chat")],
        ),
        QuestionInput(kind="scale7", prompt="I feel safe to speak up."),
        QuestionInput(kind="text", prompt="Anything else?"),
    ]
    with pytest.raises(ValidationFailed, match="at least two choices"):
        launch(
            org_a,
            [team],
            instrument="custom",
            questions=[QuestionInput(kind="single", prompt="?", options=[("a", "A")])],
        )
    with pytest.raises(ValidationFailed, match="at least one question"):
        launch(org_a, [team], instrument="custom", questions=[])
    survey_id = launch(org_a, [team], instrument="custom", questions=questions)
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    with pytest.raises(ValidationFailed, match="offered"):
        services.submit_response(token=token, answers={"q1": 3, "q2": 9, "q3": "sun", "q5": 4})
    services.submit_response(
        token=token,
        answers={"q1": 3, "q2": 9, "q3": "fri", "q4": ["wiki", "board"], "q5": 4},
    )
    assert _responses(org_a) == 1
    with tenant_session(org_a) as session:
        rows = services.list_surveys(session=session, ctx=org_a)
    assert rows[0].id == survey_id and rows[0].responses == 1


def test_thresholds_are_configurable_but_never_below_three(org_a):
    team, _ = team_with(org_a, "Alpha", 1)
    with pytest.raises(ValidationFailed, match="below 3"):
        launch(org_a, [team], min_group_size=2)
    with pytest.raises(ValidationFailed, match="at least as many"):
        launch(org_a, [team], min_group_size=6, min_comment_group_size=5)
    assert launch(org_a, [team], min_group_size=3, min_comment_group_size=3)


def test_open_link_counts_each_browser_once(org_a):
    team, _ = team_with(org_a, "Alpha", 0)
    survey_id = launch(org_a, [team], personal_links=False, open_links=True, open_link_cap=5)
    with tenant_session(org_a) as session:
        survey_team_id = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)[
            0
        ].survey_team_id
        url = services.create_open_link(
            session=session, ctx=org_a, survey_id=survey_id, team_id=survey_team_id
        )
    token = url.rsplit("/", 1)[1]
    assert not services.load_survey_form(token=token).personal
    services.submit_response(token=token, answers=westrum_answers(4), submission_key="form-1")
    with pytest.raises(Conflict, match="already answered"):
        services.submit_response(token=token, answers=westrum_answers(4), submission_key="form-1")
    services.submit_response(token=token, answers=westrum_answers(4), submission_key="form-2")
    with pytest.raises(ValidationFailed):
        services.submit_response(token=token, answers=westrum_answers(4))
    assert _responses(org_a) == 2
    # Once closed, no browser key is kept at all.
    close(org_a, survey_id)
    with tenant_session(org_a) as session:
        assert session.exec(select(SurveyOpenKey)).all() == []
    assert results(org_a, survey_id).open_responses == 2


def test_reminders_go_only_to_those_who_have_not_answered(org_a):
    team, members = team_with(org_a, "Alpha", 3)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    services.submit_response(token=links[email_of(members[0])][0], answers=westrum_answers(5))
    with tenant_session(org_a) as session:
        assert services.send_reminders(session=session, ctx=org_a, survey_id=survey_id) == 2
        reminded = session.exec(
            select(OutboxMessage.to_email).where(OutboxMessage.subject.startswith("Reminder"))
        ).all()
    assert sorted(reminded) == sorted(email_of(m) for m in members[1:])
    # The reminder's fresh link works, and then the first link is used up too.
    fresh = links_from_outbox(org_a, "Reminder")[email_of(members[1])][0]
    services.submit_response(token=fresh, answers=westrum_answers(5))
    first = links[email_of(members[1])][0]
    with pytest.raises(Conflict, match="already been used"):
        services.submit_response(token=first, answers=westrum_answers(5))
    with tenant_session(org_a) as session:
        assert services.send_reminders(session=session, ctx=org_a, survey_id=survey_id) == 1


def test_rerun_creates_a_new_round_and_trend(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    first = launch(org_a, [team], min_group_size=3)
    for m in members:
        token = links_from_outbox(org_a)[email_of(m)][0]
        services.submit_response(token=token, answers=westrum_answers(4))
    with tenant_session(org_a) as session:
        services.close_survey(session=session, ctx=org_a, survey_id=first)
        second = services.rerun_survey(session=session, ctx=org_a, survey_id=first)
    for m in members[:3]:
        token = links_from_outbox(org_a)[email_of(m)][-1]
        services.submit_response(token=token, answers=westrum_answers(6))
    with tenant_session(org_a) as session:
        running = services.survey_trend(session=session, ctx=org_a, survey_id=second)
        services.close_survey(session=session, ctx=org_a, survey_id=second)
    assert running[1].org is None and "Still running" in running[1].org_hidden_reason
    with tenant_session(org_a) as session:
        rows = {r.id: r for r in services.list_surveys(session=session, ctx=org_a)}
        trend = services.survey_trend(session=session, ctx=org_a, survey_id=second)
    assert rows[second].round_number == 2 and rows[second].series_id == first
    assert rows[second].invited == 5 and rows[second].responses == 3
    assert [(p.round_number, p.org) for p in trend] == [(1, 4.0), (2, 6.0)]
    assert trend[1].teams == {"Alpha": 6.0}


def test_delete_removes_survey_with_its_responses(org_a):
    team, members = team_with(org_a, "Alpha", 2)
    survey_id = launch(org_a, [team])
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    services.submit_response(token=token, answers=westrum_answers(5))
    with tenant_session(org_a) as session:
        services.delete_survey(session=session, ctx=org_a, survey_id=survey_id)
    assert _responses(org_a) == 0
    with tenant_session(org_a) as session:
        assert services.list_surveys(session=session, ctx=org_a) == []
        assert session.exec(select(func.count()).select_from(SurveyInvitation)).one() == 0
        assert "survey.deleted" in session.exec(select(AuditEvent.action)).all()
    with pytest.raises(NotFound):
        services.submit_response(token=token, answers=westrum_answers(5))


def test_respondents_see_their_team_after_close(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team])
    for n, m in enumerate(members):
        token = links_from_outbox(org_a)[email_of(m)][0]
        services.submit_response(token=token, answers=westrum_answers(3 + n % 2))
    member = members[0]
    with tenant_session(member) as session:
        mine = services.my_surveys(session=session, ctx=member)
    assert [(m.survey_id, m.team_name, m.results_ready) for m in mine] == [
        (survey_id, "Alpha", False)
    ]
    with tenant_session(member) as session, pytest.raises(Conflict, match="once the survey"):
        services.my_team_results(session=session, ctx=member, survey_id=survey_id)
    with tenant_session(org_a) as session:
        services.close_survey(session=session, ctx=org_a, survey_id=survey_id)
    with tenant_session(member) as session:
        assert services.my_surveys(session=session, ctx=member)[0].results_ready
        mine = services.my_team_results(session=session, ctx=member, survey_id=survey_id)
    assert mine.team.visible and mine.team.headline is not None
    assert mine.team.headline.value == pytest.approx(3.4)
    outsider = people(org_a, 1)[0]
    with tenant_session(outsider) as session, pytest.raises(NotFound):
        services.my_team_results(session=session, ctx=outsider, survey_id=survey_id)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER])
def test_members_and_viewers_cannot_run_surveys_or_see_results(org_a, role):
    team, _ = team_with(org_a, "Alpha", 1)
    survey_id = launch(org_a, [team])
    someone = people(org_a, 1, role)[0]
    with tenant_session(someone) as session:
        for call in (
            lambda: services.launch_survey(
                session=session, ctx=someone, title="x", instrument="enps", team_ids=[team]
            ),
            lambda: services.survey_results(session=session, ctx=someone, survey_id=survey_id),
            lambda: services.export_results_csv(session=session, ctx=someone, survey_id=survey_id),
            lambda: services.close_survey(session=session, ctx=someone, survey_id=survey_id),
            lambda: services.delete_survey(session=session, ctx=someone, survey_id=survey_id),
            lambda: services.send_reminders(session=session, ctx=someone, survey_id=survey_id),
            lambda: services.list_surveys(session=session, ctx=someone),
        ):
            with pytest.raises(Forbidden):
                call()


def test_a_coach_can_run_surveys(org_a):
    team, _ = team_with(org_a, "Alpha", 1)
    coach = people(org_a, 1, Role.COACH)[0]
    survey_id = launch(coach, [team])
    with tenant_session(coach) as session:
        services.close_survey(session=session, ctx=coach, survey_id=survey_id)
        assert services.list_surveys(session=session, ctx=coach)[0].status == "closed"


def test_other_organisation_cannot_read_or_change_surveys(org_a, org_b):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team], min_group_size=3)
    for m in members:
        token = links_from_outbox(org_a)[email_of(m)][0]
        services.submit_response(token=token, answers=westrum_answers(5))
    team_b, _ = team_with(org_b, "Bravo", 1)
    with tenant_session(org_b) as session:
        assert services.list_surveys(session=session, ctx=org_b) == []
        assert services.my_surveys(session=session, ctx=org_b) == []
        for call in (
            lambda: services.survey_results(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.export_results_csv(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.survey_progress(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.survey_trend(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.close_survey(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.rerun_survey(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.delete_survey(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.send_reminders(session=session, ctx=org_b, survey_id=survey_id),
            lambda: services.create_open_link(
                session=session, ctx=org_b, survey_id=survey_id, team_id=1
            ),
        ):
            with pytest.raises(NotFound):
                call()
        # Org A's team cannot be surveyed from org B.
        with pytest.raises(NotFound):
            services.launch_survey(
                session=session, ctx=org_b, title="x", instrument="enps", team_ids=[team]
            )
    assert launch(org_b, [team_b])
    close(org_a, survey_id)
    assert results(org_a, survey_id).responses == 5


def test_concurrent_submits_of_one_link_count_once_and_others_all_count(org_a):
    team, members = team_with(org_a, "Alpha", 6)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    same = links[email_of(members[0])][0]
    others = [links[email_of(m)][0] for m in members[1:]]
    outcomes: list[str] = []

    def submit(token: str) -> None:
        try:
            services.submit_response(token=token, answers=westrum_answers(5))
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(submit, [same, same, same, *others]))
    assert sorted(outcomes) == ["conflict", "conflict"] + ["ok"] * 6
    assert _responses(org_a) == 6
    with tenant_session(org_a) as session:
        progress = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
    assert (progress[0].answered, progress[0].responses) == (6, 6)


def test_custom_scales_are_always_required(org_a):
    team, members = team_with(org_a, "Alpha", 1)
    launch(
        org_a,
        [team],
        instrument="custom",
        questions=[QuestionInput(kind="scale5", prompt="Planning works.", required=False)],
    )
    token = links_from_outbox(org_a)[email_of(members[0])][0]
    with pytest.raises(ValidationFailed, match="Answer the question"):
        services.submit_response(token=token, answers={})


def test_results_wait_for_the_close_so_answers_cannot_be_told_apart_over_time(org_a):
    team, members = team_with(org_a, "Alpha", 6)
    survey_id = launch(org_a, [team], days_open=2)
    links = links_from_outbox(org_a)
    for m in members[:5]:
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(4))
    with tenant_session(org_a) as session:
        for call in (
            lambda: services.survey_results(session=session, ctx=org_a, survey_id=survey_id),
            lambda: services.export_results_csv(session=session, ctx=org_a, survey_id=survey_id),
        ):
            with pytest.raises(Conflict, match="once the survey has closed"):
                call()
        # The response rate is live meanwhile (counts only).
        progress = services.survey_progress(session=session, ctx=org_a, survey_id=survey_id)
    assert progress[0].answered == 5
    # Past its end date the survey is over without an explicit close: results are final.
    clock.freeze(clock.utcnow() + timedelta(days=3))
    assert results(org_a, survey_id).teams[0].responses == 5
    with pytest.raises(Conflict, match="expired"):
        services.submit_response(token=links[email_of(members[5])][0], answers=westrum_answers(4))


def test_results_keep_the_team_as_it_was_at_launch(org_a):
    team, members = team_with(org_a, "Alpha", 5)
    survey_id = launch(org_a, [team])
    links = links_from_outbox(org_a)
    for m in members:
        services.submit_response(token=links[email_of(m)][0], answers=westrum_answers(6))
    with tenant_session(org_a) as session:
        identity.rename_team(session=session, ctx=org_a, team_id=team, name="Renamed")
        identity.delete_team(session=session, ctx=org_a, team_id=team)
    close(org_a, survey_id)
    group = results(org_a, survey_id).teams[0]
    assert (group.label, group.responses, group.visible) == ("Alpha", 5, True)
    with tenant_session(org_a) as session, pytest.raises(Conflict, match="exist any more"):
        services.rerun_survey(session=session, ctx=org_a, survey_id=survey_id)
