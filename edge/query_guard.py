"""Query strings: parameters the read models cannot take are refused before a route runs."""

from __future__ import annotations

from aiohttp import web

from streams.http.limits import NUL
from streams.http.problem import Handler, problem


@web.middleware
async def refuse_nul_query(request: web.Request, handler: Handler) -> web.StreamResponse:
    """422 naming the first query parameter whose name or value holds U+0000."""
    # Postgres refuses NUL in text; caught here, no filter of any list route can turn it
    # into a 500.
    for name, value in request.query.items():
        if NUL in name or NUL in value:
            field = name.replace(NUL, "\\u0000")
            return problem(
                422,
                "Unprocessable Content",
                f"query parameter '{field}' contains a NUL character (U+0000)",
                code="invalid_query",
                field=field,
            )
    return await handler(request)
