"""Comment threads: visibility follows the object, mentions, the edit window, removal, audit,
safe rendering, and the other organisation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from pmo_saas.collaboration.models import Comment, Notification
from pmo_saas.collaboration.services import comments
from pmo_saas.db import system_session, tenant_session
from pmo_saas.identity.models import AuditEvent
from pmo_saas.kernel import clock
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from tests import factories
from tests.collaboration.helpers import mention, post, world


def _thread(ctx, kind, target_id):
    with tenant_session(ctx) as session:
        return comments.comment_thread(
            session=session, ctx=ctx, target_kind=kind, target_id=target_id
        )


def test_thread_with_one_level_of_replies(org_a):
    w = world(org_a)
    first = post(w.ann, "initiative", w.initiative, "Why **this** one?")
    reply = post(w.bob, "initiative", w.initiative, "Because.", parent=first)
    post(w.owner, "initiative", w.initiative, "Reply to the reply", parent=reply)
    thread = _thread(w.coach, "initiative", w.initiative)
    assert thread.total == 3
    assert [c.id for c in thread.comments] == [first]
    assert [r.body for r in thread.comments[0].replies] == ["Because.", "Reply to the reply"]
    assert thread.comments[0].html == "<p>Why <strong>this</strong> one?</p>\n"
    assert thread.comments[0].author_name == "Ann Able"


def test_comments_on_a_team_plan_only_for_those_who_see_the_plan(org_a):
    w = world(org_a)
    post(w.coach, "coaching_plan", w.plan_b, "For team B only")
    assert _thread(w.bob, "coaching_plan", w.plan_b).total == 1
    assert _thread(w.owner, "coaching_plan", w.plan_b).total == 1
    with pytest.raises(NotFound):
        _thread(w.ann, "coaching_plan", w.plan_b)
    with pytest.raises(NotFound):
        post(w.ann, "coaching_plan", w.plan_b, "Let me in")
    # Their own team's plan is theirs to discuss.
    post(w.ann, "coaching_plan", w.plan_a, "Our plan")
    assert _thread(w.ann, "coaching_plan", w.plan_a).total == 1


def test_hidden_and_missing_objects_look_the_same(org_a):
    w = world(org_a)
    with pytest.raises(NotFound) as hidden:
        _thread(w.ann, "coaching_plan", w.plan_b)
    with pytest.raises(NotFound) as missing:
        _thread(w.ann, "coaching_plan", 987654)
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(NotFound):
        _thread(w.ann, "no_such_kind", 1)


def test_a_mention_of_someone_who_cannot_see_it_is_refused_without_telling(org_a):
    w = world(org_a)
    with pytest.raises(ValidationFailed) as refused:
        post(w.coach, "coaching_plan", w.plan_b, f"Ask {mention(w.ann)}")
    message = str(refused.value)
    assert "Ann Able cannot see this coaching plan" in message
    assert "B's plan" not in message and "Team B" not in message
    with pytest.raises(ValidationFailed, match="Some members of Team A cannot see"):
        post(w.coach, "coaching_plan", w.plan_b, f"@[Team A](team:{w.team_a}) look")
    with system_session() as session:
        assert session.exec(select(Comment)).all() == []
        assert session.exec(select(Notification)).all() == []


def test_mentions_of_people_outside_the_organisation_are_refused(org_a, org_b):
    w = world(org_a)
    with pytest.raises(ValidationFailed, match="Only members of this organisation"):
        post(w.ann, "initiative", w.initiative, f"hi {mention(org_b)}")
    with tenant_session(w.ann) as session:
        choices = comments.mention_choices(session=session, ctx=w.ann, query="")
    names = {c.name for c in choices}
    assert {"Ann Able", "Bob Baker", "Team A"} <= names
    assert "Org B Owner" not in names


def test_edit_within_the_window_only(org_a):
    w = world(org_a)
    comment_id = post(w.ann, "initiative", w.initiative, "Frist")
    with tenant_session(w.ann) as session:
        comments.edit_comment(session=session, ctx=w.ann, comment_id=comment_id, body="First")
    with pytest.raises(Forbidden, match="Only the author"), tenant_session(w.bob) as session:
        comments.edit_comment(session=session, ctx=w.bob, comment_id=comment_id, body="Mine")
    clock.freeze(clock.utcnow() + timedelta(minutes=16))
    with pytest.raises(Forbidden, match="15 minutes"), tenant_session(w.ann) as session:
        comments.edit_comment(session=session, ctx=w.ann, comment_id=comment_id, body="Late")
    row = _thread(w.ann, "initiative", w.initiative).comments[0]
    assert (row.body, row.edited, row.can_edit) == ("First", True, False)


def test_removed_leaves_comment_removed_and_keeps_replies(org_a):
    w = world(org_a)
    first = post(w.ann, "initiative", w.initiative, "Secret plan")
    post(w.bob, "initiative", w.initiative, "Answer", parent=first)
    with pytest.raises(Forbidden), tenant_session(w.bob) as session:
        comments.delete_comment(session=session, ctx=w.bob, comment_id=first)
    with tenant_session(w.ann) as session:
        comments.delete_comment(session=session, ctx=w.ann, comment_id=first)
    row = _thread(w.bob, "initiative", w.initiative).comments[0]
    assert row.removed and row.body == "" and row.html == ""
    assert [r.body for r in row.replies] == ["Answer"]
    with system_session() as session:
        assert session.get(Comment, first).body == ""  # the text is gone, not hidden


def test_every_change_is_audited(org_a):
    w = world(org_a)
    comment_id = post(w.ann, "initiative", w.initiative, "One")
    with tenant_session(w.ann) as session:
        comments.edit_comment(session=session, ctx=w.ann, comment_id=comment_id, body="Two")
    with tenant_session(w.owner) as session:  # an admin removes it
        comments.delete_comment(session=session, ctx=w.owner, comment_id=comment_id)
    with system_session() as session:
        rows = session.exec(
            select(AuditEvent.action, AuditEvent.target, AuditEvent.actor_id)
            .where(col(AuditEvent.action).startswith("comment."))
            .order_by(col(AuditEvent.id))
        ).all()
    target = f"initiative:{w.initiative}"
    assert rows == [
        ("comment.posted", target, w.ann.user_id),
        ("comment.edited", target, w.ann.user_id),
        ("comment.removed", target, w.owner.user_id),
    ]


def test_rendering_is_safe(org_a):
    w = world(org_a)
    post(
        w.ann,
        "initiative",
        w.initiative,
        "<script>alert(1)</script> [x](javascript:alert(1)) [ok](https://e.org) "
        f"<img src=x onerror=alert(1)> {mention(w.bob)}",
    )
    html = _thread(w.ann, "initiative", w.initiative).comments[0].html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert '<a href="https://e.org" rel="noopener noreferrer nofollow"' in html
    assert "<strong>@Bob Baker</strong>" in html  # the name from the database


def test_viewers_read_but_do_not_post(org_a):
    w = world(org_a)
    viewer = factories.make_member(org_a, factories.Role.VIEWER)
    post(w.ann, "initiative", w.initiative, "Hello")
    assert _thread(viewer, "initiative", w.initiative).total == 1
    with pytest.raises(Forbidden):
        post(viewer, "initiative", w.initiative, "Me too")


def test_the_other_organisation_cannot_read_or_change_comments(org_a, org_b):
    w = world(org_a)
    comment_id = post(w.ann, "initiative", w.initiative, "Ours")
    with pytest.raises(NotFound):
        _thread(org_b, "initiative", w.initiative)
    with pytest.raises(NotFound):
        post(org_b, "initiative", w.initiative, "Theirs")
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        comments.delete_comment(session=session, ctx=org_b, comment_id=comment_id)
    with pytest.raises(NotFound), tenant_session(org_b) as session:
        comments.edit_comment(session=session, ctx=org_b, comment_id=comment_id, body="x")
    with tenant_session(org_b) as session:
        assert session.exec(select(Comment)).all() == []
