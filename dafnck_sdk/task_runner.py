"""Running the handler on offered tasks: dedupe, the concurrency limit, revocation, reports."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from dafnck_sdk import protocol
from dafnck_sdk.errors import PermanentFailure
from dafnck_sdk.outbox import Outbox
from dafnck_sdk.protocol import Offer
from dafnck_sdk.task import Task

log = logging.getLogger("dafnck_sdk")

Handler = Callable[[Task], "Awaitable[dict[str, Any]] | dict[str, Any]"]
Key = tuple[str, int]

# Finished attempts remembered so a redelivered offer is answered, not run again.
FINISHED_MEMORY = 1024


@dataclass
class _Run:
    offer: Offer
    job: asyncio.Task[None] | None = None
    started: bool = False
    stop_reason: str | None = None  # "revoked", "shutdown" or "abandoned"


def describe(exc: BaseException) -> str:
    """``ExcType: message`` as reported in a failure, cut to the protocol's limit."""
    text = str(exc)
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return described[: protocol.MAX_ERROR_CHARS]


def is_async(handler: Callable[..., Any]) -> bool:
    """True when calling the handler gives a coroutine (functions, partials, __call__)."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None)  # noqa: B004 (the method, not callability)
    )


class TaskRunner:
    """Runs at most ``concurrency`` handlers at once; everything they do becomes a report."""

    def __init__(self, handler: Handler, concurrency: int, outbox: Outbox) -> None:
        self._handler = handler
        self._async = is_async(handler)
        self._slots = asyncio.Semaphore(concurrency)
        self._outbox = outbox
        self._active: dict[Key, _Run] = {}  # queued for a slot or running
        self._finished: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self.accepting = True

    def offer(self, offer: Offer) -> None:
        """A ``task`` frame: run it, unless this attempt is already here or done."""
        key = offer.key
        if key in self._active or key in self._finished:
            log.debug("task %s attempt %d offered again: not run twice", *key)
            self._acknowledge_again(key)
            return
        if not self.accepting:
            # The scheduler offers it again to this agent's next connection.
            log.info("stopping: not taking task %s attempt %d", *key)
            return
        run = _Run(offer)
        self._active[key] = run
        run.job = asyncio.create_task(self._execute(run), name=f"dafnck-task-{key[0]}-{key[1]}")

    def _acknowledge_again(self, key: Key) -> None:
        # A re-offer means the scheduler may have missed what we said: say it again, unless
        # it is still in the outbox (then it goes out anyway).
        run = self._active.get(key)
        if run is not None:
            if run.started and not self._outbox.pending(key, frozenset({"started"})):
                self._outbox.add(protocol.started(*key))
            return
        if not self._outbox.pending(key, protocol.TERMINAL_REPORTS):
            self._outbox.add(self._finished[key])

    def revoke(self, task_id: str, attempt: int) -> None:
        """A ``revoke`` frame: cancel the attempt if it is here; nothing is reported for it."""
        key = (task_id, attempt)
        run = self._active.get(key)
        if run is None or run.job is None:
            log.debug("revoke of task %s attempt %d, which is not running here", *key)
            return
        log.info("task %s attempt %d revoked: cancelling its handler", *key)
        run.stop_reason = "revoked"
        run.job.cancel()
        # The scheduler ignores reports of a revoked attempt; don't resend them.
        self._outbox.discard_task(key)

    def running_ids(self) -> list[str]:
        """Task ids for the hello: executing here, or finished with the result unconfirmed."""
        # A finished task left out would be released by the scheduler (agent_restarted) and
        # its result, resent right after the hello, ignored.
        ids = {key[0] for key, run in self._active.items() if run.started}
        return sorted(ids | self._outbox.task_ids())

    def running_count(self) -> int:
        """How many handlers are executing now."""
        return sum(1 for run in self._active.values() if run.started)

    async def drain(self, grace_s: float) -> None:
        """Take no more tasks, let running ones finish within grace_s, then cancel the rest."""
        self.accepting = False
        for run in self._active.values():
            if not run.started and run.job is not None:
                run.stop_reason = "shutdown"
                run.job.cancel()
        jobs = [run.job for run in self._active.values() if run.job is not None]
        if not jobs:
            return
        log.info("stopping: waiting up to %gs for %d task(s)", grace_s, self.running_count())
        _done, late = await asyncio.wait(jobs, timeout=grace_s)
        if late:
            log.warning(
                "stopping: cancelling %d task(s) still running after %gs", len(late), grace_s
            )
            await self._cancel(late, "shutdown")

    async def abandon(self) -> None:
        """Cancel everything without reporting (the agent cannot talk to the edge any more)."""
        self.accepting = False
        await self._cancel([r.job for r in self._active.values() if r.job is not None], "abandoned")

    async def _cancel(self, jobs: Collection[asyncio.Task[None]], reason: str) -> None:
        for run in list(self._active.values()):
            if run.job is not None and run.job in jobs:
                run.stop_reason = reason
                run.job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)

    async def _execute(self, run: _Run) -> None:
        key = run.offer.key
        try:
            async with self._slots:
                if not self.accepting:
                    return
                run.started = True
                self._outbox.add(protocol.started(*key))
                frame = await self._outcome(run.offer)
            self._remember(key, frame)
            self._outbox.add(frame)
        except asyncio.CancelledError:
            if run.stop_reason == "shutdown" and run.started:
                # Failing it now lets the scheduler retry it at once, not after a timeout.
                frame = protocol.failure(
                    *key, "AgentStopped: the agent stopped before the handler finished", True
                )
                self._remember(key, frame)
                self._outbox.add(frame)
            raise
        finally:
            self._active.pop(key, None)

    def _remember(self, key: Key, frame: dict[str, Any]) -> None:
        self._finished[key] = frame
        while len(self._finished) > FINISHED_MEMORY:
            self._finished.popitem(last=False)

    async def _outcome(self, offer: Offer) -> dict[str, Any]:
        key = offer.key
        deadline = asyncio.timeout(offer.timeout_s)
        try:
            async with deadline:
                output = await self._call(Task(offer, self._progress))
        except PermanentFailure as exc:
            log.info("task %s attempt %d failed for good: %s", *key, describe(exc))
            return protocol.failure(*key, describe(exc), False)
        except Exception as exc:
            error = describe(exc)
            if isinstance(exc, TimeoutError) and deadline.expired():
                error = f"TimeoutError: the handler did not finish within {offer.timeout_s:g}s"
            log.warning("task %s attempt %d failed: %s", *key, error, exc_info=True)
            return protocol.failure(*key, error, True)
        problem = _output_problem(output)
        if problem is not None:
            log.error("task %s attempt %d: %s", *key, problem)
            return protocol.failure(*key, problem, False)
        return protocol.result(*key, output)

    async def _call(self, task: Task) -> Any:
        if self._async:
            return await self._handler(task)  # type: ignore[misc]
        # A sync handler runs in a thread so the connection keeps beating. Cancelling (revoke,
        # timeout) stops waiting for it; the thread itself runs to its end.
        output = await asyncio.to_thread(self._handler, task)
        return await output if inspect.isawaitable(output) else output

    def _progress(self, key: Key, fraction: float, message: str | None) -> None:
        run = self._active.get(key)
        if run is not None and run.started and run.stop_reason is None:
            self._outbox.add(protocol.progress(*key, fraction, message))


def _output_problem(output: Any) -> str | None:
    # Retrying cannot fix what the code returns: these failures are not retryable.
    if not isinstance(output, dict):
        return f"TypeError: the handler returned {type(output).__name__}, not a dict (the output)"
    try:
        size = protocol.json_size(output)
    except (TypeError, ValueError) as exc:
        return f"TypeError: the handler's output is not JSON-serialisable: {exc}"
    if size > protocol.MAX_RESULT_BYTES:
        return (
            f"OutputTooLarge: the handler's output is {size} bytes as JSON, over the limit "
            f"of {protocol.MAX_RESULT_BYTES} bytes for a result"
        )
    return None
