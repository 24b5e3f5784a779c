"""Errors raised by the local stack, worded for the person who ran the command."""

from __future__ import annotations

from pathlib import Path

from streams.tooling.stack.logs import error_lines, lines_since_start

LOG_TAIL_LINES = 20


class StackError(RuntimeError):
    """A stack operation failed; the message says what and what to do about it."""


class ComponentError(StackError):
    """One server failed; the message names it and carries the tail of its log."""

    def __init__(self, component: str, reason: str, log_path: Path | None = None) -> None:
        message = f"{component} failed to start: {reason}"
        if log_path is not None:
            recent = lines_since_start(log_path)
            tail = recent[-LOG_TAIL_LINES:]
            # The cause is often logged well before the tail (Kafka logs its whole shutdown).
            errors = [line for line in error_lines(recent) if line not in tail]
            if errors:
                message += f"\n--- errors logged in {log_path} ---\n" + "\n".join(errors)
            if tail:
                message += f"\n--- last {len(tail)} lines of {log_path} ---\n" + "\n".join(tail)
            else:
                message += f"\n(nothing new in its log {log_path})"
        super().__init__(message)
        self.component = component
        self.log_path = log_path
