"""Request bodies that may be JSON or YAML (workflow definitions): one schema for both.

``@accepts_document(SCHEMA)`` reads ``application/json`` as ``edge.body`` does and
``application/yaml`` (or ``text/yaml``) with ``edge.yaml_body`` (safe, no aliases, bounded
depth, large documents off the event loop), then checks the same schema, answering
400/413/415/422 problem+json like JSON routes. The document is normalized to JSON types
(YAML dates become strings) before the handler sees it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import yaml
from aiohttp import web
from jsonschema import Draft202012Validator

from streams.http.body import (
    check_body,
    describes_body,
    fault_response,
    is_json,
    read_json,
    too_large,
)
from streams.http.limits import MAX_DOCUMENT_BYTES
from streams.http.problem import Handler, problem
from streams.http.yaml_body import YamlRefused, parse_yaml

YAML_TYPES = ("application/yaml", "text/yaml", "application/x-yaml")
BODY_TYPES = ("application/json", "application/yaml", "text/yaml")
_DOCUMENT = web.RequestKey("dafnck_document_body", dict)
H = TypeVar("H", bound=Handler)


def document_body(request: web.Request) -> dict[str, Any]:
    """The body ``@accepts_document`` parsed and validated."""
    return request[_DOCUMENT]


def is_yaml(content_type: str) -> bool:
    """``application/yaml``, ``text/yaml`` or ``application/x-yaml``."""
    return content_type.split(";", 1)[0].strip().lower() in YAML_TYPES


async def read_yaml(
    request: web.Request, validator: Draft202012Validator, limit: int = MAX_DOCUMENT_BYTES
) -> dict[str, Any] | web.Response:
    """The validated YAML document of the request, or the problem response to answer."""
    if request.content_length is not None and request.content_length > limit:
        return too_large(limit)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return too_large(limit)
    if len(raw) > limit:
        return too_large(limit)
    try:
        value = await parse_yaml(raw)
    except YamlRefused as exc:
        return fault_response(exc.fault)
    except yaml.YAMLError as exc:
        return problem(
            400, "Bad Request", f"the body is not valid YAML: {exc}", code="invalid_yaml"
        )
    except orjson.JSONEncodeError as exc:
        detail = f"the YAML document has values JSON cannot hold: {exc}"
        return problem(400, "Bad Request", detail, code="invalid_yaml")
    return check_body(value, validator)


def _unsupported() -> web.Response:
    response = problem(
        415,
        "Unsupported Media Type",
        "send the body as application/json or application/yaml",
        code="unsupported_media_type",
    )
    response.headers["Accept"] = ", ".join(BODY_TYPES)
    return response


def accepts_document(
    schema: dict[str, Any], *, limit: int = MAX_DOCUMENT_BYTES
) -> Callable[[H], H]:
    """Declare and enforce a body schema for a JSON or YAML document."""
    validator = Draft202012Validator(schema)

    def wrap(handler: H) -> H:
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            content_type = request.headers.get("Content-Type", "")
            if is_yaml(content_type):
                parsed = await read_yaml(request, validator, limit)
            elif is_json(content_type):
                parsed = await read_json(request, validator, limit)
            else:
                return _unsupported()
            if isinstance(parsed, web.Response):
                return parsed
            request[_DOCUMENT] = parsed
            return await handler(request)

        return describes_body(schema)(checked)  # type: ignore[return-value]

    return wrap
