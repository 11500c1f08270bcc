"""Comments (one level of replies), notifications and per-person notification preferences."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from pmo_saas.db import TenantOwned
from pmo_saas.kernel.clock import utcnow

# Delivery channels of a notification kind, chosen per person.
IN_APP = "in_app"
IMMEDIATE = "immediate"
DIGEST = "digest"
OFF = "off"
CHANNELS = (IN_APP, IMMEDIATE, DIGEST, OFF)

# Kinds of notification (events that notify).
MENTIONED = "mentioned"
REPLY = "reply"
ACTION_ASSIGNED = "action_assigned"
GATE_DECISION = "gate_decision"
INVITED_TO_SCORE = "invited_to_score"
FUNDING = "funding"  # my initiative funded or no longer funded
ACTION_OVERDUE = "action_overdue"
SURVEY_CLOSED = "survey_closed"
RESULTS_PUBLISHED = "results_published"
KINDS = (
    MENTIONED,
    REPLY,
    ACTION_ASSIGNED,
    GATE_DECISION,
    INVITED_TO_SCORE,
    FUNDING,
    ACTION_OVERDUE,
    SURVEY_CLOSED,
    RESULTS_PUBLISHED,
)


class Comment(TenantOwned, table=True):
    refused_when_read_only: ClassVar[bool] = True
    __table_args__ = (Index("ix_comment_thread", "org_id", "target_kind", "target_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    target_kind: str = Field(sa_type=String(24))
    target_id: int
    # A reply's top-level comment; None for a top-level comment (one level of replies).
    parent_id: int | None = Field(
        default=None, foreign_key="comment.id", index=True, ondelete="CASCADE"
    )
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # The body rendered when written (rendering.py: safe HTML, mentions by their name then),
    # so a long thread is read, not rendered again.
    html: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    deleted_at: datetime | None = None


class Notification(TenantOwned, table=True):
    __table_args__ = (
        Index("ix_notification_unread", "org_id", "recipient_id", "read_at"),
        Index("ix_notification_outgoing", "org_id", "channel", "mailed_at"),
        # One notification per person and event, however often the event is reported (a
        # retried transaction, a job run twice or on two workers); NULL keys never collide.
        UniqueConstraint("org_id", "recipient_id", "event_key", name="uq_notification_event"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(sa_type=String(24))
    # The channel the recipient's preference gave when it was created (mail jobs read it).
    channel: str = Field(default=IN_APP, sa_type=String(16))
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    title: str = Field(max_length=300)
    target_kind: str = Field(sa_type=String(24))
    target_id: int
    comment_id: int | None = Field(default=None, foreign_key="comment.id", ondelete="SET NULL")
    # What the event was ("overdue:12:2026-12-01"), for events that may be reported again.
    event_key: str | None = Field(default=None, sa_type=String(120))
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    mailed_at: datetime | None = None


class NotificationPreference(TenantOwned, table=True):
    __table_args__ = (UniqueConstraint("org_id", "user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(24))
    channel: str = Field(default=IN_APP, sa_type=String(16))
