"""Notifications: one per recipient per event, preferences, mail at once and the digest from
the job runner, the unsubscribe link signed out (and refused when forged or altered)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from pmo_saas.api import build_api
from pmo_saas.coaching.services import actions as coaching_actions
from pmo_saas.collaboration.models import Notification, NotificationPreference
from pmo_saas.collaboration.services import mailing
from pmo_saas.collaboration.services import notifications as notes
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import OutboxMessage, User
from pmo_saas.jobs import tasks
from pmo_saas.kernel.errors import NotFound, ValidationFailed
from pmo_saas.portfolio.services import governance
from tests.collaboration.helpers import mention, post, world


def _notifications(ctx):
    with tenant_session(ctx) as session:
        return notes.list_notifications(session=session, ctx=ctx)


def _count(ctx) -> int:
    with tenant_session(ctx) as session:
        return notes.unread_count(session=session, ctx=ctx)


def _prefer(ctx, kind, channel):
    with tenant_session(ctx) as session:
        notes.set_preference(session=session, ctx=ctx, kind=kind, channel=channel)


def _email(ctx) -> str:
    with system_session() as session:
        return session.get(User, ctx.user_id).email


def _mails(ctx) -> list[OutboxMessage]:
    with system_session() as session:
        return list(
            session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.to_email == _email(ctx))
                .order_by(col(OutboxMessage.id))
            ).all()
        )


def test_a_mention_notifies_each_person_once(org_a):
    w = world(org_a)
    post(w.ann, "initiative", w.initiative, f"{mention(w.bob)} and again {mention(w.bob)}")
    [row] = _notifications(w.bob)
    assert (
        row.kind == "mentioned" and row.title == "Ann Able mentioned you on initiative “Checkout”"
    )
    assert row.path == f"/dashboard/governance/{w.initiative}" and not row.read
    assert _count(w.bob) == 1
    assert _notifications(w.ann) == []  # never the actor
    # A team mention reaches each member once, the author mentioning their own team not.
    post(w.ann, "initiative", w.initiative, f"@[A](team:{w.team_a}) {mention(w.bob)}")
    assert _count(w.bob) == 2 and _count(w.ann) == 0


def test_a_reply_notifies_the_thread_once_each(org_a):
    w = world(org_a)
    first = post(w.ann, "initiative", w.initiative, "Question")
    post(w.bob, "initiative", w.initiative, "Answer", parent=first)
    assert [n.kind for n in _notifications(w.ann)] == ["reply"]
    post(w.coach, "initiative", w.initiative, f"More, {mention(w.ann)}", parent=first)
    # Ann: mentioned (not also "reply"); Bob: reply.
    assert [n.kind for n in _notifications(w.ann)] == ["mentioned", "reply"]
    assert [n.kind for n in _notifications(w.bob)] == ["reply"]
    assert _notifications(w.coach) == []


def test_notifications_never_reach_those_who_cannot_see_the_object(org_a):
    w = world(org_a)
    first = post(w.bob, "coaching_plan", w.plan_b, "Team B talk")
    post(w.coach, "coaching_plan", w.plan_b, "Reply", parent=first)
    assert len(_notifications(w.bob)) == 1
    with tenant_session(w.coach) as session:
        created = notes.notify(
            session=session,
            ctx=w.coach,
            kind="mentioned",
            recipient_ids=[w.ann.user_id, w.bob.user_id],
            title="x",
            target_kind="coaching_plan",
            target_id=w.plan_b,
        )
    assert created == 1 and _notifications(w.ann) == []


def test_preference_off_and_mark_read(org_a):
    w = world(org_a)
    _prefer(w.bob, "mentioned", "off")
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    assert _count(w.bob) == 0
    _prefer(w.bob, "mentioned", "in_app")
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    first, second = _notifications(w.bob)
    with tenant_session(w.bob) as session:
        notes.mark_read(session=session, ctx=w.bob, notification_id=first.id)
    assert _count(w.bob) == 1
    with pytest.raises(ValidationFailed), tenant_session(w.ann) as session:
        notes.mark_read(session=session, ctx=w.ann, notification_id=second.id)
    with tenant_session(w.bob) as session:
        assert notes.mark_all_read(session=session, ctx=w.bob) == 1
    assert _count(w.bob) == 0
    with tenant_session(w.bob) as session:
        prefs = {p.kind: p.channel for p in notes.list_preferences(session=session, ctx=w.bob)}
    assert prefs["mentioned"] == "in_app" and prefs["reply"] == "in_app"
    with pytest.raises(ValidationFailed):
        _prefer(w.bob, "mentioned", "pigeon")


def test_mail_at_once_is_sent_by_the_job_once(org_a):
    w = world(org_a)
    _prefer(w.bob, "mentioned", "immediate")
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    post(w.ann, "initiative", w.initiative, f"again {mention(w.bob)}")
    assert tasks.run_notification_mail() is not None
    [mail] = _mails(w.bob)
    assert mail.subject == "2 new notifications"
    assert mail.body.count("Ann Able mentioned you on initiative “Checkout”") == 2
    tasks.run_notification_mail()  # nothing twice
    assert len(_mails(w.bob)) == 1
    assert _mails(w.ann) == []  # in-app only by default


def test_the_daily_digest_batches_everything_pending(org_a):
    w = world(org_a)
    _prefer(w.ann, "reply", "digest")
    _prefer(w.ann, "mentioned", "digest")
    first = post(w.ann, "initiative", w.initiative, "Question")
    post(w.bob, "initiative", w.initiative, "One", parent=first)
    post(w.coach, "initiative", w.initiative, "Two", parent=first)
    post(w.bob, "initiative", w.initiative, mention(w.ann))
    tasks.run_notification_mail()  # the minute job leaves digest items alone
    assert _mails(w.ann) == []
    tasks.run_notification_digest()
    [mail] = _mails(w.ann)
    assert mail.subject == "Your daily digest: 3 notifications"
    assert "Bob Baker replied" in mail.body and "Cora Coach replied" in mail.body
    assert "Stop all notification mail" in mail.body
    tasks.run_notification_digest()
    assert len(_mails(w.ann)) == 1
    assert _count(w.ann) == 3  # the bell still shows them


def _unsubscribe_link(mail: OutboxMessage, what: str) -> str:
    found = re.search(rf"{what}[^:]*: https?://[^/]+(/notifications/unsubscribe/\S+)", mail.body)
    assert found, mail.body
    return found.group(1)


def test_unsubscribe_works_signed_out_and_refuses_forged_links(org_a):
    w = world(org_a)
    _prefer(w.bob, "mentioned", "immediate")
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    tasks.run_notification_mail()
    [mail] = _mails(w.bob)
    path = _unsubscribe_link(mail, "Stop these mails")
    client = TestClient(build_api(), follow_redirects=False)  # no cookie: signed out
    page = client.get(path)
    assert page.status_code == 200 and "Unsubscribe" in page.text
    with tenant_session(w.bob) as session:  # a GET changes nothing
        assert notes.list_preferences(session=session, ctx=w.bob)[0].channel == "immediate"
    token = path.rsplit("/", 1)[1]
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    forged = mailing.UNSUBSCRIBE_PATH + "/" + "gAAAAA" + "x" * 100
    for bad in (
        mailing.UNSUBSCRIBE_PATH + "/" + altered,
        forged,
        mailing.UNSUBSCRIBE_PATH + "/1:2:mentioned",
    ):
        refused = client.post(bad)
        assert refused.status_code == 400 and "not valid" in refused.text
    done = client.post(path)
    assert done.status_code == 200 and "no longer get mail" in done.text
    with tenant_session(w.bob) as session:
        prefs = {p.kind: p.channel for p in notes.list_preferences(session=session, ctx=w.bob)}
    assert prefs["mentioned"] == "in_app"
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    tasks.run_notification_mail()
    assert len(_mails(w.bob)) == 1 and _count(w.bob) == 2


def test_a_token_for_another_organisation_is_refused(org_a, org_b):
    w = world(org_a)
    token = mailing.unsubscribe_token(org_id=org_b.org_id, user_id=w.bob.user_id, kind="all")
    with pytest.raises(ValidationFailed):
        mailing.unsubscribe(token=token)
    with system_session() as session:
        assert session.exec(select(NotificationPreference)).all() == []


def test_action_assigned_notifies_the_owner_once(org_a):
    w = world(org_a)
    with tenant_session(w.coach) as session:
        action = coaching_actions.add_action(
            session=session,
            ctx=w.coach,
            plan_id=w.plan_a,
            title="Pair daily",
            owner_user_id=w.ann.user_id,
        )
    [row] = _notifications(w.ann)
    assert row.kind == "action_assigned" and "Pair daily" in row.title
    assert row.path == f"/coaching/plans/{w.plan_a}"
    with tenant_session(w.coach) as session:  # an edit that keeps the owner: nothing new
        coaching_actions.update_action(
            session=session,
            ctx=w.coach,
            action_id=action.id,
            title="Pair daily!",
            owner_user_id=w.ann.user_id,
            due_date=None,
            goal_id=None,
            scope="team",
        )
    assert len(_notifications(w.ann)) == 1


def test_gate_decision_notifies_the_owner_and_the_conversation(org_a):
    w = world(org_a)
    post(w.bob, "initiative", w.initiative, "Following this")
    with tenant_session(w.owner) as session:
        from pmo_saas.portfolio.models import Initiative

        row = session.get(Initiative, w.initiative)
        row.owner = "Ann Able"
        session.add(row)
    with tenant_session(w.owner) as session:
        governance.record_gate_review(
            session=session,
            ctx=w.owner,
            initiative_id=w.initiative,
            decision="proceed",
            decided_on="2026-11-02",
            approvers="Ada Sponsor",
        )
    for person in (w.ann, w.bob):
        [n] = _notifications(person)
        assert n.kind == "gate_decision" and "Checkout" in n.title
    assert _notifications(w.coach) == []


def test_the_other_organisation_sees_none_of_it(org_a, org_b):
    w = world(org_a)
    post(w.ann, "initiative", w.initiative, mention(w.bob))
    _prefer(w.bob, "reply", "digest")
    [row] = _notifications(w.bob)
    with tenant_session(org_b) as session:
        assert session.exec(select(Notification)).all() == []
        assert session.exec(select(NotificationPreference)).all() == []
        with pytest.raises(NotFound):
            notes.mark_read(session=session, ctx=org_b, notification_id=row.id)
    assert _count(w.bob) == 1
