"""Framework-neutral shapes of a consumed record and of a producer, used by the pipeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

Headers = list[tuple[str, bytes]]


@dataclass(slots=True)
class Record:
    """A consumed Kafka record: where it came from and its raw bytes."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


class Sender(Protocol):
    """Something that produces a record (Faust's producer in a worker, aiokafka in the CLI)."""

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        """Queue one record for delivery; delivery is confirmed before offsets are committed."""


def normalize_headers(headers: Mapping[str, Any] | Sequence[tuple[str, Any]] | None) -> Headers:
    """Kafka headers as a list of (name, bytes), whatever shape the client gave them in."""
    if not headers:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: Headers = []
    for name, value in items:
        if value is None:
            out.append((name, b""))
        elif isinstance(value, bytes):
            out.append((name, value))
        else:
            out.append((name, str(value).encode()))
    return out


def header(headers: Headers, name: str) -> str | None:
    """The last value of a header as text, or None."""
    found: str | None = None
    for key, value in headers:
        if key == name:
            found = value.decode("utf-8", "replace")
    return found
