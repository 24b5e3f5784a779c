"""RFC 9457 problem responses: the one error shape every route and middleware answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PROBLEM_JSON = "application/problem+json"
UNAVAILABLE_RETRY_AFTER_S = "5"  # a broker or database restart takes seconds, not one

# The ``code`` of a problem whose maker did not name a more precise one.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    414: "request_line_too_long",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


def problem(status: int, title: str, detail: str, **extra: Any) -> web.Response:
    """An ``application/problem+json`` response: type, title, status, detail, code.

    ``extra`` adds members (``code`` when the status's default is not precise enough,
    ``field``, ...); ``headers`` (a mapping) adds response headers (challenges,
    Retry-After, rate limits) instead of a member.
    """
    headers: Mapping[str, str] | None = extra.pop("headers", None)
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    body.setdefault("code", STATUS_CODES.get(status, f"http_{status}"))
    response = web.Response(body=orjson.dumps(body), status=status, content_type=PROBLEM_JSON)
    if headers is not None:
        response.headers.update(headers)
    return response


def read_model_unavailable(context: str) -> web.Response:
    """503 with Retry-After while a context's read model cannot be queried."""
    return problem(
        503,
        "Service Unavailable",
        f"the {context} read model is not available yet; try again",
        code="read_model_unavailable",
        headers={"Retry-After": "2"},
    )
