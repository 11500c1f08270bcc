"""Roles and what each may do. One table, consulted by every service."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    COACH = "coach"
    MEMBER = "member"
    VIEWER = "viewer"


_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.COACH: 2, Role.ADMIN: 3, Role.OWNER: 4}


def at_least(role: Role | str, minimum: Role | str) -> bool:
    return _RANK[Role(role)] >= _RANK[Role(minimum)]


ROLE_LABELS = {
    Role.OWNER: "Owner",
    Role.ADMIN: "Admin",
    Role.COACH: "Coach",
    Role.MEMBER: "Member",
    Role.VIEWER: "Viewer",
}
