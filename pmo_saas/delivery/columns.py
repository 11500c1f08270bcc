"""The work-item columns, in board order, and what each means for flow.

An item has started when it first reaches a started column, and is done in `done`. Time in a
waiting column counts against flow efficiency (work waits there; nobody works on it).
"""

from __future__ import annotations

from pmo_saas.kernel.errors import ValidationFailed

COLUMNS: dict[str, str] = {
    "backlog": "Backlog",
    "ready": "Ready",
    "doing": "In progress",
    "waiting": "Waiting",
    "done": "Done",
}
STARTED = frozenset({"doing", "waiting", "done"})
WAITING = frozenset({"waiting"})
DONE = "done"
KINDS: dict[str, str] = {"epic": "Epic", "feature": "Feature", "story": "Story", "task": "Task"}
_COLUMN_ALIASES = {"in progress": "doing", "in_progress": "doing", "to do": "backlog"}


def clean_column(raw: object) -> str:
    text = str(raw or "").strip().lower()
    text = _COLUMN_ALIASES.get(text, text)
    if not text:
        return "backlog"
    if text not in COLUMNS:
        raise ValidationFailed(
            f"“{raw}” is not a column; use one of {', '.join(COLUMNS)}.", field="status"
        )
    return text


def clean_kind(raw: object) -> str:
    text = str(raw or "").strip().lower()
    if not text:
        return "story"
    if text not in KINDS:
        raise ValidationFailed(
            f"“{raw}” is not a kind of work item; use one of {', '.join(KINDS)}.", field="kind"
        )
    return text
