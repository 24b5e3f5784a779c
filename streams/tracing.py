"""W3C trace context and correlation ids carried from consumed to produced messages."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

TRACEPARENT = "traceparent"
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


@dataclass(frozen=True, slots=True)
class TraceContext:
    """A parsed ``traceparent``: trace id, the parent span id and the flags."""

    trace_id: str
    span_id: str
    flags: str = "01"

    @property
    def header(self) -> str:
        """The ``traceparent`` header value."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """A new span in the same trace, for a message this one causes."""
        return TraceContext(self.trace_id, os.urandom(8).hex(), self.flags)


def new_trace() -> TraceContext:
    """Start a new trace (used when a consumed message carries none)."""
    return TraceContext(os.urandom(16).hex(), os.urandom(8).hex())


def parse_traceparent(value: str | bytes | None) -> TraceContext | None:
    """Parse a ``traceparent`` header; None when absent or malformed (then a new trace starts)."""
    if value is None:
        return None
    text = value.decode("ascii", "replace") if isinstance(value, bytes) else value
    match = _TRACEPARENT.match(text.strip())
    if match is None or match.group(1) == "0" * 32 or match.group(2) == "0" * 16:
        return None
    return TraceContext(match.group(1), match.group(2), match.group(3))


def trace_from_headers(headers: list[tuple[str, bytes]] | None) -> TraceContext | None:
    """The trace context in a record's headers, if any."""
    for name, value in headers or ():
        if name == TRACEPARENT:
            return parse_traceparent(value)
    return None
