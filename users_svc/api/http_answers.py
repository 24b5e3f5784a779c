"""The users routes' HTTP answers: domain refusals as 422, path ids, 404, 429."""

from __future__ import annotations

import uuid

from aiohttp import web

from streams.http.problem import problem
from users_svc.domain.errors import DomainError


def domain_problem(exc: DomainError, field: str | None = None) -> web.Response:
    """422 with the rule's code and message, naming the field (``field`` overrides)."""
    extra: dict[str, object] = {"code": exc.code}
    named = field or exc.field
    if named is not None:
        extra["field"] = named
    return problem(422, "Unprocessable Content", exc.message, **extra)


def user_id_param(request: web.Request) -> str:
    """The ``{id}`` path parameter as a canonical UUID; 404 when it cannot name a user."""
    raw = request.match_info["id"]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise web.HTTPNotFound(text=f"no user {raw}") from None


def not_found(user_id: str) -> web.Response:
    """404 for a user the read model does not know."""
    return problem(404, "Not Found", f"no user {user_id}", code="user_not_found")


def throttled(retry_after: int, code: str, detail: str) -> web.Response:
    """429 with Retry-After."""
    response = problem(
        429, "Too Many Requests", f"{detail}; try again in {retry_after} s", code=code
    )
    response.headers["Retry-After"] = str(retry_after)
    return response
