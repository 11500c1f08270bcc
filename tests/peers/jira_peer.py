"""A Jira-Cloud-like peer on loopback (python -m tests.peers.jira_peer --port N).

Speaks what the app uses of REST API v3, with Jira's auth, pagination and error shapes:
basic auth (e-mail + API token; else 401), `GET /rest/api/3/myself` (with the account's time
zone), `GET /rest/api/3/project/{key}` (404 `{"errorMessages": [...], "errors": {}}`),
`GET /rest/api/3/search/jql` (the enhanced search: `project = "KEY" [AND updated >= "yyyy-MM-dd
HH:mm"] [ORDER BY updated ASC]`, `fields`, `maxResults`, `nextPageToken` / `isLast`; dates
read in the account's time zone) and `GET /rest/api/3/issue/{key}/changelog` (`startAt`,
`maxResults`, `isLast`, `values`). Pages are small (`page` in reset) so pagination is used.

Control (tests): POST /_peer/reset, /_peer/credentials, /_peer/issues,
/_peer/issues/<key>/move, /_peer/rename_status; DELETE /_peer/issues/<key>; the log and
failures of http_peer.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.peers.http_peer import PeerControl, PeerHandler, serve, start

JQL = re.compile(
    r'^project = "(?P<project>[A-Z0-9_]+)"'
    r'(?: AND updated >= "(?P<since>\d{4}-\d{2}-\d{2} \d{2}:\d{2})")?'
    r"(?: ORDER BY updated ASC)?$"
)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}+0000"


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


class JiraHandler(PeerHandler):
    def error_body(self, status: int) -> Any:
        return {"errorMessages": [f"Internal server error ({status})"], "errors": {}}

    @property
    def s(self) -> dict[str, Any]:
        return self.server.state

    def _authorised(self) -> bool:
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return False
        expected = f"{self.s.get('email')}:{self.s.get('token')}".encode()
        return base64.b64decode(header[6:]) == expected

    def api(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if not self._authorised():
            return 401, {"errorMessages": ["You are not authenticated."], "errors": {}}, {}
        if path == "/rest/api/3/myself":
            zone = self.s.get("timezone", "UTC")
            return (
                200,
                {
                    "accountId": "5b10a2844c20165700ede21g",
                    "emailAddress": self.s["email"],
                    "displayName": "Sync Bot",
                    "timeZone": zone,
                },
                {},
            )
        if path.startswith("/rest/api/3/project/"):
            key = path.rsplit("/", 1)[1]
            if key != self.s.get("project"):
                return (
                    404,
                    {
                        "errorMessages": [f"No project could be found with key '{key}'."],
                        "errors": {},
                    },
                    {},
                )
            return 200, {"id": "10000", "key": key, "name": key.title()}, {}
        if path == "/rest/api/3/search/jql":
            return self._search(query)
        found = re.fullmatch(r"/rest/api/3/issue/([A-Z0-9_]+-\d+)/changelog", path)
        if found:
            return self._changelog(found.group(1), query)
        return 404, {"errorMessages": ["Not found"], "errors": {}}, {}

    def _search(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        match = JQL.match(query.get("jql", ""))
        if match is None:
            return (
                400,
                {"errorMessages": [f"Error in the JQL Query: {query.get('jql')}"], "errors": {}},
                {},
            )
        issues = [i for i in self.s["issues"].values() if match["project"] == self.s["project"]]
        if match["since"]:
            zone = ZoneInfo(self.s.get("timezone", "UTC"))
            since = datetime.strptime(match["since"], "%Y-%m-%d %H:%M").replace(tzinfo=zone)
            issues = [i for i in issues if i["updated"] >= since]
        issues.sort(key=lambda i: (i["updated"], i["id"]))
        fields = set((query.get("fields") or "id").split(","))
        start = int(base64.b64decode(query["nextPageToken"])) if query.get("nextPageToken") else 0
        size = min(int(query.get("maxResults", 50)), self.s["page"])
        page = issues[start : start + size]
        body: dict[str, Any] = {"issues": [self._issue(i, fields) for i in page]}
        if start + size < len(issues):
            body["nextPageToken"] = base64.b64encode(str(start + size).encode()).decode()
            body["isLast"] = False
        else:
            body["isLast"] = True
        return 200, body, {}

    def _issue(self, issue: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        every = {
            "summary": issue["summary"],
            "status": {"name": issue["status"], "statusCategory": {"key": "indeterminate"}},
            "issuetype": {"name": issue["type"]},
            "created": _stamp(issue["created"]),
            "updated": _stamp(issue["updated"]),
        }
        return {
            "id": issue["id"],
            "key": issue["key"],
            "fields": {k: v for k, v in every.items() if k in fields},
        }

    def _changelog(self, key: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        issue = self.s["issues"].get(key)
        if issue is None:
            return (
                404,
                {
                    "errorMessages": [
                        "Issue does not exist or you do not have permission to see it."
                    ],
                    "errors": {},
                },
                {},
            )
        start, size = int(query.get("startAt", 0)), min(int(query.get("maxResults", 100)), 2)
        values = issue["changelog"][start : start + size]
        return (
            200,
            {
                "startAt": start,
                "maxResults": size,
                "total": len(issue["changelog"]),
                "isLast": start + size >= len(issue["changelog"]),
                "values": values,
            },
            {},
        )

    def control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        s = self.s
        if path == "/_peer/reset":
            s.clear()
            s.update(
                email=body["email"],
                token=body["token"],
                project=body["project"],
                timezone=body.get("timezone", "UTC"),
                page=int(body.get("page", 2)),
                issues={},
                next_id=10001,
            )
            return {}
        if path == "/_peer/credentials":  # the account's token rotated: only the new one works
            s.update(email=body.get("email") or s["email"], token=body["token"])
            return {}
        if path == "/_peer/rename_status":  # Jira renames the status; history keeps old names
            for issue in s["issues"].values():
                if issue["status"] == body["from"]:
                    issue["status"] = body["to"]
            return {}
        if path == "/_peer/issues" and method == "POST":
            key = f"{s['project']}-{len(s['issues']) + 1}"
            created = _time(body["created"])
            s["issues"][key] = {
                "id": str(s["next_id"]),
                "key": key,
                "summary": body["summary"],
                "type": body.get("type", "Story"),
                "status": body.get("status", "To Do"),
                "created": created,
                "updated": created,
                "changelog": [],
            }
            s["next_id"] += 1
            return {"key": key}
        found = re.fullmatch(r"/_peer/issues/([A-Z0-9_]+-\d+)(/move)?", path)
        if found and method == "DELETE":
            s["issues"].pop(found.group(1))
            return {}
        if found and found.group(2):
            issue, at = s["issues"][found.group(1)], _time(body["at"])
            issue["changelog"].append(
                {
                    "id": str(len(issue["changelog"]) + 1),
                    "author": {"displayName": "Someone"},
                    "created": _stamp(at),
                    "items": [
                        {
                            "field": "status",
                            "fieldtype": "jira",
                            "fromString": issue["status"],
                            "toString": body["to"],
                        }
                    ],
                }
            )
            issue["status"], issue["updated"] = body["to"], at
            return {}
        if found and method == "POST":  # edit the summary
            issue = s["issues"][found.group(1)]
            issue["summary"], issue["updated"] = body["summary"], _time(body["at"])
            return {}
        return {"error": "unknown control"}


class JiraPeer(PeerControl):
    email, token, project = "bot@example.com", "jira-api-token-0123456789", "PROJ"

    def reset(self, **options: Any) -> None:
        self.call(
            "POST",
            "reset",
            {"email": self.email, "token": self.token, "project": self.project, **options},
        )

    def add(self, summary: str, created: str, status: str = "To Do", kind: str = "Story") -> str:
        return str(
            self.call(
                "POST",
                "issues",
                {"summary": summary, "created": created, "status": status, "type": kind},
            )["key"]
        )

    def move(self, key: str, to: str, at: str) -> None:
        self.call("POST", f"issues/{key}/move", {"to": to, "at": at})

    def delete(self, key: str) -> None:
        self.call("DELETE", f"issues/{key}")

    def rotate_token(self, token: str, email: str = "") -> None:
        self.call("POST", "credentials", {"token": token, "email": email})

    def rename_status(self, old: str, new: str) -> None:
        self.call("POST", "rename_status", {"from": old, "to": new})


def app_env() -> dict[str, str]:
    """For an app server (the browser journeys): sync may reach the loopback peers."""
    return {"PMO_DELIVERY_SYNC_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128"}


def jira_peer() -> JiraPeer:
    return JiraPeer(start("tests.peers.jira_peer"))


if __name__ == "__main__":
    serve(JiraHandler)
