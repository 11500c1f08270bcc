"""The events that notify beside comments: invited to score, my initiative funded or not,
action overdue, the survey I run closed, my team's results published. Each: exactly one
notification per person however often it is reported, never to someone outside the
organisation or removed from it, never about a group the anonymity rules hide, and the
person's channel respected (off, in-app, mail at once, daily digest; unsubscribe)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import select
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.coaching.services import actions as coaching_actions
from pmo_saas.collaboration.models import (
    ACTION_OVERDUE,
    FUNDING,
    INVITED_TO_SCORE,
    RESULTS_PUBLISHED,
    SURVEY_CLOSED,
    Notification,
)
from pmo_saas.collaboration.services import mailing
from pmo_saas.collaboration.services import notifications as notes
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import OutboxMessage, User
from pmo_saas.jobs import tasks
from pmo_saas.kernel.clock import utcnow
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.portfolio.services import funding as funding_services
from pmo_saas.portfolio.services import rounds as round_services
from pmo_saas.surveys import services as surveys
from pmo_saas.surveys.models import Survey
from tests import factories
from tests.collaboration.events import answered_survey, remove, told
from tests.collaboration.helpers import world
from tests.portfolio.builders import make_initiative, make_portfolio, wsjf


def _prefer(ctx, kind, channel):
    with tenant_session(ctx) as session:
        notes.set_preference(session=session, ctx=ctx, kind=kind, channel=channel)


def _mails(ctx) -> list[OutboxMessage]:
    with system_session() as session:
        email = session.get(User, ctx.user_id).email
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.to_email == email)))


# ---------------------------------------------------------------- invited to score


def _open_round(coach, pid, scorer_ids):
    with tenant_session(coach) as session:
        return round_services.open_scoring_round(
            session=session, ctx=coach, portfolio_id=pid, name="Q1", scorer_user_ids=scorer_ids
        )


def test_invited_to_score_tells_each_scorer_once(org_a, org_b):
    w = world(org_a)
    pid = make_portfolio(w.owner, "Scored")
    make_initiative(w.owner, pid, "One")
    round_id = _open_round(w.coach, pid, [w.ann.user_id, w.bob.user_id, w.coach.user_id])
    for person in (w.ann, w.bob):
        [n] = told(person, INVITED_TO_SCORE)
        assert (n.target_kind, n.target_id) == ("scoring_round", round_id)
        assert "“Q1”" in n.title and n.org_id == org_a.org_id
    assert told(w.coach) == []  # never the one who opened it
    with tenant_session(w.coach) as session:  # the same event reported again: no second one
        again = notes.notify(
            session=session,
            ctx=w.coach,
            kind=INVITED_TO_SCORE,
            recipient_ids=[w.ann.user_id, w.bob.user_id],
            title="again",
            target_kind="scoring_round",
            target_id=round_id,
            event_key=f"round:{round_id}",
        )
    assert again == 0 and len(told(w.ann, INVITED_TO_SCORE)) == 1
    with pytest.raises(NotFound):  # a person of another organisation cannot be invited
        _open_round(w.coach, pid, [org_b.user_id])
    assert told(org_b) == []


def test_off_means_nothing_and_at_once_means_a_mail(org_a):
    w = world(org_a)
    pid = make_portfolio(w.owner, "Scored")
    make_initiative(w.owner, pid, "One")
    _prefer(w.ann, INVITED_TO_SCORE, "off")
    _prefer(w.bob, INVITED_TO_SCORE, "immediate")
    _open_round(w.coach, pid, [w.ann.user_id, w.bob.user_id])
    assert told(w.ann) == []
    [n] = told(w.bob)
    assert n.channel == "immediate"
    # Bob takes this kind by mail: the notification's mail is his invitation, not a second one
    assert _mails(w.bob) == []
    assert [m.subject for m in _mails(w.ann)] == ["You are invited to score “Scored”"]
    tasks.run_notification_mail()
    tasks.run_notification_mail()
    mails = _mails(w.bob)
    assert len(mails) == 1 and mails[0].subject.startswith("You are invited to score")
    assert "/notifications" in mails[0].body  # each notification opens its round


# ---------------------------------------------------------------- funding


def _funding_world(w):
    pid = make_portfolio(w.owner, "Funded", budget=100)
    a = make_initiative(
        w.owner, pid, "Alpha", cost=60, scores=wsjf(20, 20, 20, 20), owner="ann able"
    )
    bob_email = _email(w.bob)
    b = make_initiative(w.owner, pid, "Beta", cost=50, scores=wsjf(13, 13, 13, 20), owner=bob_email)
    with tenant_session(w.owner) as session:
        scenario = funding_services.create_scenario(
            session=session, ctx=w.owner, portfolio_id=pid, name="Lean"
        )
    return pid, a, b, scenario


def _email(ctx) -> str:
    with system_session() as session:
        return session.get(User, ctx.user_id).email


def _publish(ctx, scenario):
    with tenant_session(ctx) as session:
        return funding_services.publish_scenario(session=session, ctx=ctx, scenario_id=scenario)


def test_a_published_plan_tells_owners_what_changed_once(org_a):
    w = world(org_a)
    _pid, a, b, scenario = _funding_world(w)
    _publish(w.coach, scenario)
    [funded] = told(w.ann, FUNDING)
    [not_funded] = told(w.bob, FUNDING)
    assert funded.title == "“Alpha” is funded in the published plan “Lean”"
    assert (funded.target_kind, funded.target_id) == ("initiative", a)
    assert not_funded.title == "“Beta” is not funded in the published plan “Lean”"
    _publish(w.coach, scenario)  # the same plan again: nothing changed, nobody told
    assert len(told(w.ann)) == 1 and len(told(w.bob)) == 1
    with tenant_session(w.coach) as session:
        funding_services.update_scenario(
            session=session, ctx=w.coach, scenario_id=scenario, overrides={b: "in", a: "out"}
        )
    _publish(w.coach, scenario)
    assert [n.title for n in told(w.ann, FUNDING)][-1] == (
        "“Alpha” is no longer funded in the published plan “Lean”"
    )
    assert [n.title for n in told(w.bob, FUNDING)][-1] == (
        "“Beta” is funded in the published plan “Lean”"
    )
    assert len(told(w.ann)) == 2 and len(told(w.bob)) == 2
    assert told(w.coach) == [] and told(w.owner) == []


def test_an_owner_named_twice_or_outside_the_organisation_is_not_told(org_a, org_b):
    w = world(org_a)
    twin_one = factories.make_member(org_a, Role.MEMBER, name="Sam Same")
    twin_two = factories.make_member(org_a, Role.MEMBER, name="Sam Same")
    outsider = factories.make_member(org_b, Role.MEMBER, name="Olga Outside")
    pid = make_portfolio(w.owner, "Owners", budget=1000)
    make_initiative(w.owner, pid, "Twin", cost=10, scores=wsjf(5, 5, 5, 5), owner="Sam Same")
    make_initiative(w.owner, pid, "Far", cost=10, scores=wsjf(5, 5, 5, 5), owner="Olga Outside")
    make_initiative(w.owner, pid, "Gone", cost=10, scores=wsjf(5, 5, 5, 5), owner=_email(w.bob))
    remove(w.owner, w.bob)
    with tenant_session(w.owner) as session:
        scenario = funding_services.create_scenario(
            session=session, ctx=w.owner, portfolio_id=pid, name="All"
        )
    _publish(w.coach, scenario)
    for person in (twin_one, twin_two, outsider, w.bob):
        assert told(person) == []


def test_the_funding_mail_goes_in_the_daily_digest(org_a):
    w = world(org_a)
    _pid, _a, _b, scenario = _funding_world(w)
    _prefer(w.ann, FUNDING, "digest")
    _publish(w.coach, scenario)
    tasks.run_notification_mail()
    assert _mails(w.ann) == []
    tasks.run_notification_digest()
    tasks.run_notification_digest()
    [mail] = _mails(w.ann)
    assert mail.subject == "Your daily digest: 1 notification"
    assert "“Alpha” is funded" in mail.body


# ---------------------------------------------------------------- action overdue


def _action(coach, plan_id, owner, title, due):
    with tenant_session(coach) as session:
        return coaching_actions.add_action(
            session=session,
            ctx=coach,
            plan_id=plan_id,
            title=title,
            owner_user_id=owner.user_id,
            due_date=due,
        ).id


def test_an_overdue_action_is_announced_once_per_due_date(org_a):
    w = world(org_a)
    today = utcnow().date()
    late = _action(w.coach, w.plan_a, w.ann, "Pair daily", today - timedelta(days=1))
    _action(w.coach, w.plan_a, w.ann, "Due today", today)
    _action(w.coach, w.plan_a, w.ann, "Long forgotten", today - timedelta(days=30))
    done = _action(w.coach, w.plan_a, w.ann, "Done already", today - timedelta(days=2))
    with tenant_session(w.ann) as session:
        coaching_actions.set_action_status(
            session=session, ctx=w.ann, action_id=done, status="done"
        )
    assert tasks.run_due_events() is not None
    tasks.run_due_events()  # the job twice: still once
    [n] = told(w.ann, ACTION_OVERDUE)
    assert "Pair daily" in n.title and n.target_id == w.plan_a and n.actor_id is None
    # Moved to a new date that passes too: overdue again, once.
    with tenant_session(w.coach) as session:
        coaching_actions.update_action(
            session=session,
            ctx=w.coach,
            action_id=late,
            title="Pair daily",
            owner_user_id=w.ann.user_id,
            due_date=today - timedelta(days=2),
            goal_id=None,
            scope="team",
        )
    tasks.run_due_events()
    tasks.run_due_events()
    assert len(told(w.ann, ACTION_OVERDUE)) == 2


def test_two_workers_at_once_announce_an_overdue_action_once(org_a):
    w = world(org_a)
    _action(w.coach, w.plan_b, w.bob, "Retro", utcnow().date() - timedelta(days=1))
    system = tasks._system_ctx(org_a.org_id)

    def one_worker(_: int) -> int:
        with tenant_session(system) as session:
            return coaching_actions.notify_overdue_actions(
                session=session, ctx=system, today=utcnow().date()
            )

    with ThreadPoolExecutor(max_workers=2) as pool:
        created = list(pool.map(one_worker, range(2)))
    assert sorted(created) == [0, 1]
    assert len(told(w.bob, ACTION_OVERDUE)) == 1


def test_a_removed_owner_is_not_told_and_mail_at_once_can_be_unsubscribed(org_a, org_b):
    w = world(org_a)
    yesterday = utcnow().date() - timedelta(days=1)
    _action(w.coach, w.plan_a, w.ann, "Ann's", yesterday)
    _action(w.coach, w.plan_b, w.bob, "Bob's", yesterday)
    remove(w.owner, w.ann)
    _prefer(w.bob, ACTION_OVERDUE, "immediate")
    tasks.run_due_events()
    assert told(w.ann, ACTION_OVERDUE) == []
    assert told(org_b) == []
    tasks.run_notification_mail()
    [mail] = [m for m in _mails(w.bob) if "Overdue since" in m.body]
    found = re.search(r"Stop these mails[^:]*: https?://[^/]+(/notifications/unsubscribe/\S+)",
                      mail.body)  # fmt: skip
    assert found, mail.body
    client = TestClient(build_api(), follow_redirects=False)  # signed out
    # A token sealed with any other key is refused, even naming the right person and kind.
    made_up = Fernet(Fernet.generate_key()).encrypt(
        f"{org_a.org_id}:{w.bob.user_id}:{ACTION_OVERDUE}".encode()
    )
    refused = client.post(f"{mailing.UNSUBSCRIBE_PATH}/{made_up.decode()}")
    assert refused.status_code == 400
    with tenant_session(w.bob) as session:
        prefs = {p.kind: p.channel for p in notes.list_preferences(session=session, ctx=w.bob)}
    assert prefs[ACTION_OVERDUE] == "immediate"
    done = client.post(found.group(1))
    assert done.status_code == 200 and "no longer get mail" in done.text
    with tenant_session(w.bob) as session:
        prefs = {p.kind: p.channel for p in notes.list_preferences(session=session, ctx=w.bob)}
    assert prefs[ACTION_OVERDUE] == "in_app"
    with pytest.raises(ValidationFailed):  # Bob's token names org A: org B's is refused
        mailing.unsubscribe(
            token=mailing.unsubscribe_token(
                org_id=org_b.org_id, user_id=w.bob.user_id, kind=ACTION_OVERDUE
            )
        )


# ---------------------------------------------------------------- surveys


def test_closing_tells_the_creator_and_only_the_teams_the_results_show(org_a, org_b):
    w = world(org_a)
    s = answered_survey(w.coach)
    with tenant_session(w.owner) as session:  # another coach (the owner) closes it
        surveys.close_survey(session=session, ctx=w.owner, survey_id=s.survey_id)
    with tenant_session(w.coach) as session:  # closing again changes nothing
        surveys.close_survey(session=session, ctx=w.coach, survey_id=s.survey_id)
    [closed] = told(w.coach, SURVEY_CLOSED)
    assert (closed.target_kind, closed.target_id) == ("survey_results", s.survey_id)
    assert closed.title == "Your survey “Pulse” has closed: its results are ready"
    for person in s.shown:
        [n] = told(person)
        assert n.kind == RESULTS_PUBLISHED and n.target_id == s.shown_team
    # Small is below the threshold; Cover is hidden so Small cannot be worked out from the
    # total: neither hears of results they cannot see (even though Cover has 3 answers).
    for person in (*s.small, *s.cover):
        assert told(person) == []
    assert told(w.ann) == [] and told(org_b) == []
    with tenant_session(s.shown[0]) as session:
        [row] = notes.list_notifications(session=session, ctx=s.shown[0])
    assert row.path == f"/surveys/team/{s.survey_id}"


def test_a_survey_past_its_end_date_is_closed_by_the_job_once(org_a):
    w = world(org_a)
    s = answered_survey(w.coach)
    _prefer(w.coach, SURVEY_CLOSED, "digest")
    with tenant_session(w.coach) as session:
        survey = session.get(Survey, s.survey_id)
        survey.closes_at = utcnow() - timedelta(minutes=1)
        session.add(survey)
    tasks.run_due_events()
    tasks.run_due_events()
    with tenant_session(w.coach) as session:
        survey = session.get(Survey, s.survey_id)
        assert survey.status == "closed" and survey.closed_at is not None
        results = surveys.survey_results(session=session, ctx=w.coach, survey_id=s.survey_id)
    assert [g.visible for g in results.teams] == [False, True, False]  # Cover, Shown, Small
    [closed] = told(w.coach, SURVEY_CLOSED)
    assert closed.channel == "digest" and closed.actor_id is None
    assert [len(told(p, RESULTS_PUBLISHED)) for p in s.shown] == [1, 1, 1, 1]
    assert all(told(p) == [] for p in (*s.small, *s.cover))


def test_results_preference_off_and_a_removed_respondent(org_a):
    w = world(org_a)
    s = answered_survey(w.coach)
    _prefer(s.shown[0], RESULTS_PUBLISHED, "off")
    remove(w.owner, s.shown[1])
    with tenant_session(w.coach) as session:
        surveys.close_survey(session=session, ctx=w.coach, survey_id=s.survey_id)
    assert told(s.shown[0]) == [] and told(s.shown[1]) == []
    assert [len(told(p)) for p in s.shown[2:]] == [1, 1]
    with system_session() as session:
        count = len(session.exec(select(Notification)).all())
    assert count == 2  # two of the team's; the creator closed it and is not told of it


def test_one_digest_batches_the_events_of_several_kinds(org_a):
    w = world(org_a)
    _pid, _a, _b, scenario = _funding_world(w)
    _prefer(w.ann, FUNDING, "digest")
    _prefer(w.ann, ACTION_OVERDUE, "digest")
    _publish(w.coach, scenario)
    _action(w.coach, w.plan_a, w.ann, "Write the retro", utcnow().date() - timedelta(days=1))
    tasks.run_due_events()
    tasks.run_notification_mail()
    assert _mails(w.ann) == []
    tasks.run_notification_digest()
    [mail] = _mails(w.ann)
    assert mail.subject == "Your daily digest: 2 notifications"
    assert "“Alpha” is funded" in mail.body and "“Write the retro”" in mail.body
    assert "Stop these mails" not in mail.body  # two kinds: only the all-kinds link
    assert "Stop all notification mail from this organisation" in mail.body
    tasks.run_notification_digest()
    assert len(_mails(w.ann)) == 1
