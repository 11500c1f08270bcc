"""Collaboration endpoints: the comments on every object people comment on (read), post a
comment or reply there (read-write key), the key creator's notifications (read). Visibility
is the services': a thread of an object the key's role may not see is "not found"."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams

from pmo_saas.collaboration import targets
from pmo_saas.collaboration.schemas import CommentRow, NotificationRow
from pmo_saas.collaboration.services import comments as comment_services
from pmo_saas.collaboration.services import notifications as notification_services
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import ValidationFailed
from pmo_saas.rest.core import MAX_ID, Endpoint, flag, page, query_param

_UNREAD = query_param("unread_only", {"type": "boolean"})

REQUEST_SCHEMAS: dict[str, Any] = {
    "CommentCreate": {
        "type": "object",
        "properties": {
            "body": {
                "type": "string",
                "maxLength": comment_services.MAX_BODY,
                "description": "Markdown subset; mentions as @[Name](user:12) or @[Team](team:3).",
            },
            "parent_id": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID},
        },
        "required": ["body"],
        "additionalProperties": False,
    },
}


def _id(raw: object, name: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 < raw <= MAX_ID:
        raise ValidationFailed(f"{name} is a whole number.", field=name)
    return raw


def _thread(session: Session, ctx: TenantContext, kind: str, target_id: int) -> list[Any]:
    return comment_services.comment_thread(
        session=session, ctx=ctx, target_kind=kind, target_id=target_id
    ).comments


def _post(
    session: Session, ctx: TenantContext, kind: str, target_id: int, body: dict[str, Any]
) -> CommentRow:
    targets.require_visible(session, ctx, kind, target_id)  # 404 before any input check
    extra = set(body) - set(REQUEST_SCHEMAS["CommentCreate"]["properties"])
    if extra:
        raise ValidationFailed(f"Unknown field: {sorted(extra)[0]}.")
    text = body.get("body")
    if not isinstance(text, str):
        raise ValidationFailed("body is the comment's text.", field="body")
    parent = body.get("parent_id")
    comment_id = comment_services.post_comment(
        session=session,
        ctx=ctx,
        target_kind=kind,
        target_id=target_id,
        body=text,
        parent_id=None if parent is None else _id(parent, "parent_id"),
    )
    for top in _thread(session, ctx, kind, target_id):
        for row in (top, *top.replies):
            if row.id == comment_id:
                return row  # type: ignore[no-any-return]
    raise AssertionError("the new comment is in its thread")


def initiative_comments(
    *, session: Session, ctx: TenantContext, initiative_id: int, query: QueryParams
) -> Any:
    """Top-level comments oldest first, each with its replies."""
    return page(_thread(session, ctx, "initiative", initiative_id), query)


def comment_on_initiative(
    *, session: Session, ctx: TenantContext, initiative_id: int, body: dict[str, Any]
) -> Any:
    return _post(session, ctx, "initiative", initiative_id, body)


def plan_comments(*, session: Session, ctx: TenantContext, plan_id: int, query: QueryParams) -> Any:
    return page(_thread(session, ctx, "coaching_plan", plan_id), query)


def comment_on_plan(
    *, session: Session, ctx: TenantContext, plan_id: int, body: dict[str, Any]
) -> Any:
    return _post(session, ctx, "coaching_plan", plan_id, body)


def notifications(*, session: Session, ctx: TenantContext, query: QueryParams) -> Any:
    """The key creator's notifications, newest first."""
    found = notification_services.list_notifications(
        session=session, ctx=ctx, unread_only=flag(query, "unread_only"), limit=200
    )
    return page(found, query)


def _thread_endpoints(kind: str, path: str, label: str, name: str) -> tuple[Endpoint, ...]:
    """GET and POST of the comments on one kind of object (its id the path's one id)."""
    id_name = path.split("{", 1)[1].split("}", 1)[0]

    def read(*, session: Session, ctx: TenantContext, query: QueryParams, **ids: int) -> Any:
        return page(_thread(session, ctx, kind, ids[id_name]), query)

    def write(*, session: Session, ctx: TenantContext, body: dict[str, Any], **ids: int) -> Any:
        return _post(session, ctx, kind, ids[id_name], body)

    read.__name__, write.__name__ = f"{name}_comments", f"comment_on_{name}"
    return (
        Endpoint("GET", path, f"The comments on {label} (replies nested)", read,
                 list[CommentRow], paginated=True),
        Endpoint("POST", path, f"Comment on {label}, or reply", write, CommentRow,
                 write=True, body="CommentCreate", status=201),
    )  # fmt: skip


# The other objects of conversation, each seen as its own pages show it.
_MORE_THREADS = (
    ("scoring_round", "/scoring-rounds/{scoring_round_id}/comments", "a scoring round", "round"),
    ("scenario", "/scenarios/{scenario_id}/comments", "a funding scenario", "scenario"),
    ("risk", "/risks/{risk_id}/comments", "a risk", "risk"),
    ("gate_review", "/gate-reviews/{gate_review_id}/comments", "a gate review", "gate_review"),
    ("coaching_goal", "/coaching/goals/{coaching_goal_id}/comments", "a coaching goal", "goal"),
    (
        "assessment_round",
        "/assessments/rounds/{round_id}/comments",
        "an assessment round (coaches and those asked)",
        "assessment_round",
    ),
    (
        "survey_results",
        "/surveys/{survey_id}/results/comments",
        "a closed survey's results (coaches)",
        "survey_results",
    ),
    (
        "survey_team_results",
        "/survey-teams/{survey_team_id}/results/comments",
        "one team's survey results (coaches and those asked; never a group the anonymity "
        "rules hide)",
        "survey_team_results",
    ),
)

_I = "/initiatives/{initiative_id}/comments"
_C = "/coaching/plans/{plan_id}/comments"
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", _I, "The comments on an initiative (replies nested)", initiative_comments,
             list[CommentRow], paginated=True),
    Endpoint("POST", _I, "Comment on an initiative, or reply (mentions notify)",
             comment_on_initiative, CommentRow, write=True, body="CommentCreate", status=201),
    Endpoint("GET", _C, "The comments on a coaching plan (to those who may read the plan)",
             plan_comments, list[CommentRow], paginated=True),
    Endpoint("POST", _C, "Comment on a coaching plan, or reply", comment_on_plan, CommentRow,
             write=True, body="CommentCreate", status=201),
    *(e for spec in _MORE_THREADS for e in _thread_endpoints(*spec)),
    Endpoint("GET", "/notifications", "The key creator's notifications, newest first",
             notifications, list[NotificationRow], query=(_UNREAD,), paginated=True),
)  # fmt: skip
