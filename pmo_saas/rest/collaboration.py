"""Collaboration endpoints: a thread of comments (read), post a comment or reply (read-write
key), the key creator's notifications (read). Visibility is the services': a thread of an
object the key's role may not see is "not found"."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.collaboration.schemas import CommentRow, NotificationRow
from pmo_saas.collaboration.services import comments as comment_services
from pmo_saas.collaboration.services import notifications as notification_services
from pmo_saas.collaboration.targets import registered_kinds
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.rest.core import MAX_ID, Endpoint, flag, page, query_param

_KINDS_TEXT = (
    "The kind of object: initiative, scoring_round, scenario, risk, gate_review, "
    "coaching_plan, coaching_goal or assessment_round."
)
_KIND = query_param("target_kind", {"type": "string", "maxLength": 24}, _KINDS_TEXT)
_TARGET = query_param(
    "target_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "The object's id."
)
_UNREAD = query_param("unread_only", {"type": "boolean"})

REQUEST_SCHEMAS: dict[str, Any] = {
    "CommentCreate": {
        "type": "object",
        "properties": {
            "target_kind": {"type": "string", "maxLength": 24, "description": _KINDS_TEXT},
            "target_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "body": {
                "type": "string",
                "maxLength": comment_services.MAX_BODY,
                "description": "Markdown subset; mentions as @[Name](user:12) or @[Team](team:3).",
            },
            "parent_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
        },
        "required": ["target_kind", "target_id", "body"],
        "additionalProperties": False,
    },
}


def _target_id(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValidationFailed("target_id is a whole number.", field="target_id")
    text = str(raw)
    if not text.isascii() or not text.isdigit() or not 0 < int(text) <= MAX_ID:
        raise ValidationFailed("target_id is a whole number.", field="target_id")
    return int(text)


def _kind(raw: object) -> str:
    if not isinstance(raw, str) or raw not in registered_kinds():
        raise ValidationFailed("target_kind is one of: " + ", ".join(registered_kinds()) + ".")
    return raw


def comments(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    """Top-level comments oldest first, each with its replies."""
    thread = comment_services.comment_thread(
        session=session,
        ctx=ctx,
        target_kind=_kind(query.get("target_kind")),
        target_id=_target_id(query.get("target_id")),
    )
    return page(thread.comments, query)


def post_comment(*, session: Session, ctx: TenantContext, body: dict[str, Any]) -> Any:
    extra = set(body) - set(REQUEST_SCHEMAS["CommentCreate"]["properties"])
    if extra:
        raise ValidationFailed(f"Unknown field: {sorted(extra)[0]}.")
    text = body.get("body")
    if not isinstance(text, str):
        raise ValidationFailed("body is the comment's text.", field="body")
    parent = body.get("parent_id")
    kind, target_id = _kind(body.get("target_kind")), _target_id(body.get("target_id"))
    comment_id = comment_services.post_comment(
        session=session,
        ctx=ctx,
        target_kind=kind,
        target_id=target_id,
        body=text,
        parent_id=None if parent is None else _target_id(parent),
    )
    thread = comment_services.comment_thread(
        session=session, ctx=ctx, target_kind=kind, target_id=target_id
    )
    for top in thread.comments:
        for row in (top, *top.replies):
            if row.id == comment_id:
                return row
    raise AssertionError("the new comment is in its thread")


def notifications(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    """The key creator's notifications, newest first."""
    found = notification_services.list_notifications(
        session=session, ctx=ctx, unread_only=flag(query, "unread_only"), limit=200
    )
    return page(found, query)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/comments", "A thread of comments on an object (replies nested)",
             comments, list[CommentRow], query=(_KIND, _TARGET), paginated=True),
    Endpoint("POST", "/comments", "Post a comment or a reply (mentions notify)", post_comment,
             CommentRow, write=True, body="CommentCreate", status=201),
    Endpoint("GET", "/notifications", "The key creator's notifications, newest first",
             notifications, list[NotificationRow], query=(_UNREAD,), paginated=True),
)  # fmt: skip
