"""Plain data handed from identity services to states and pages (never ORM rows)."""

from __future__ import annotations

from pydantic import BaseModel


class SessionUser(BaseModel):
    user_id: int
    email: str
    name: str


class OrgChoice(BaseModel):
    slug: str
    name: str
    role: str


class MemberRow(BaseModel):
    membership_id: int
    user_id: int
    name: str
    email: str
    role: str
    teams: str = ""


class TeamRow(BaseModel):
    id: int
    name: str
    member_count: int
    members: list[MemberRow] = []


class InvitationRow(BaseModel):
    id: int
    email: str
    role: str
    status: str
    expires_at: str


class InvitationPublic(BaseModel):
    org_name: str
    email: str
    role: str


class AuditRow(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str
    detail: str


class OutboxRow(BaseModel):
    id: int
    at: str
    to_email: str
    subject: str
    body: str
