"""The comment thread another page includes with one call: `comment_thread("initiative")`.

The object is the kind given and the id at the end of the page's URL (the initiative's or
the plan's page); the services decide whether the caller may see it, so a hidden object shows
no thread. Comments render as the server's safe HTML (rendering.py). The box offers mentions
of the organisation's members and teams. While the page is open the thread re-reads itself
when someone posts, edits or removes a comment (a cheap version check every few seconds).
"""

from __future__ import annotations

import asyncio

import reflex as rx

from pmo_saas.collaboration.schemas import CommentRow, MentionChoice
from pmo_saas.collaboration.services import comments as service
from pmo_saas.db import in_tenant
from pmo_saas.identity.page_state import WorkspacePage
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.roles import Role
from pmo_saas.settings import get_settings
from pmo_saas.ui.components import error_callout, info_callout, labelled
from pmo_saas.ui.dialogs import confirm_button

MAX_POLLS = 24 * 1200
OPEN_ATTEMPTS = 20  # half-second tries for the URL to arrive


class CommentsState(WorkspacePage, rx.State):
    kind: str = ""
    target_id: int = 0
    label: str = ""
    comments: list[CommentRow] = []
    total: int = 0
    draft: str = ""
    reply_to: int = 0
    reply_draft: str = ""
    editing: int = 0
    edit_text: str = ""
    mention_query: str = ""
    choices: list[MentionChoice] = []
    _version: str = ""
    _loop: int = 0

    def _target_from_url(self) -> int:
        raw = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        return int(raw) if raw.isdigit() and len(raw) < 10 else 0

    async def _refresh(self, ctx: TenantContext) -> None:
        args = {"target_kind": self.kind, "target_id": self.target_id}
        thread = await in_tenant(ctx, service.comment_thread, **args)
        self._version = await in_tenant(ctx, service.thread_version, **args)
        self._set_changed(comments=thread.comments, total=thread.total, label=thread.label)

    def _on_failed_load(self) -> None:
        self.comments, self.total, self.label = [], 0, ""

    async def _open_here(self) -> str:
        """Load the thread of the object the URL names; its path, or "" when refused."""
        self.target_id = self._target_from_url()
        self.draft = self.reply_draft = self.edit_text = ""
        self.reply_to = self.editing = 0
        return self.router.url.path if await self._reload(quiet=True) else ""

    @rx.event(background=True)
    async def open(self, kind: str) -> None:
        """Show the thread of this page's object, then follow it while the page is open.

        After a navigation inside the app the mount can come before the new URL reaches the
        state (the page's on_load brings it): until a load succeeds it tries again shortly.
        """
        async with self:
            self._loop += 1
            mine = self._loop
            self.kind = str(kind)
            loaded = await self._open_here()
        pause = max(0.5, get_settings().notification_poll_seconds)
        for attempt in range(MAX_POLLS):
            await asyncio.sleep(pause if loaded else 0.5)
            async with self:
                if self._loop != mine:
                    return
                if not loaded:
                    if attempt >= OPEN_ATTEMPTS:
                        return
                    loaded = await self._open_here()
                elif self.router.url.path != loaded or not await self._follow():
                    return

    async def _follow(self) -> bool:
        """Re-read the thread if it changed; False when the caller may no longer see it."""
        try:
            ctx = await self._context()
            version = await in_tenant(
                ctx, service.thread_version, target_kind=self.kind, target_id=self.target_id
            )
        except Exception:  # signed out, object gone: the loop ends, the page keeps what it had
            return False
        if version != self._version:
            return await self._reload(quiet=True)
        return True

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def set_reply_draft(self, value: str) -> None:
        self.reply_draft = value

    @rx.event
    def set_edit_text(self, value: str) -> None:
        self.edit_text = value

    @rx.event
    async def post(self) -> None:
        done = await self._act(
            service.post_comment,
            notice="Comment posted.",
            minimum=Role.MEMBER,
            target_kind=self.kind,
            target_id=self.target_id,
            body=self.draft,
        )
        if done is not None:
            self.draft, self.choices, self.mention_query = "", [], ""

    @rx.event
    def start_reply(self, comment_id: int) -> None:
        self.reply_to, self.reply_draft, self.editing = comment_id, "", 0

    @rx.event
    async def send_reply(self) -> None:
        done = await self._act(
            service.post_comment,
            notice="Reply posted.",
            minimum=Role.MEMBER,
            target_kind=self.kind,
            target_id=self.target_id,
            body=self.reply_draft,
            parent_id=self.reply_to,
        )
        if done is not None:
            self.reply_to, self.reply_draft = 0, ""

    @rx.event
    def start_edit(self, comment_id: int, body: str) -> None:
        self.editing, self.edit_text, self.reply_to = comment_id, body, 0

    @rx.event
    def cancel(self) -> None:
        self.editing = self.reply_to = 0

    @rx.event
    async def save_edit(self) -> None:
        await self._act(
            service.edit_comment,
            notice="Comment updated.",
            comment_id=self.editing,
            body=self.edit_text,
        )
        if not self.error:
            self.editing = 0

    @rx.event
    async def remove(self, comment_id: int) -> None:
        await self._act(service.delete_comment, notice="Comment removed.", comment_id=comment_id)

    @rx.event
    async def search_mentions(self, query: str) -> None:
        self.mention_query = str(query)[:60]
        if not self.mention_query.strip():
            self.choices = []
            return
        found = await self._act(service.mention_choices, refresh=False, query=self.mention_query)
        self.choices = found or []

    @rx.event
    def add_mention(self, markup: str) -> None:
        """Into the reply being written, else into the new comment."""
        text = str(markup)[:200] + " "
        if self.reply_to:
            self.reply_draft = (self.reply_draft.rstrip() + " " + text).lstrip()
        else:
            self.draft = (self.draft.rstrip() + " " + text).lstrip()
        self.choices, self.mention_query = [], ""


def _mention_picker() -> rx.Component:
    s = CommentsState
    return rx.vstack(
        labelled(
            "Mention a person or team",
            "comment-mention",
            rx.input(
                id="comment-mention",
                value=s.mention_query,
                on_change=s.search_mentions.debounce(250),
                placeholder="Start typing a name",
                width="100%",
            ),
            full_width=True,
        ),
        rx.hstack(
            rx.foreach(
                s.choices,
                lambda c: rx.button(
                    "@" + c.name,
                    size="1",
                    variant="soft",
                    on_click=s.add_mention(c.markup),
                    aria_label="Mention " + c.name,
                ),
            ),
            wrap="wrap",
        ),
        width="100%",
        spacing="1",
    )


def _box(label: str, box_id: str, value: rx.Var, on_change: rx.EventHandler) -> rx.Component:
    return labelled(
        label,
        box_id,
        rx.text_area(id=box_id, value=value, on_change=on_change, rows="3", width="100%"),
        full_width=True,
    )


def _comment_body(c: rx.Var) -> rx.Component:
    s = CommentsState
    return rx.cond(
        c.removed,
        rx.text("comment removed", color_scheme="gray", style={"fontStyle": "italic"}),
        rx.cond(
            s.editing == c.id,
            rx.vstack(
                _box("Edit comment", "comment-edit", s.edit_text, s.set_edit_text),
                rx.hstack(
                    rx.button("Save", size="1", on_click=s.save_edit),
                    rx.button("Cancel", size="1", variant="soft", on_click=s.cancel),
                ),
                width="100%",
            ),
            rx.box(rx.html(c.html), class_name="pmo-comment-text", width="100%"),
        ),
    )


def _comment(c: rx.Var, *, top: bool) -> rx.Component:
    s = CommentsState
    return rx.el.article(
        rx.vstack(
            rx.hstack(
                rx.text(c.author_name, weight="bold", size="2"),
                rx.text(c.when, size="1", color_scheme="gray"),
                rx.cond(c.edited & ~c.removed, rx.text("(edited)", size="1", color_scheme="gray")),
                align="center",
                wrap="wrap",
            ),
            _comment_body(c),
            rx.hstack(
                *(
                    [rx.button("Reply", size="1", variant="ghost", on_click=s.start_reply(c.id))]
                    if top
                    else []
                ),
                rx.cond(
                    c.can_edit,
                    rx.button(
                        "Edit", size="1", variant="ghost", on_click=s.start_edit(c.id, c.body)
                    ),
                ),
                rx.cond(
                    c.can_delete,
                    confirm_button(
                        "Remove",
                        name="Remove this comment",
                        variant="ghost",
                        title="Remove this comment?",
                        description="Its text is removed for everyone; replies to it stay.",
                        confirm_label="Remove comment",
                        on_confirm=s.remove(c.id),
                    ),
                ),
            ),
            spacing="1",
            width="100%",
            align="start",
        ),
        aria_label=rx.cond(c.removed, "Removed comment", "Comment by " + c.author_name),
        style={"width": "100%"},
    )


def _top(c: rx.Var) -> rx.Component:
    s = CommentsState
    return rx.vstack(
        _comment(c, top=True),
        rx.vstack(
            rx.foreach(c.replies, lambda r: _comment(r, top=False)),
            rx.cond(
                s.reply_to == c.id,
                rx.vstack(
                    _box("Your reply", "comment-reply", s.reply_draft, s.set_reply_draft),
                    _mention_picker(),
                    rx.hstack(
                        rx.button("Send reply", size="1", on_click=s.send_reply),
                        rx.button("Cancel", size="1", variant="soft", on_click=s.cancel),
                    ),
                    width="100%",
                ),
            ),
            padding_left="1.5em",
            border_left="2px solid var(--gray-a5)",
            width="100%",
            spacing="2",
        ),
        width="100%",
        spacing="2",
        padding_bottom="0.75em",
    )


def comment_thread(kind: str) -> rx.Component:
    """The conversation on the object of the page this is placed on (its id ends the URL)."""
    s = CommentsState
    return rx.el.section(
        rx.vstack(
            rx.heading("Comments (", s.total, ")", size="4", as_="h2"),
            error_callout(s.error),
            info_callout(s.notice),
            rx.foreach(s.comments, _top),
            rx.cond(
                s.reply_to == 0,
                rx.vstack(
                    _box("New comment", "comment-new", s.draft, s.set_draft),
                    _mention_picker(),
                    rx.text(
                        "**bold**, *italic*, `code`, lists, > quotes and [links](https://…)",
                        size="1",
                        color_scheme="gray",
                    ),
                    rx.button("Post comment", on_click=s.post),
                    width="100%",
                ),
            ),
            width="100%",
            align="start",
            spacing="3",
        ),
        aria_label="Comments",
        on_mount=CommentsState.open(kind),  # type: ignore[misc]  # background event's stub
        style={"width": "100%"},
    )
