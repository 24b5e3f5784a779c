"""RFC 9457 problem responses for the security middlewares."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from aiohttp import web

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> web.Response:
    """An ``application/problem+json`` response (same shape as ``edge.app.problem``)."""
    # edge.app imports these middlewares, so importing its helper here would be circular.
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return web.Response(
        body=orjson.dumps(body), status=status, content_type=PROBLEM_JSON, headers=headers
    )
