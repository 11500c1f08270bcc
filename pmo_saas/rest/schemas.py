"""Plain data of the REST API: key rows for the keys page, the caller, the error body."""

from __future__ import annotations

from pydantic import BaseModel


class ApiKeyRow(BaseModel):
    id: int
    name: str
    prefix: str
    scope: str
    role: str
    created_by: str
    created_at: str
    last_used_at: str
    revoked: bool


class CreatedApiKey(BaseModel):
    """The key in clear: returned once, at creation, never stored."""

    row: ApiKeyRow
    key: str


class ApiCaller(BaseModel):
    """Who an API request acts for, once its key has been checked."""

    key_id: int
    org_id: int
    org_slug: str
    scope: str
    role: str
    created_by_id: int | None


class ErrorBody(BaseModel):
    error: str
    message: str
