"""What collaboration's services hand to pages and the REST API: plain data, no ORM rows."""

from __future__ import annotations

from pydantic import BaseModel


class CommentRow(BaseModel):
    id: int
    parent_id: int | None = None
    author_id: int | None = None
    author_name: str = ""
    # Safe HTML from the markdown subset ("" once removed); `body` is the source, for editing.
    html: str = ""
    body: str = ""
    created_at: str = ""
    when: str = ""  # created_at as people read it
    edited: bool = False
    removed: bool = False
    mine: bool = False
    can_edit: bool = False
    can_delete: bool = False
    replies: list[CommentRow] = []


class Thread(BaseModel):
    target_kind: str
    target_id: int
    label: str
    comments: list[CommentRow] = []
    total: int = 0


class MentionChoice(BaseModel):
    kind: str  # "user" or "team"
    id: int
    name: str
    markup: str  # what goes into the text: @[Name](user:12)


class NotificationRow(BaseModel):
    id: int
    kind: str
    title: str
    target_kind: str
    target_id: int
    comment_id: int | None = None
    path: str = ""
    created_at: str = ""
    when: str = ""
    read: bool = False


class PreferenceRow(BaseModel):
    kind: str
    label: str
    channel: str
