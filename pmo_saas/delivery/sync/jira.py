"""Jira Cloud REST API v3 (basic auth: the account's e-mail and an API token).

- `GET /rest/api/3/myself`: the credentials work, and the account's time zone (JQL dates are
  read in it);
- `GET /rest/api/3/search/jql` (the enhanced search): `jql`, `fields`, `maxResults`, paged
  by `nextPageToken` until `isLast`; changed items with `updated >= "yyyy-MM-dd HH:mm"`;
- `GET /rest/api/3/issue/{key}/changelog`: status transitions with their own times, paged by
  `startAt` until `isLast`;
- a key-only search of the whole project (up to 5,000 keys a page) finds deleted issues.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from pmo_saas.delivery.sync.outbound import Client, SyncFailed
from pmo_saas.delivery.sync.remote import Counter, Known, RemoteItem, kind_of, parse_time

FIELDS = "summary,status,issuetype,created,updated"
PAGE = 100
KEYS_PAGE = 5000


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class JiraSource:
    def __init__(self, *, base_url: str, project: str, account: str, token: str) -> None:
        self.project = project
        self._client = Client(
            name="Jira",
            base_url=base_url,
            auth=httpx.BasicAuth(account, token),
            headers={"Accept": "application/json"},
        )
        self._zone: ZoneInfo = ZoneInfo("UTC")

    @property
    def requests(self) -> int:
        return self._client.requests

    def close(self) -> None:
        self._client.__exit__()

    def check(self) -> None:
        me = self._json("/rest/api/3/myself")
        try:
            self._zone = ZoneInfo(str(me.get("timeZone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            self._zone = ZoneInfo("UTC")
        self._json(f"/rest/api/3/project/{self.project}")

    def _json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self._client.get(path, params).json()
        if not isinstance(body, dict):
            raise SyncFailed("Jira answered something that is not a JSON object.")
        return body

    def _search(self, jql: str, fields: str, page: int) -> Iterator[dict[str, Any]]:
        token = ""
        while True:
            params = {"jql": jql, "fields": fields, "maxResults": page}
            if token:
                params["nextPageToken"] = token
            body = self._json("/rest/api/3/search/jql", params)
            yield from body.get("issues") or []
            token = str(body.get("nextPageToken") or "")
            if body.get("isLast", True) or not token:
                return

    def changed_since(
        self, cursor: datetime | None, known: Known, counted: Counter
    ) -> Iterator[RemoteItem]:
        jql = f"project = {_quoted(self.project)}"
        if cursor is not None:
            local = cursor.astimezone(UTC).astimezone(self._zone)
            jql += f' AND updated >= "{local:%Y-%m-%d %H:%M}"'
        for issue in self._search(jql + " ORDER BY updated ASC", FIELDS, PAGE):
            fields = issue.get("fields") or {}
            key = str(issue["key"])
            updated = parse_time(str(fields["updated"]))
            item = RemoteItem(
                key=key,
                title=str(fields.get("summary") or key)[:300],
                kind=kind_of(str((fields.get("issuetype") or {}).get("name") or "")),
                status=str((fields.get("status") or {}).get("name") or ""),
                created_at=parse_time(str(fields["created"])),
                updated_at=updated,
            )
            if key in known and known[key] >= updated:
                item.changed = False
            else:
                item.timeline = self._timeline(item)
                counted(1)
            yield item

    def _timeline(self, item: RemoteItem) -> list[tuple[datetime, str]]:
        moves: list[tuple[datetime, str, str]] = []
        start = 0
        while True:
            body = self._json(
                f"/rest/api/3/issue/{item.key}/changelog", {"startAt": start, "maxResults": PAGE}
            )
            values = body.get("values") or []
            for entry in values:
                for change in entry.get("items") or []:
                    if change.get("field") == "status":
                        at = parse_time(str(entry["created"]))
                        moves.append(
                            (
                                at,
                                str(change.get("fromString") or ""),
                                str(change.get("toString") or ""),
                            )
                        )
            start += len(values)
            if body.get("isLast", True) or not values:
                break
        moves.sort(key=lambda m: m[0])
        first = moves[0][1] if moves else item.status
        return [(item.created_at, first), *((at, to) for at, _, to in moves)]

    def live_keys(self, known_live: int) -> set[str] | None:
        jql = f"project = {_quoted(self.project)}"
        return {str(i["key"]) for i in self._search(jql, "id", KEYS_PAGE) if "key" in i}
