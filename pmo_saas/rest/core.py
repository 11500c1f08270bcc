"""The request machinery of the REST API: the endpoint table's row, the key check, the body
and path checks, one tenant transaction per request, and errors as JSON.

A handler is a plain function with keyword-only parameters: `session` and `ctx` always, then
each path id by name (`portfolio_id`), and `query` (the query string) or `body` (the JSON
object) when it declares them, e.g. `def list_initiatives(*, session, ctx, portfolio_id,
query)`. It calls the owning domain's service and returns its result; `core` turns that
into JSON.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pmo_saas.db import run_sync, tenant_session
from pmo_saas.kernel.context import TenantContext
from pmo_saas.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    LimitReached,
    NotFound,
    RateLimited,
    ReadOnly,
    ValidationFailed,
)
from pmo_saas.kernel.roles import Role
from pmo_saas.rest import keys
from pmo_saas.rest.models import SCOPE_READ_WRITE
from pmo_saas.rest.schemas import ApiCaller

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
MAX_BODY = 64 * 1024
MAX_JSON_DEPTH = 32  # our bodies are 3 levels deep; json.loads recurses per level
PAGE_DEFAULT = 100
PAGE_MAX = 500


class Problem(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    handler: Callable[..., Any]
    response: Any  # a pydantic model class or a typing form (list[X])
    write: bool = False
    body: str | None = None  # name of the request body schema
    status: int = 200
    query: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    paginated: bool = False  # takes limit and offset (see `page`)

    @property
    def name(self) -> str:
        return self.handler.__name__

    @property
    def ids(self) -> tuple[str, ...]:
        """The path's ids, in order (`/a/{x_id}/b/{y_id}` -> x_id, y_id)."""
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))

    @property
    def parameters(self) -> tuple[dict[str, Any], ...]:
        return self.query + ((LIMIT, OFFSET) if self.paginated else ())


def query_param(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False, "schema": schema}
    if description:
        param["description"] = description
    return param


ARCHIVED = query_param("include_archived", {"type": "boolean"})
LIMIT = query_param(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": PAGE_MAX, "default": PAGE_DEFAULT},
    "Rows per page.",
)
OFFSET = query_param(
    "offset", {"type": "integer", "minimum": 0, "default": 0}, "Rows to skip (a page's start)."
)


def flag(query: QueryParams, name: str) -> bool:
    return query.get(name, "").lower() in ("1", "true", "yes")


def _int_param(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(f"{name} is a whole number from {low} to {high}.", field=name)
    return int(raw)


def page(rows: Sequence[Any], query: QueryParams) -> list[Any]:
    """One page of a list: `offset` rows skipped, at most `limit` returned."""
    limit = _int_param(query, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    offset = _int_param(query, "offset", 0, 0, MAX_ID)
    return list(rows[offset : offset + limit])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_nul(value: Any) -> None:
    """PostgreSQL text cannot hold NUL: refuse it as bad input rather than fail later."""
    if isinstance(value, str) and "\x00" in value:
        raise Problem(422, "validation_failed", "Text cannot contain NUL characters.")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k)
            _no_nul(v)
    if isinstance(value, list):
        for v in value:
            _no_nul(v)


def _json_depth(raw: bytes) -> int:
    """Deepest bracket nesting, outside strings: a linear scan, before the recursive parser."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Problem(413, "too_large", "The request body is larger than 64 KiB.")
    if _json_depth(raw) > MAX_JSON_DEPTH:
        raise Problem(
            400, "bad_json", f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
        )
    try:
        data = json.loads(raw or b"null", parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem(400, "bad_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Problem(422, "validation_failed", "The request body must be a JSON object.")
    _no_nul(data)
    return data


def _path_id(request: Request, name: str) -> int:
    raw = str(request.path_params.get(name, ""))
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise Problem(404, "not_found", "That item was not found.")
    return int(raw)


def _status_for(error: DomainError) -> tuple[int, str]:
    if isinstance(error, keys.InvalidApiKey):
        return 401, "unauthorized"
    if isinstance(error, NotFound):
        return 404, "not_found"
    if isinstance(error, Forbidden | ReadOnly | LimitReached):
        return 403, "forbidden"
    if isinstance(error, ValidationFailed):
        return 422, "validation_failed"
    if isinstance(error, Conflict):
        return 409, "conflict"
    if isinstance(error, RateLimited):
        return 429, "rate_limited"
    return 400, "bad_request"


def _error_response(status: int, error: str, message: str) -> JSONResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429:
        headers["Retry-After"] = "60"
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def caller_context(caller: ApiCaller) -> TenantContext:
    """The key's organisation, acting for its creator with the key's own role."""
    return TenantContext(
        org_id=caller.org_id,
        user_id=caller.created_by_id,
        role=Role(caller.role),
        org_slug=caller.org_slug,
    )


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


def _run(endpoint: Endpoint, caller: ApiCaller, arguments: Mapping[str, Any]) -> Any:
    ctx = caller_context(caller)
    with tenant_session(ctx) as session:
        return _dump(endpoint.handler(session=session, ctx=ctx, **arguments))


def make_handler(endpoint: Endpoint) -> Callable[[Request], Any]:
    wants = set(inspect.signature(endpoint.handler).parameters)

    async def handle(request: Request) -> Response:
        try:
            caller = await run_sync(keys.authenticate, request.headers.get("authorization", ""))
            if endpoint.write and caller.scope != SCOPE_READ_WRITE:
                raise Problem(403, "forbidden", "This API key is read-only.")
            arguments: dict[str, Any] = {name: _path_id(request, name) for name in endpoint.ids}
            if "query" in wants:
                arguments["query"] = request.query_params
            if "body" in wants or endpoint.write:
                body = await _json_object(request)
                if "body" in wants:
                    arguments["body"] = body
            data = await run_sync(_run, endpoint, caller, arguments)
        except Problem as problem:
            return _error_response(problem.status, problem.error, problem.message)
        except DomainError as error:
            status, code = _status_for(error)
            return _error_response(status, code, str(error))
        return JSONResponse(data, status_code=endpoint.status)

    handle.__name__ = f"api_{endpoint.name}"
    return handle
