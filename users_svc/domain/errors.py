"""The one error type commands raise when a request breaks a rule."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class DomainError(Exception):
    """A rule was broken: ``code`` for machines, ``message`` for people, ``field`` for forms."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {message}" + (f" ({field})" if field else ""))
        self.code = code
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        """The JSON body an edge route answers with."""
        return {"code": self.code, "message": self.message, "field": self.field}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DomainError):
            return NotImplemented
        return (self.code, self.message, self.field) == (other.code, other.message, other.field)

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.field))


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """Refuse naive datetimes: comparing them with stored UTC times would silently be wrong."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")
    return moment
