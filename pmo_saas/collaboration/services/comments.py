"""Comment threads on any registered object (targets.py): read, post, reply, edit within the
window, remove; mentions checked against who may see the object; every change audited.

A thread shows only to those who may see its object, with the same "not found" for a hidden
object as for a missing one. Top-level comments take replies; a reply to a reply joins the
top-level comment's thread (one level). A removed comment stays as "comment removed" so the
replies keep their place.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from pmo_saas.collaboration import rendering, targets
from pmo_saas.collaboration.models import MENTIONED, REPLY, Comment
from pmo_saas.collaboration.schemas import CommentRow, MentionChoice, Thread
from pmo_saas.collaboration.services.common import (
    team_member_ids,
    team_names,
    user_names,
    when,
)
from pmo_saas.collaboration.services.notifications import notify
from pmo_saas.db import get_in_org
from pmo_saas.identity import audit
from pmo_saas.identity.models import Membership, Team, User
from pmo_saas.kernel.clock import as_utc, utcnow
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import Forbidden, NotFound, ValidationFailed
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings

MAX_BODY = 10_000
REMOVED = "comment removed"
POST_ROLE_MESSAGE = "Viewers read the conversation but do not comment."
MAX_CHOICES = 8


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise ValidationFailed("Write something first.", field="body")
    if len(text) > MAX_BODY:
        raise ValidationFailed(f"A comment is at most {MAX_BODY} characters.", field="body")
    return text


def _edit_window() -> timedelta:
    return timedelta(minutes=get_settings().comment_edit_minutes)


def _within_window(comment: Comment) -> bool:
    return utcnow() - as_utc(comment.created_at) <= _edit_window()


def _render(session: Session, body: str) -> str:
    users, teams = rendering.mentions_in(body)
    people, team_labels = user_names(session, users), team_names(session, teams)
    return rendering.render(
        body, lambda kind, i: (people if kind == "user" else team_labels).get(i)
    )


_THREAD_COLUMNS = (
    col(Comment.id),
    col(Comment.parent_id),
    col(Comment.author_id),
    col(Comment.body),
    col(Comment.html),
    col(Comment.created_at),
    col(Comment.edited_at),
    col(Comment.deleted_at),
)


def comment_thread(
    *, session: Session, ctx: TenantContext, target_kind: str, target_id: int
) -> Thread:
    """The whole conversation on an object, oldest first, replies under their comment.

    Plain column rows and unvalidated DTOs (the values come from the database): a thread
    of 1,000 comments loads in a few tens of milliseconds (bench/comments.py).
    """
    kind = targets.require_visible(session, ctx, target_kind, target_id)
    rows = session.execute(
        sa_select(*_THREAD_COLUMNS)
        .where(col(Comment.target_kind) == target_kind, col(Comment.target_id) == target_id)
        .order_by(col(Comment.id))
    ).all()
    people = user_names(session, {r[2] for r in rows})
    window_start = utcnow() - _edit_window()
    admin = ctx.has(Role.ADMIN)
    tops: list[CommentRow] = []
    by_id: dict[int, CommentRow] = {}
    for cid, parent_id, author_id, body, html, created, edited, deleted in rows:
        removed = deleted is not None
        mine = author_id is not None and author_id == ctx.user_id
        created = as_utc(created)
        row = CommentRow.model_construct(
            id=cid,
            parent_id=parent_id,
            author_id=author_id,
            author_name=people.get(author_id or 0, "(former member)"),
            html="" if removed else html,
            body="" if removed else body,
            created_at=created.isoformat(),
            when=when(created),
            edited=edited is not None,
            removed=removed,
            mine=mine,
            can_edit=mine and not removed and created >= window_start,
            can_delete=not removed and (mine or admin),
            replies=[],
        )
        parent = by_id.get(parent_id) if parent_id is not None else None
        if parent is None:
            tops.append(row)
            by_id[cid] = row
        else:
            parent.replies.append(row)
    return Thread(
        target_kind=target_kind,
        target_id=target_id,
        label=kind.label,
        comments=tops,
        total=len(rows),
    )


def thread_version(
    *, session: Session, ctx: TenantContext, target_kind: str, target_id: int
) -> str:
    """Changes whenever a comment is posted, edited or removed (an open thread re-reads
    itself only then)."""
    targets.require_visible(session, ctx, target_kind, target_id)
    count, last, edited, removed = session.exec(
        select(
            func.count(col(Comment.id)),
            func.max(col(Comment.id)),
            func.max(col(Comment.edited_at)),
            func.count(col(Comment.deleted_at)),
        ).where(Comment.target_kind == target_kind, Comment.target_id == target_id)
    ).one()
    return f"{count}:{last}:{edited}:{removed}"


def _mentioned_people(
    session: Session, ctx: TenantContext, kind: targets.TargetKind, target_id: int, body: str
) -> set[int]:
    """Everyone the body mentions (teams by their members); refuses a mention of someone
    who may not see the object, saying so without telling anything about it."""
    user_ids, team_ids = rendering.mentions_in(body)
    if not user_ids and not team_ids:
        return set()
    members = targets.member_contexts(session, ctx, user_ids)
    if set(members) != user_ids:
        raise ValidationFailed("Only members of this organisation can be mentioned.", field="body")
    people = set(user_ids)
    names = user_names(session, user_ids)
    for uid, other in sorted(members.items()):
        if not kind.can_see(session, other, target_id):
            raise ValidationFailed(
                f"{names.get(uid, 'That person')} cannot see this {kind.label}, so they "
                "cannot be mentioned here.",
                field="body",
            )
    for team_id in sorted(team_ids):
        team = session.get(Team, team_id) if team_id < 2**31 else None
        if team is None:
            raise ValidationFailed("Only teams of this organisation can be mentioned.")
        team_people = team_member_ids(session, team_id)
        if targets.who_can_see(session, ctx, kind.kind, target_id, team_people) != team_people:
            raise ValidationFailed(
                f"Some members of {team.name} cannot see this {kind.label}, so the team "
                "cannot be mentioned here; mention the people who can instead.",
                field="body",
            )
        people |= team_people
    return people


def _mentioned_unchecked(session: Session, body: str) -> set[int]:
    user_ids, team_ids = rendering.mentions_in(body)
    for team_id in team_ids:
        user_ids |= team_member_ids(session, team_id) if team_id < 2**31 else set()
    return user_ids


def _thread_people(session: Session, root_id: int) -> set[int]:
    rows = session.exec(
        select(Comment.author_id).where(
            (col(Comment.id) == root_id) | (col(Comment.parent_id) == root_id)
        )
    ).all()
    return {a for a in rows if a is not None}


def _actor_name(session: Session, ctx: TenantContext) -> str:
    actor = session.get(User, ctx.user_id) if ctx.user_id is not None else None
    return actor.name if actor is not None else "Someone"


def post_comment(
    *,
    session: Session,
    ctx: TenantContext,
    target_kind: str,
    target_id: int,
    body: str,
    parent_id: int | None = None,
) -> int:
    """A new comment (or a reply to `parent_id`); notifies those mentioned and, for a reply,
    the others in the thread. Returns its id."""
    kind = targets.require_visible(session, ctx, target_kind, target_id)
    ctx.require(Role.MEMBER, POST_ROLE_MESSAGE)
    text = _clean_body(body)
    root: Comment | None = None
    if parent_id is not None:
        root = get_in_org(session, Comment, parent_id, "That comment")
        if (root.target_kind, root.target_id) != (target_kind, target_id):
            raise NotFound("That comment")
        if root.parent_id is not None:
            root = get_in_org(session, Comment, root.parent_id, "That comment")
    mentioned = _mentioned_people(session, ctx, kind, target_id, text)
    comment = Comment(
        target_kind=target_kind,
        target_id=target_id,
        parent_id=root.id if root is not None else None,
        author_id=ctx.user_id,
        body=text,
        html=_render(session, text),
    )
    comment_id = audit.add_audited(
        session=session,
        ctx=ctx,
        row=comment,
        action="comment.posted",
        target=f"{target_kind}:{target_id}",
        detail=f"comment {'reply to ' + str(root.id) + ' ' if root else ''}({len(text)} chars)",
    )
    title, _path = kind.describe(session, target_id)
    actor = _actor_name(session, ctx)
    what = f"{kind.label} “{title}”"
    notify(
        session=session,
        ctx=ctx,
        kind=MENTIONED,
        recipient_ids=mentioned,
        title=f"{actor} mentioned you on {what}",
        target_kind=target_kind,
        target_id=target_id,
        comment_id=comment_id,
    )
    if root is not None and root.id is not None:
        notify(
            session=session,
            ctx=ctx,
            kind=REPLY,
            recipient_ids=_thread_people(session, root.id) - mentioned,
            title=f"{actor} replied in a thread on {what}",
            target_kind=target_kind,
            target_id=target_id,
            comment_id=comment_id,
        )
    return comment_id


def _own_comment(session: Session, ctx: TenantContext, comment_id: int) -> Comment:
    comment = get_in_org(session, Comment, comment_id, "That comment")
    targets.require_visible(session, ctx, comment.target_kind, comment.target_id)
    if comment.deleted_at is not None:
        raise NotFound("That comment")
    return comment


def edit_comment(*, session: Session, ctx: TenantContext, comment_id: int, body: str) -> None:
    """The author's edit, within the edit window; people newly mentioned are notified."""
    comment = _own_comment(session, ctx, comment_id)
    if comment.author_id is None or comment.author_id != ctx.user_id:
        raise Forbidden("Only the author can edit a comment.")
    if not _within_window(comment):
        minutes = get_settings().comment_edit_minutes
        raise Forbidden(
            f"A comment can be edited for {minutes} minutes after posting; write a new one."
        )
    text = _clean_body(body)
    kind = targets.target_kind(comment.target_kind)
    before = _mentioned_unchecked(session, comment.body)
    after = _mentioned_people(session, ctx, kind, comment.target_id, text)
    comment.body, comment.html, comment.edited_at = text, _render(session, text), utcnow()
    session.add(comment)
    audit.record(
        session=session,
        ctx=ctx,
        action="comment.edited",
        target=f"{comment.target_kind}:{comment.target_id}",
        detail=f"comment {comment_id} ({len(text)} chars)",
    )
    if after - before:
        title, _path = kind.describe(session, comment.target_id)
        notify(
            session=session,
            ctx=ctx,
            kind=MENTIONED,
            recipient_ids=after - before,
            title=f"{_actor_name(session, ctx)} mentioned you on {kind.label} “{title}”",
            target_kind=comment.target_kind,
            target_id=comment.target_id,
            comment_id=comment_id,
        )


def delete_comment(*, session: Session, ctx: TenantContext, comment_id: int) -> None:
    """The author, or an admin, removes a comment: its text goes, "comment removed" stays."""
    comment = _own_comment(session, ctx, comment_id)
    if comment.author_id != ctx.user_id or ctx.user_id is None:
        ctx.require(Role.ADMIN, "Only the author or an admin can remove a comment.")
    comment.body, comment.html, comment.deleted_at = "", "", utcnow()
    session.add(comment)
    audit.record(
        session=session,
        ctx=ctx,
        action="comment.removed",
        target=f"{comment.target_kind}:{comment.target_id}",
        detail=f"comment {comment_id}",
    )


def mention_choices(*, session: Session, ctx: TenantContext, query: str) -> list[MentionChoice]:
    """Members and teams of the caller's organisation whose name or address starts with (or
    contains) `query`: the autocomplete of the comment box."""
    text = (query or "").strip().lstrip("@").lower()[:60]
    pattern = f"%{text}%"
    people = session.exec(
        select(User.id, User.name)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(func.lower(User.name).like(pattern) | func.lower(User.email).like(pattern))
        .order_by(col(User.name))
        .limit(MAX_CHOICES)
    ).all()
    teams = session.exec(
        select(Team.id, Team.name)
        .where(func.lower(Team.name).like(pattern))
        .order_by(col(Team.name))
        .limit(MAX_CHOICES)
    ).all()
    choices = [
        MentionChoice(kind="user", id=uid, name=name, markup=f"@[{_label(name)}](user:{uid})")
        for uid, name in people
        if uid is not None
    ]
    choices += [
        MentionChoice(kind="team", id=tid, name=name, markup=f"@[{_label(name)}](team:{tid})")
        for tid, name in teams
        if tid is not None
    ]
    return choices[:MAX_CHOICES]


def _label(name: str) -> str:
    return name.replace("]", ")").replace("\n", " ")[:120] or "?"
