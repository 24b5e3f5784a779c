"""SQL pieces of the agents read model's list queries: filters, keyset position, LIKE.

Pages and cursors themselves are the kernel's (``streams.http.paging``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


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


def iso_utc(moment: datetime | None) -> str | None:
    """A timestamp as RFC 3339 UTC with ``Z`` (as the service's replies write them)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def after(where: Where, alias: str, cursor: tuple[str, str] | None) -> None:
    """Rows past the cursor, in (created_at, id) order."""
    if cursor is not None:
        where.add(
            f"({alias}.created_at, {alias}.id) > (%(after_at)s::timestamptz, %(after_id)s::uuid)",
            after_at=cursor[0],
            after_id=cursor[1],
        )


def like(text: str) -> str:
    """A substring LIKE pattern whose ``%`` and ``_`` match only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
