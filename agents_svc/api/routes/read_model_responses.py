"""Answering from the agents read model: a page, one view, 404, or 503 while it is down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from streams.http.paging import Page, page_response
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable


def not_found_problem(what: str, code: str, ident: str) -> web.Response:
    """404 for something the read model does not know."""
    return problem(404, "Not Found", f"no {what} {ident}", code=code)


async def list_response(
    request: web.Request, limit: int, fetch: Callable[[], Awaitable[Page]]
) -> web.Response:
    """A page as ``{items, next, limit}`` with a ``Link: rel=next`` header (as /api/users)."""
    try:
        page = await fetch()
    except ReadModelUnavailable:
        return read_model_unavailable("agents")
    return page_response(request, page, limit)


async def view_response(
    fetch: Callable[[], Awaitable[dict[str, Any] | None]], missing: web.Response
) -> web.Response:
    """The view ``fetch`` finds, ``missing`` when None, 503 when the read model is down."""
    try:
        found = await fetch()
    except ReadModelUnavailable:
        return read_model_unavailable("agents")
    return web.json_response(found) if found is not None else missing
