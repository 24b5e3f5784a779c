"""Path ids and query parameters of read routes: parsed, or refused with 404 / 422 naming them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from aiohttp import web

from streams.http.problem import problem


class InvalidQuery(Exception):
    """A query parameter the API cannot use; answered 422 naming it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail

    def response(self) -> web.Response:
        """422 problem+json naming the parameter."""
        return problem(
            422, "Unprocessable Content", self.detail, code="invalid_query", field=self.field
        )


def path_id(request: web.Request, name: str = "id", what: str = "resource") -> str:
    """A UUID path parameter in canonical form; 404 when it cannot name anything."""
    raw = request.match_info[name]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise web.HTTPNotFound(text=f"no {what} {raw}") from None


def uuid_param(params: Mapping[str, str], name: str) -> str | None:
    """An optional UUID query parameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise InvalidQuery(name, f"{name} must be a UUID") from None


def enum_param(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    """An optional query parameter taking one of ``allowed``."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise InvalidQuery(name, f"{name} must be one of {', '.join(allowed)}")
    return raw


def time_param(params: Mapping[str, str], name: str) -> datetime | None:
    """An optional RFC 3339 time with a time zone."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw)
        # Postgres takes offsets up to 15:59 only; Python up to 23:59: hand it UTC.
        utc = moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):
        utc = None
    if utc is None:
        raise InvalidQuery(name, f"{name} must be an RFC 3339 time with a time zone")
    return utc
