"""RFC 9457 problem responses for the security middlewares: the edge's one shape, plus headers."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from edge.core import PROBLEM_JSON
from edge.core import problem as edge_problem

__all__ = ["PROBLEM_JSON", "problem"]


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> web.Response:
    """``edge.core.problem`` with response headers (challenges, Retry-After, rate limits)."""
    response = edge_problem(status, title, detail, **extra)
    if headers is not None:
        response.headers.update(headers)
    return response
