"""Keyset pages for list routes: opaque (created_at, id) cursors, page size, the page answer.

A read model fetches one row more than the page shows; when that row exists, the last shown
row's (created_at, id) becomes the opaque cursor of the next page. Every list route answers
``{items, next, limit}`` with a ``Link: rel=next`` header.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from streams.http.openapi import QueryParam
from streams.http.query_params import InvalidQuery

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

PAGE_QUERY = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "page size"),
    QueryParam("cursor", {"type": "string"}, "from the previous page's next link"),
)


@dataclass(frozen=True)
class Page:
    """Items in creation order, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(created_at: datetime | str, row_id: str) -> str:
    """An opaque cursor for a page ending at this row (a datetime is written in UTC)."""
    at = created_at.astimezone(UTC).isoformat() if isinstance(created_at, datetime) else created_at
    return base64.urlsafe_b64encode(orjson.dumps([at, row_id])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str] | None:
    """The (created_at, id) a cursor holds, or None when it is not one of ours."""
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        created_at, row_id = value
        moment = datetime.fromisoformat(created_at)
        uuid.UUID(row_id)
        # The API writes cursors in UTC; any other offset was forged (and Postgres takes
        # offsets up to 15:59 only, so it could not be handed on as it is).
        utc = moment.utcoffset() == timedelta(0)
        at = moment.astimezone(UTC).isoformat() if utc else None
    except (ValueError, TypeError, AttributeError, OverflowError, orjson.JSONDecodeError):
        return None
    return (at, row_id) if at is not None else None


def page_of(
    rows: Sequence[Sequence[Any]],
    limit: int,
    view: Callable[[Sequence[Any]], dict[str, Any]],
    key: Callable[[Sequence[Any]], tuple[datetime, str]],
) -> Page:
    """The page of ``limit`` rows fetched with ``LIMIT limit + 1``."""
    items = [view(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return Page(items, None)
    created_at, row_id = key(rows[limit - 1])
    return Page(items, encode_cursor(created_at, row_id))


def page_params(params: Mapping[str, str]) -> tuple[int, tuple[str, str] | None]:
    """``limit`` (1..200, default 50) and the decoded ``cursor``; ``InvalidQuery`` otherwise."""
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError:
        raise InvalidQuery("limit", "limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery("limit", f"limit must be between 1 and {MAX_LIMIT}")
    cursor = None
    if "cursor" in params:
        cursor = decode_cursor(params["cursor"])
        if cursor is None:
            raise InvalidQuery("cursor", "cursor is not one this API gave out")
    return limit, cursor


def page_response(request: web.Request, page: Page, limit: int) -> web.Response:
    """A page as ``{items, next, limit}`` with a ``Link: rel=next`` header."""
    next_url = None
    if page.next_cursor is not None:
        next_url = str(request.rel_url.update_query(cursor=page.next_cursor))
    response = web.json_response({"items": page.items, "next": next_url, "limit": limit})
    if next_url is not None:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response
