"""Keyset pages over the agents read model, as ``/api/users`` pages: (created_at, id) order.

A page asks for one row more than it shows; when that row exists, the last shown row's
(created_at, id) becomes the opaque cursor of the next page.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson


@dataclass(frozen=True)
class Page:
    """Items in creation order, and the cursor of the next page (None on the last)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


@dataclass
class Where:
    """WHERE clauses and their named parameters, built up filter by filter."""

    clauses: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def add(self, clause: str, **params: Any) -> None:
        """One more condition (ANDed)."""
        self.clauses.append(clause)
        self.params.update(params)

    def sql(self) -> str:
        """``WHERE ...`` or nothing."""
        return f"WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def iso(moment: datetime | None) -> str | None:
    """A timestamp as RFC 3339 UTC with ``Z`` (as the service's replies write them)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """An opaque cursor for a page ending at this row."""
    raw = orjson.dumps([created_at.astimezone(UTC).isoformat(), row_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


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


def after(where: Where, alias: str, cursor: tuple[str, str] | None) -> None:
    """Rows past the cursor, in (created_at, id) order."""
    if cursor is not None:
        where.add(
            f"({alias}.created_at, {alias}.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)",
            after_at=cursor[0],
            after_id=cursor[1],
        )


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


def like(text: str) -> str:
    """A substring LIKE pattern whose ``%`` and ``_`` match only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
