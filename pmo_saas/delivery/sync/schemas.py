"""Plain data for the Connections page: never a token (only its masked last characters)."""

from __future__ import annotations

from pydantic import BaseModel


class ConnectionRow(BaseModel):
    id: int
    kind: str
    kind_label: str
    project: str
    base_url: str
    account: str
    token: str  # "••••abcd", never the token
    status: str
    last_run: str
    last_ok: str
    last_error: str
    unmapped: int


class MappingRow(BaseModel):
    id: int
    connection_id: int
    external: str
    column: str  # "" while unmapped
    column_label: str
    item_count: int


class SyncRunRow(BaseModel):
    id: int
    connection_id: int
    status: str
    started: str
    finished: str
    fetched: int
    created: int
    updated: int
    removed: int
    unmapped: int
    requests: int
    error: str


class ConnectionsView(BaseModel):
    initiative_title: str
    connections: list[ConnectionRow]
    mappings: list[MappingRow]
    runs: list[SyncRunRow]


class SyncOutcome(BaseModel):
    """A sync asked for from the page: its run, or why it did not start."""

    run: SyncRunRow | None = None
    refused: str = ""
