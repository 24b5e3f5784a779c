"""The reports this agent has made and the edge has not yet confirmed.

Every report (started, progress, result, failure, message_ack, send) gets the next ``ref``
and stays here until the edge answers ``{"type": "ok", "ref": n}``, which it does once the
report's command is on Kafka. A new connection resends everything still here, in ref order,
so a result computed while the edge was unreachable is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass
from typing import Any

from dafnck_sdk import protocol

# A report the edge answers with an error (it could not put it on Kafka, or found it invalid)
# is sent again after each of these delays, then dropped: the first kind of error passes.
REFUSAL_RETRIES_S = (0.5, 2.0, 5.0)


@dataclass
class _Entry:
    frame: dict[str, Any]
    waiter: asyncio.Future[None] | None
    refusals: int = 0


class Outbox:
    """Unacknowledged reports in ref order, and which of them this connection has not sent."""

    def __init__(self) -> None:
        self._next_ref = 1
        self._pending: dict[int, _Entry] = {}  # insertion order is ref order
        self._latest_progress: dict[tuple[str, int], int] = {}
        self._unsent: deque[int] = deque()
        self._changed = asyncio.Event()
        self._empty = asyncio.Event()
        self._empty.set()

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, frame: dict[str, Any]) -> int:
        """Queue a report; returns the ref stamped on it."""
        return self._add(frame, None)

    def add_awaitable(self, frame: dict[str, Any]) -> asyncio.Future[None]:
        """Queue a report; the future resolves on the edge's ok or fails on its error frame."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._add(frame, waiter)
        return waiter

    def _add(self, frame: dict[str, Any], waiter: asyncio.Future[None] | None) -> int:
        ref = self._next_ref
        self._next_ref += 1
        key = protocol.task_key(frame)
        if key is not None and frame["type"] == "progress":
            # Only the newest progress of an attempt matters: a superseded one still here
            # is not (re)sent.
            superseded = self._latest_progress.get(key)
            if superseded is not None:
                self._pending.pop(superseded, None)
            self._latest_progress[key] = ref
        self._pending[ref] = _Entry({**frame, "ref": ref}, waiter)
        self._unsent.append(ref)
        self._empty.clear()
        self._changed.set()
        return ref

    def ack(self, ref: int) -> None:
        """The edge has the report: forget it (an unknown ref is a superseded one: ignored)."""
        entry = self._pop(ref)
        if entry is not None and entry.waiter is not None and not entry.waiter.done():
            entry.waiter.set_result(None)

    def refused(self, ref: int, exc: BaseException) -> tuple[dict[str, Any], float | None] | None:
        """The edge answered an error: (the frame, seconds until it is tried again or None
        when it is dropped now, its waiter failing with exc); None for an unknown ref."""
        entry = self._pending.get(ref)
        if entry is None:
            return None
        if entry.refusals < len(REFUSAL_RETRIES_S):
            delay = REFUSAL_RETRIES_S[entry.refusals]
            entry.refusals += 1
            asyncio.get_running_loop().call_later(delay, self._again, ref)
            return entry.frame, delay
        return self.reject(ref, exc), None

    def pending_ref(self, ref: int) -> bool:
        """Whether the report with this ref still waits for the edge's answer."""
        return ref in self._pending

    def reject(self, ref: int, exc: BaseException) -> dict[str, Any]:
        """Drop a pending report for good; whoever awaits it gets exc."""
        entry = self._pop(ref)
        assert entry is not None
        if entry.waiter is not None and not entry.waiter.done():
            entry.waiter.set_exception(exc)
        return entry.frame

    def _again(self, ref: int) -> None:
        if ref in self._pending:  # else confirmed meanwhile (e.g. resent after a reconnect)
            self._unsent.append(ref)
            self._changed.set()

    def _pop(self, ref: int) -> _Entry | None:
        entry = self._pending.pop(ref, None)
        if entry is not None:
            key = protocol.task_key(entry.frame)
            if key is not None and self._latest_progress.get(key) == ref:
                del self._latest_progress[key]
        if not self._pending:
            self._empty.set()
        return entry

    def discard_task(self, key: tuple[str, int]) -> None:
        """Drop every report of an attempt (it was revoked: the scheduler ignores them now)."""
        for ref in [r for r, e in self._pending.items() if protocol.task_key(e.frame) == key]:
            self._pop(ref)

    def pending(self, key: tuple[str, int], types: frozenset[str]) -> bool:
        """True when a report of one of these types for the attempt awaits its ok."""
        return any(
            e.frame["type"] in types and protocol.task_key(e.frame) == key
            for e in self._pending.values()
        )

    def pending_ack(self, message_id: str) -> bool:
        """True when an ack of this message awaits its ok."""
        return any(
            e.frame["type"] == "message_ack" and e.frame.get("message_id") == message_id
            for e in self._pending.values()
        )

    def task_ids(self) -> set[str]:
        """Tasks with unconfirmed reports (a finished task whose result is still here)."""
        return {str(e.frame["task_id"]) for e in self._pending.values() if "task_id" in e.frame}

    def rewind(self) -> int:
        """A new connection: every unacknowledged report goes out again; returns how many."""
        self._unsent = deque(self._pending)
        self._changed.set()
        return len(self._unsent)

    async def next_to_send(self) -> dict[str, Any]:
        """The next report this connection has not sent, waiting for one if needed."""
        while True:
            while self._unsent:
                entry = self._pending.get(self._unsent.popleft())
                if entry is not None:  # else acked or superseded meanwhile
                    return entry.frame
            self._changed.clear()
            await self._changed.wait()

    async def wait_empty(self, timeout: float | None) -> bool:
        """Wait until the edge has confirmed everything; False when the timeout came first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._empty.wait(), timeout)
        return self._empty.is_set()

    def fail_waiters(self, exc: BaseException) -> None:
        """The agent stops: whoever awaits a confirmation gets this error instead."""
        for entry in self._pending.values():
            if entry.waiter is not None and not entry.waiter.done():
                entry.waiter.set_exception(exc)
