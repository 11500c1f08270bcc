"""A GitHub-like peer on loopback (python -m tests.peers.github_peer --port N).

Speaks what the app uses of GitHub's REST API, with its auth, pagination and error shapes:
`Authorization: Bearer <token>` (else 401 `{"message": "Bad credentials", ...}`),
`GET /repos/{owner}/{repo}` (404 `{"message": "Not Found"}`), `GET /repos/{o}/{r}/issues`
(`state`, `since`, `sort=updated`, `direction`, `per_page`, `page`; pull requests listed too,
with a `pull_request` key; `Link` header with rel="next"/"last"), `GET /repos/{o}/{r}/issues/
{n}/events` (closed, reopened, labeled, unlabeled; paged the same way) and `GET /search/issues`
(`q=repo:o/r is:issue`: `total_count`). `per_page` is capped (reset's `page`) to force pages.

Control (tests): POST /_peer/reset, /_peer/issues, /_peer/issues/<n>/event; DELETE
/_peer/issues/<n>; the log and failures of http_peer.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.peers.http_peer import PeerControl, PeerHandler, serve, start

DOCS = "https://docs.github.com/rest"


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class GitHubHandler(PeerHandler):
    def error_body(self, status: int) -> Any:
        return {"message": "Server Error", "documentation_url": DOCS, "status": str(status)}

    @property
    def s(self) -> dict[str, Any]:
        return self.server.state

    def _page(
        self, path: str, rows: list[Any], query: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        size = min(int(query.get("per_page", 30)), self.s["page"])
        page = int(query.get("page", 1))
        chunk = rows[(page - 1) * size : page * size]
        last = max(1, -(-len(rows) // size))
        base = f"http://{self.headers.get('Host')}{path}"
        links = []
        if page < last:
            links.append(f'<{base}?{urlencode({**query, "page": page + 1})}>; rel="next"')
            links.append(f'<{base}?{urlencode({**query, "page": last})}>; rel="last"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    def api(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        if self.headers.get("Authorization") != f"Bearer {self.s.get('token')}":
            return (
                401,
                {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
                {},
            )
        repo = self.s["repo"]
        missing = (404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {})
        if path == "/search/issues":
            count = sum(1 for i in self.s["issues"].values() if not i.get("pull"))
            ok = query.get("q") == f"repo:{repo} is:issue"
            return (
                200,
                {"total_count": count if ok else 0, "incomplete_results": False, "items": []},
                {},
            )
        found = re.fullmatch(r"/repos/([^/]+/[^/]+)(/issues)?(?:/(\d+)/events)?", path)
        if found is None or found.group(1) != repo:
            return missing
        if not found.group(2):
            return 200, {"id": 1296269, "full_name": repo, "private": True}, {}
        if found.group(3):
            issue = self.s["issues"].get(int(found.group(3)))
            if issue is None:
                return (
                    410,
                    {
                        "message": "This issue was deleted",
                        "documentation_url": DOCS,
                        "status": "410",
                    },
                    {},
                )
            return self._page(path, issue["events"], query)
        issues = list(self.s["issues"].values())
        if query.get("state", "open") != "all":
            issues = [i for i in issues if i["state"] == query.get("state", "open")]
        if query.get("since"):
            since = _time(query["since"])
            issues = [i for i in issues if i["updated"] >= since]
        if query.get("sort") == "updated":
            issues.sort(
                key=lambda i: (i["updated"], i["number"]),
                reverse=query.get("direction", "desc") == "desc",
            )
        return self._page(path, [self._issue(i) for i in issues], query)

    def _issue(self, issue: dict[str, Any]) -> dict[str, Any]:
        body = {
            "number": issue["number"],
            "title": issue["title"],
            "state": issue["state"],
            "labels": [{"name": n} for n in issue["labels"]],
            "created_at": _stamp(issue["created"]),
            "updated_at": _stamp(issue["updated"]),
        }
        if issue.get("pull"):
            body["pull_request"] = {"url": "https://example.invalid/pulls/1"}
        return body

    def control(self, method: str, path: str, body: dict[str, Any]) -> Any:
        s = self.s
        if path == "/_peer/reset":
            s.clear()
            s.update(
                token=body["token"], repo=body["repo"], page=int(body.get("page", 2)), issues={}
            )
            return {}
        if path == "/_peer/issues" and method == "POST":
            number = len(s["issues"]) + 1
            created = _time(body["created"])
            s["issues"][number] = {
                "number": number,
                "title": body["title"],
                "state": "open",
                "labels": list(body.get("labels", [])),
                "created": created,
                "updated": created,
                "events": [],
                "pull": body.get("pull"),
            }
            return {"number": number}
        found = re.fullmatch(r"/_peer/issues/(\d+)(/event)?", path)
        if found and method == "DELETE":
            s["issues"].pop(int(found.group(1)))
            return {}
        if found and found.group(2):
            issue, at = s["issues"][int(found.group(1))], _time(body["at"])
            event: dict[str, Any] = {
                "id": len(issue["events"]) + 1,
                "event": body["event"],
                "created_at": _stamp(at),
            }
            if body["event"] in ("labeled", "unlabeled"):
                event["label"] = {"name": body["label"]}
                if body["event"] == "labeled":
                    issue["labels"].append(body["label"])
                elif body["label"] in issue["labels"]:
                    issue["labels"].remove(body["label"])
            elif body["event"] in ("closed", "reopened"):
                issue["state"] = "closed" if body["event"] == "closed" else "open"
            issue["events"].append(event)
            issue["updated"] = at
            return {}
        return {"error": "unknown control"}


class GitHubPeer(PeerControl):
    token, repo = "ghp_testtoken0123456789abcdef", "acme/shop"

    def reset(self, **options: Any) -> None:
        self.call("POST", "reset", {"token": self.token, "repo": self.repo, **options})

    def add(
        self, title: str, created: str, labels: list[str] | None = None, pull: bool = False
    ) -> int:
        return int(
            self.call(
                "POST",
                "issues",
                {"title": title, "created": created, "labels": labels or [], "pull": pull},
            )["number"]
        )

    def event(self, number: int, event: str, at: str, label: str = "") -> None:
        self.call("POST", f"issues/{number}/event", {"event": event, "at": at, "label": label})

    def delete(self, number: int) -> None:
        self.call("DELETE", f"issues/{number}")


def github_peer() -> GitHubPeer:
    return GitHubPeer(start("tests.peers.github_peer"))


if __name__ == "__main__":
    serve(GitHubHandler)
