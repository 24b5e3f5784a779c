"""Polling until a server answers, gives up, or runs out of time."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum


class WaitResult(Enum):
    """How a wait ended."""

    READY = "ready"
    DIED = "died"
    TIMEOUT = "timeout"


def wait_for(
    check: Callable[[], bool],
    *,
    timeout: float,
    interval: float = 0.25,
    alive: Callable[[], bool] | None = None,
) -> WaitResult:
    """Call check() until it is true, alive() turns false, or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return WaitResult.READY
        if alive is not None and not alive():
            return WaitResult.DIED
        if time.monotonic() >= deadline:
            return WaitResult.TIMEOUT
        time.sleep(interval)
