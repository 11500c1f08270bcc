"""The OpenAPI 3.1 document, generated from the endpoint table, so the two cannot drift apart.

Every response schema is generated in one pass (`TypeAdapter.json_schemas`), so a model named
alike in two domains (RiskRow, TrendPoint) gets one distinct definition each and every `$ref`
points at a definition the document holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter

from pmo_saas.rest import collaboration, delivery_plan
from pmo_saas.rest.core import PREFIX, Endpoint
from pmo_saas.rest.portfolio import REQUEST_SCHEMAS
from pmo_saas.rest.schemas import ErrorBody

REF = "#/components/schemas/{model}"
_ERRORS = {
    "401": "Missing, unknown or revoked API key",
    "404": "Not found (or another organisation's)",
    "429": "Rate limit reached",
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error_ref() -> dict[str, Any]:
    return {"$ref": REF.format(model="ErrorBody")}


def _operation(endpoint: Endpoint, response_schema: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(endpoint.status): {"description": "OK", "content": _json(response_schema)},
        **{
            code: {"description": text, "content": _json(_error_ref())}
            for code, text in _ERRORS.items()
        },
        "409": {"description": "Clashes with the current state"},
    }
    operation: dict[str, Any] = {
        "summary": endpoint.summary,
        "operationId": endpoint.name,
        "parameters": [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1}}
            for name in endpoint.ids
        ] + list(endpoint.parameters),
        "responses": responses,
    }  # fmt: skip
    if endpoint.write:
        operation["description"] = (
            "Needs a read-and-write key (403 for a read key) whose role may make the change."
        )
        responses["403"] = {"description": "Read-only key or role refused"}
        responses["400"] = {"description": "Body is not JSON"}
        responses["422"] = {"description": "Invalid input"}
    else:
        responses["403"] = {"description": "Refused (the key's role may not read this)"}
        responses["422"] = {"description": "Invalid filter"}
    if endpoint.body:
        operation["requestBody"] = {
            "required": True,
            "content": _json({"$ref": REF.format(model=endpoint.body)}),
        }
    return operation


def openapi_document(endpoints: Sequence[Endpoint]) -> dict[str, Any]:
    inputs = [(i, "serialization", TypeAdapter(e.response)) for i, e in enumerate(endpoints)]
    inputs.append((-1, "serialization", TypeAdapter(ErrorBody)))
    by_input, defs = TypeAdapter.json_schemas(inputs, ref_template=REF)  # type: ignore[arg-type]
    schemas: dict[str, Any] = dict(defs.get("$defs", {}))  # ErrorBody among them
    schemas.update(REQUEST_SCHEMAS)
    schemas.update(delivery_plan.REQUEST_SCHEMAS)
    schemas.update(collaboration.REQUEST_SCHEMAS)
    paths: dict[str, Any] = {}
    for i, endpoint in enumerate(endpoints):
        operation = _operation(endpoint, by_input[(i, "serialization")])
        paths.setdefault(PREFIX + endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pmo_saas API",
            "version": "1",
            "description": "The organisation's portfolio, assessments, surveys and coaching "
            "data. Authenticate with an organisation API key: Authorization: Bearer <key>. "
            "A key acts with the role chosen when it was made. Every list is paged with limit and "
            "offset (100 rows by default, 500 at most); a page shorter than limit is the last.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
        "paths": paths,
    }
