"""Sending commands while Kafka is down: refuse at once, never queue behind an outage.

aiokafka keeps a record it cannot deliver in its buffer until the broker is back, however
long that takes; a request awaiting the acknowledgement would hang for the whole outage. So
the bus waits for an acknowledgement only until its send deadline, then closes this gate:
while it is closed a command is refused before it is queued (nothing sent, a retry is safe),
and one cheap metadata request at most every ``probe_interval_s`` finds out whether Kafka is
back. The first successful probe opens the gate again: the edge recovers by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("dafnck.commands")

Probe = Callable[[], Awaitable[bool]]
DEFAULT_PROBE_INTERVAL_S = 1.0
PROBE_TIMEOUT_S = 2.0


# Both are OSErrors (a connection failure, a timeout), so callers that already treat an
# unreachable Kafka or Redis as "try again later" treat these alike.
class CommandNotSent(ConnectionError):
    """A dependency the command needs did not answer in time; nothing was sent."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency
        self.detail = detail


class CommandInDoubt(TimeoutError):
    """The command is queued but Kafka did not acknowledge it by the deadline.

    It is delivered if Kafka comes back while this process runs (and then carried out and
    answered as usual), and forgotten otherwise; its status URL tells which.
    """

    def __init__(self, command_id: str) -> None:
        super().__init__(f"command {command_id} not acknowledged by Kafka in time")
        self.command_id = command_id


class KafkaGate:
    """Open while Kafka acknowledges sends; closed from a missed deadline to a good probe."""

    def __init__(
        self,
        probe: Probe,
        *,
        probe_interval_s: float = DEFAULT_PROBE_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self.probe_interval_s = probe_interval_s
        self._clock = clock
        self._closed_since: float | None = None
        self._next_probe = 0.0
        self._probing: asyncio.Task[bool] | None = None

    @property
    def open(self) -> bool:
        """True unless a send missed its deadline and no probe has reached Kafka since."""
        return self._closed_since is None

    def close(self, reason: str) -> None:
        """Kafka missed a deadline: refuse sends until a probe reaches it."""
        if self._closed_since is None:
            log.warning("kafka unavailable; refusing commands until it answers",
                        extra={"reason": reason})
            self._closed_since = self._clock()
            self._next_probe = self._clock() + self.probe_interval_s

    async def admit(self) -> None:
        """Return when a command may be sent; CommandNotSent while Kafka is unavailable."""
        if self._closed_since is None:
            return
        if self._probing is None and self._clock() >= self._next_probe:
            # One probe at a time, shared by every request arriving meanwhile.
            self._probing = asyncio.create_task(self._run_probe())
        if self._probing is not None and await asyncio.shield(self._probing):
            return
        raise CommandNotSent("kafka", "Kafka is unavailable; the command was not sent")

    async def _run_probe(self) -> bool:
        try:
            ok = await asyncio.wait_for(self._probe(), PROBE_TIMEOUT_S)
        except Exception:  # any failure to reach Kafka is "still down"
            ok = False
        finally:
            self._probing = None
            self._next_probe = self._clock() + self.probe_interval_s
        if ok and self._closed_since is not None:
            down_s = self._clock() - self._closed_since
            log.info("kafka answers again; sending commands", extra={"down_s": round(down_s, 1)})
            self._closed_since = None
        return ok
