"""JSON request bodies: media type (415), size (413), syntax (400), shape and schema (422).

``@accepts(SCHEMA)`` on a handler does all of it before the handler runs, answers
problem+json naming the field at fault, and records the schema for the OpenAPI document.
Beyond the schema a body may not nest deeper than ``MAX_JSON_DEPTH``, hold NUL characters
or repeat a key in one object (``body_checks``). The handler reads the parsed object
with ``json_body(request)``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from streams.http.body_checks import BodyFault, deep_field, duplicate_key, inspect_value, too_deep
from streams.http.limits import MAX_JSON_BYTES
from streams.http.problem import Handler, problem

_SCHEMA_ATTR = "__dafnck_request_schema__"
_OPTIONAL_ATTR = "__dafnck_body_optional__"
_BODY = web.RequestKey("dafnck_json_body", dict)
H = TypeVar("H", bound=Handler)


def is_json(content_type: str) -> bool:
    """``application/json`` or any ``application/*+json``."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


def request_schema(handler: object) -> dict[str, Any] | None:
    """The body schema declared on a handler with ``@accepts``."""
    value = getattr(handler, _SCHEMA_ATTR, None)
    return value if isinstance(value, dict) else None


def body_optional(handler: object) -> bool:
    """Whether a handler declared with ``@accepts(..., optional=True)`` runs without a body."""
    return getattr(handler, _OPTIONAL_ATTR, False) is True


def json_body(request: web.Request) -> dict[str, Any]:
    """The body ``@accepts`` parsed and validated."""
    return request[_BODY]


def _field(error: ValidationError) -> str | None:
    path = [str(part) for part in error.absolute_path]
    instance = error.instance
    # The failing node is the object holding the field: name the field itself.
    if error.validator == "required" and isinstance(instance, Mapping):
        missing = [name for name in error.validator_value if name not in instance]
        path += missing[:1]
    elif error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = set(error.schema.get("properties", {}))
        extra = sorted(name for name in instance if name not in known)
        path += extra[:1]
    return ".".join(path) or None


def _message(error: ValidationError, field: str | None) -> str:
    if error.validator == "additionalProperties" and field is not None:
        return f"unknown field '{field}'"
    if error.validator == "required" and field is not None:
        return f"'{field}' is required"
    return f"'{field}': {error.message}" if field else error.message


def _position(error: ValidationError) -> tuple[int, list[str]]:
    # Shallow errors first: a missing field explains more than a nested complaint.
    return len(error.absolute_path), [str(part) for part in error.absolute_path]


def _invalid(errors: list[ValidationError]) -> web.Response:
    listed = [(_field(e), e) for e in errors]
    details = [{"field": f, "message": _message(e, f)} for f, e in listed]
    first_field, first = listed[0]
    extra: dict[str, object] = {"code": "invalid_body", "errors": details}
    if first_field is not None:
        extra["field"] = first_field
    return problem(422, "Unprocessable Content", _message(first, first_field), **extra)


def too_large(limit: int) -> web.Response:
    """413 naming the limit."""
    return problem(
        413, "Content Too Large", f"the request body exceeds {limit} bytes", code="body_too_large"
    )


async def read_json(
    request: web.Request, validator: Draft202012Validator, limit: int = MAX_JSON_BYTES
) -> dict[str, Any] | web.Response:
    """The validated JSON object of the request, or the problem response to answer."""
    if not is_json(request.headers.get("Content-Type", "")):
        response = problem(
            415,
            "Unsupported Media Type",
            "send the body as application/json",
            code="unsupported_media_type",
        )
        response.headers["Accept"] = "application/json"
        return response
    if request.content_length is not None and request.content_length > limit:
        return too_large(limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return too_large(limit)
    if len(raw) > limit:
        return too_large(limit)
    value = parse_json(raw)
    if isinstance(value, web.Response):
        return value
    return check_body(value, validator)


def fault_response(fault: BodyFault) -> web.Response:
    """422 problem+json for a body refused before its schema was checked."""
    extra: dict[str, object] = {"code": fault.code}
    if fault.field is not None:
        extra["field"] = fault.field
    return problem(422, "Unprocessable Content", fault.detail, **extra)


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, or the 400/422 problem response to answer."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            return fault_response(too_deep(deep_field(raw)))
        return problem(
            400, "Bad Request", f"the body is not valid JSON: {exc}", code="invalid_json"
        )
    fault = inspect_value(value) or duplicate_key(raw)
    return fault_response(fault) if fault is not None else value


def check_body(value: Any, validator: Draft202012Validator) -> dict[str, Any] | web.Response:
    """The parsed body when it matches the schema, else the 422 naming the field at fault."""
    errors = sorted(validator.iter_errors(value), key=_position)
    if errors:
        return _invalid(errors)
    return value  # the schema says it is an object


def describes_body(schema: dict[str, Any]) -> Callable[[H], H]:
    """Publish a body schema a handler reads itself (when a header may stand in for it)."""
    Draft202012Validator.check_schema(schema)

    def mark(handler: H) -> H:
        setattr(handler, _SCHEMA_ATTR, schema)
        return handler

    return mark


def accepts(
    schema: dict[str, Any], *, limit: int = MAX_JSON_BYTES, optional: bool = False
) -> Callable[[H], H]:
    """Declare and enforce a handler's JSON body schema (an object schema).

    ``optional``: a request without a body runs the handler with ``{}`` as its body.
    """
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)

    def wrap(handler: H) -> H:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if optional and not request.body_exists:
                parsed: dict[str, Any] | web.Response = {}
            else:
                parsed = await read_json(request, validator, limit)
            if isinstance(parsed, web.Response):
                return parsed
            request[_BODY] = parsed
            return await handler(request)

        setattr(checked, _SCHEMA_ATTR, schema)
        setattr(checked, _OPTIONAL_ATTR, optional)
        return checked  # type: ignore[return-value]

    return wrap
