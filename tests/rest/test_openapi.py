"""The OpenAPI document is valid OpenAPI 3.1 (openapi-spec-validator), every `$ref` in it
points at a schema it defines, and it lists every endpoint of the table the routes come from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from openapi_spec_validator import validate

from pmo_saas.rest.core import PREFIX
from pmo_saas.rest.http import ENDPOINTS
from tests.rest.helpers import client


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _document() -> dict[str, Any]:
    response = client().get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_document_validates() -> None:
    validate(_document())  # raises on any error


def test_every_reference_is_defined() -> None:
    doc = _document()
    defined = {f"#/components/schemas/{name}" for name in doc["components"]["schemas"]}
    used = set(_refs(doc))
    assert used and used <= defined, sorted(used - defined)
    # the two names that used to dangle: each domain's model has its own definition now
    names = " ".join(doc["components"]["schemas"])
    assert "RiskRow" in names and "TrendPoint" in names


def test_every_endpoint_is_documented_with_its_parameters() -> None:
    doc = _document()
    documented = {
        (method.upper(), path) for path, operations in doc["paths"].items() for method in operations
    }
    assert documented == {(e.method, PREFIX + e.path) for e in ENDPOINTS}
    for endpoint in ENDPOINTS:
        operation = doc["paths"][PREFIX + endpoint.path][endpoint.method.lower()]
        names = {p["name"] for p in operation["parameters"]}
        assert set(endpoint.ids) <= names, endpoint.path
        assert endpoint.paginated == ({"limit", "offset"} <= names), endpoint.path
