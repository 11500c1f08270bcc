"""GitHub REST API (a Bearer token: fine-grained or classic, read access to issues).

- `GET /repos/{owner}/{repo}`: the token may read the repository;
- `GET /repos/{owner}/{repo}/issues?state=all&since=...&sort=updated&direction=asc&per_page=100`,
  paged by the `Link` header's rel="next" (pull requests, listed there too, are skipped);
- `GET /repos/{owner}/{repo}/issues/{number}/events`: closed, reopened, labeled, unlabeled with
  their times (the item's status over time);
- `GET /search/issues?q=repo:{owner}/{repo} is:issue`: how many issues exist; only when fewer
  than we hold is the whole list read to find the deleted ones.

Their status: "closed" when closed, else its `status: ...` label when it has one, else "open".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from pmo_saas.delivery.sync.outbound import Client, SyncFailed
from pmo_saas.delivery.sync.remote import Counter, Known, RemoteItem, kind_of, parse_time

LABEL_PREFIX = "status:"
# Label changes this close together are one move (unlabel the old status, label the new one).
RELABEL = timedelta(minutes=1)
PAGE = 100


class _Bearer:
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def _status(state: str, labels: list[str]) -> str:
    if state == "closed":
        return "closed"
    marked = [name for name in labels if name.lower().startswith(LABEL_PREFIX)]
    return marked[-1] if marked else "open"


class GitHubSource:
    def __init__(self, *, base_url: str, project: str, token: str) -> None:
        self.repo = project
        self._client = Client(
            name="GitHub",
            base_url=base_url,
            auth=_Bearer(token),
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        )

    @property
    def requests(self) -> int:
        return self._client.requests

    def close(self) -> None:
        self._client.__exit__()

    def check(self) -> None:
        self._client.get(f"/repos/{self.repo}")

    def _pages(self, path: str, params: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
        url: str | None = path
        while url:
            response = self._client.get(url, params)
            body = response.json()
            if not isinstance(body, list):
                raise SyncFailed("GitHub answered something that is not a list.")
            yield from body
            url, params = response.links.get("next", {}).get("url"), None

    def changed_since(
        self, cursor: datetime | None, known: Known, counted: Counter
    ) -> Iterator[RemoteItem]:
        params: dict[str, Any] = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "per_page": PAGE,
        }
        if cursor is not None:
            params["since"] = f"{cursor.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        for issue in self._pages(f"/repos/{self.repo}/issues", params):
            if "pull_request" in issue:
                continue
            key = f"#{issue['number']}"
            labels = [str(label.get("name") or "") for label in issue.get("labels") or []]
            updated = parse_time(str(issue["updated_at"]))
            item = RemoteItem(
                key=key,
                title=str(issue.get("title") or key)[:300],
                kind=next((kind_of(n) for n in labels if kind_of(n) != "story"), "story"),
                status=_status(str(issue.get("state") or "open"), labels),
                created_at=parse_time(str(issue["created_at"])),
                updated_at=updated,
            )
            if key in known and known[key] >= updated:
                item.changed = False
            else:
                item.timeline = self._timeline(item, int(issue["number"]))
                counted(1)
            yield item

    def _timeline(self, item: RemoteItem, number: int) -> list[tuple[datetime, str]]:
        state, labels = "open", []
        timeline = [(item.created_at, "open")]
        events = self._pages(f"/repos/{self.repo}/issues/{number}/events", {"per_page": PAGE})
        for event in sorted(events, key=lambda e: str(e.get("created_at"))):
            kind, name = event.get("event"), str((event.get("label") or {}).get("name") or "")
            if kind == "closed":
                state = "closed"
            elif kind == "reopened":
                state = "open"
            elif kind == "labeled" and name:
                labels.append(name)
            elif kind == "unlabeled" and name in labels:
                labels.remove(name)
            else:
                continue
            now, at = _status(state, labels), parse_time(str(event["created_at"]))
            if len(timeline) > 1 and at - timeline[-1][0] < RELABEL:
                timeline[-1] = (timeline[-1][0], now)  # one relabel, done as two clicks
            elif now != timeline[-1][1]:
                timeline.append((at, now))
        return [step for n, step in enumerate(timeline) if n == 0 or step[1] != timeline[n - 1][1]]

    def live_keys(self, known_live: int) -> set[str] | None:
        found = self._client.get(
            "/search/issues", {"q": f"repo:{self.repo} is:issue", "per_page": 1}
        ).json()
        if int(found.get("total_count", 0)) >= known_live:
            return None  # nothing deleted (the search index may lag a little)
        listing = self._pages(f"/repos/{self.repo}/issues", {"state": "all", "per_page": PAGE})
        return {f"#{i['number']}" for i in listing if "pull_request" not in i}
