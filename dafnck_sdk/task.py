"""``Task``: what a handler receives — one attempt of a task, and a way to report progress."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from dafnck_sdk.protocol import Offer

ProgressSink = Callable[[tuple[str, int], float, "str | None"], None]


class Task:
    """One attempt of a task given to this agent: its input and where it belongs."""

    def __init__(self, offer: Offer, sink: ProgressSink) -> None:
        self._offer = offer
        self._sink = sink
        # Captured here (on the event loop) so sync handlers in threads can report too.
        self._loop = asyncio.get_running_loop()

    @property
    def task_id(self) -> str:
        """The task's id (stable across attempts)."""
        return self._offer.task_id

    @property
    def attempt(self) -> int:
        """Which attempt this is: a retry of a failed attempt has a higher number."""
        return self._offer.attempt

    @property
    def input(self) -> dict[str, Any]:
        """The task's input object as submitted (or as resolved from a workflow step)."""
        return self._offer.input

    @property
    def project_id(self) -> str | None:
        """The project the task belongs to."""
        return self._offer.project_id

    @property
    def execution_id(self) -> str | None:
        """The workflow execution, when the task is a workflow step."""
        return self._offer.execution_id

    @property
    def step_id(self) -> str | None:
        """The workflow step, when the task is one."""
        return self._offer.step_id

    @property
    def timeout_s(self) -> float | None:
        """How long the handler may take; the SDK fails the attempt (retryable) after that."""
        return self._offer.timeout_s

    @property
    def capabilities(self) -> list[str]:
        """The capabilities the task asked for."""
        return self._offer.capabilities

    async def progress(self, fraction: float, message: str | None = None) -> None:
        """Report how far the handler is (0..1) with an optional human-readable note."""
        self._sink(self._offer.key, _checked(fraction), _text(message))

    def progress_threadsafe(self, fraction: float, message: str | None = None) -> None:
        """``progress`` for sync handlers, which run in a worker thread."""
        key, checked = self._offer.key, _checked(fraction)
        self._loop.call_soon_threadsafe(self._sink, key, checked, _text(message))

    def __repr__(self) -> str:
        return f"Task(task_id={self.task_id!r}, attempt={self.attempt})"


def _checked(fraction: float) -> float:
    # A bad value is a bug in the handler: say so where it happens, not in an edge error.
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise TypeError(f"progress must be a number between 0 and 1, not {fraction!r}")
    if math.isnan(fraction) or not 0 <= fraction <= 1:
        raise ValueError(f"progress must be between 0 and 1, not {fraction!r}")
    return float(fraction)


def _text(message: object) -> str | None:
    return None if message is None else str(message)
