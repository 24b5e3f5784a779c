"""The OpenAPI 3.1 document, built from the routes the edge has mounted.

Each operation says how it is authorized (``security: []`` for public routes, the bearer
scheme otherwise, and ``x-permission`` naming the ``resource:action`` it needs), publishes
its request body's JSON Schema under ``components/schemas`` and lists its path and query
parameters. Handlers add what a route cannot tell by itself with ``@documented``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from streams import __version__
from streams.http.access import is_public, permission_of
from streams.http.body import body_optional, request_schema

H = TypeVar("H", bound=Callable[..., Any])
_OPERATION_ATTR = "__dafnck_operation__"
_PLACEHOLDER = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
_DOCUMENTED = {
    "/health": "Liveness: the edge process answers.",
    "/ready": "Readiness: Kafka, Postgres and Redis answer.",
    "/metrics": "Prometheus metrics of the edge.",
    "/openapi.json": "This document.",
}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` and `field` say what to fix.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
    },
}


@dataclass(frozen=True)
class QueryParam:
    """One query-string parameter of an operation."""

    name: str
    schema: Mapping[str, Any]
    description: str = ""


@dataclass(frozen=True)
class Operation:
    """What the document says about a handler beyond its route, docstring and declarations."""

    tag: str | None = None
    responses: Mapping[int, str] = field(default_factory=dict)
    query: tuple[QueryParam, ...] = ()
    # The media types the body may come in (same schema); JSON unless a route reads others.
    body_types: tuple[str, ...] = ("application/json",)


def documented(
    *,
    tag: str | None = None,
    responses: Mapping[int, str] | None = None,
    query: tuple[QueryParam, ...] = (),
    body_types: tuple[str, ...] = ("application/json",),
) -> Callable[[H], H]:
    """Attach a tag, the success/failure statuses, query parameters and body media types."""

    def mark(handler: H) -> H:
        operation = Operation(tag, dict(responses or {}), query, body_types)
        setattr(handler, _OPERATION_ATTR, operation)
        return handler

    return mark


def _operation_of(handler: object) -> Operation:
    value = getattr(handler, _OPERATION_ATTR, None)
    return value if isinstance(value, Operation) else Operation()


def _summary(handler: object, path: str) -> str:
    doc = getattr(handler, "__doc__", None) or _DOCUMENTED.get(path, "")
    return doc.strip().splitlines()[0] if doc.strip() else path


def _responses(
    op: Operation, *, public: bool, has_body: bool, path: str, has_path_params: bool
) -> dict[str, Any]:
    """What the route declares, plus every status the edge answers for it on its own."""
    statuses = dict(op.responses) or {200: "OK"}
    # The HTTP parser's limits (streams.http.limits) hold for every route.
    statuses.setdefault(414, "The request line (path and query) is too long")
    statuses.setdefault(431, "A request header is too long, or there are too many")
    if has_body:
        statuses.setdefault(400, "The body is not valid JSON (or YAML where accepted)")
        statuses.setdefault(413, "Body too large")
        statuses.setdefault(415, "Body media type not accepted (see the request body's types)")
        statuses.setdefault(
            422, "Body does not match the schema, nests too deep, holds NUL or repeats a key"
        )
    if op.query:
        statuses.setdefault(422, "A query parameter is invalid; `field` names it")
    if has_path_params:
        statuses.setdefault(404, "No such resource (or a path id that cannot name one)")
    if not public:
        statuses.setdefault(401, "Missing, invalid, expired or revoked bearer token")
        statuses.setdefault(503, "A dependency is unavailable; see Retry-After")
    if path.startswith("/api/"):
        # Any /api path may be given a rate limit (DAFNCK_RATE_LIMITS), and reads the read
        # models or sends commands that an outage can stop.
        statuses.setdefault(429, "Rate limit exceeded; see Retry-After")
        statuses.setdefault(503, "A dependency is unavailable; see Retry-After")
    out: dict[str, Any] = {}
    for status in sorted(statuses):
        entry: dict[str, Any] = {"description": statuses[status]}
        if status >= 400:
            entry["content"] = _PROBLEM
        out[str(status)] = entry
    return out


def _operation(route: web.AbstractRoute, path: str, schemas: dict[str, Any]) -> dict[str, Any]:
    handler = route.handler
    op = _operation_of(handler)
    public = is_public(handler, path)
    permission = permission_of(handler)
    body = request_schema(handler)
    doc: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{getattr(handler, '__name__', 'handler')}",
        "summary": _summary(handler, path),
        "security": [] if public else [{"bearerAuth": []}],
    }
    if op.tag is not None:
        doc["tags"] = [op.tag]
    if permission is not None:
        doc["x-permission"] = permission
        doc["description"] = f"Requires permission `{permission}`."
        responses = {403: f"The caller lacks {permission}", **op.responses}
        op = Operation(op.tag, responses, op.query, op.body_types)
    path_names = _PLACEHOLDER.findall(path)
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_names
    ]
    params += [
        {"name": q.name, "in": "query", "schema": dict(q.schema), "description": q.description}
        for q in op.query
    ]
    if params:
        doc["parameters"] = params
    if body is not None:
        name = str(body.get("title") or doc["operationId"])
        schemas[name] = body
        ref = {"$ref": f"#/components/schemas/{name}"}
        content = {media_type: {"schema": ref} for media_type in op.body_types}
        doc["requestBody"] = {"required": not body_optional(handler), "content": content}
    doc["responses"] = _responses(
        op,
        public=public,
        has_body=body is not None,
        path=path,
        has_path_params=bool(path_names),
    )
    return doc


def openapi_document(app: web.Application) -> dict[str, Any]:
    """OpenAPI 3.1 for every GET/POST/... route with a canonical path."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method in ("HEAD", "*", "OPTIONS"):
            continue
        path = _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", resource.canonical)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, path, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "DafnckMachine", "version": __version__},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
