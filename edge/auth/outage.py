"""Fail-open bookkeeping for an optional dependency (Redis) that has stopped answering."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("dafnck.edge")


class FailOpen:
    """After a failure, skip the dependency briefly and warn at most once per interval."""

    def __init__(
        self,
        what: str,
        *,
        retry_after_s: float = 1.0,
        warn_every_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self._retry_after_s = retry_after_s
        self._warn_every_s = warn_every_s
        self._clock = clock
        self._down_until = float("-inf")
        self._warned_at = float("-inf")

    def skipping(self) -> bool:
        """True while a recent failure says not to try yet (saves a timeout per request)."""
        return self._clock() < self._down_until

    def failed(self, exc: BaseException) -> None:
        """Record a failure; logs a warning unless one was logged recently."""
        now = self._clock()
        self._down_until = now + self._retry_after_s
        if now - self._warned_at >= self._warn_every_s:
            self._warned_at = now
            log.warning(
                "%s unavailable, failing open", self.what, extra={"error": str(exc) or repr(exc)}
            )
