"""``dafnck up``'s foreground loop: supervise the processes and say when each is ready."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from streams.tooling.cli.platform_ready import probe_ready, why_not
from streams.tooling.cli.supervisor import Supervisor

NOT_READY_WARNING_S = 30.0

P = TypeVar("P")


def supervise(
    supervisor: Supervisor[P],
    ready_url: Callable[[P], str],
    timings: dict[str, float],
    announce: Callable[[str], None],
    progress: Callable[[str], None],
) -> int:
    """Restart what dies and report readiness until SIGINT, SIGTERM or SIGHUP.

    Each process counts as started once its ``/ready`` answers 200; when all have,
    ``announce`` gets the per-part timings. Returns the exit status: 0 when stopped by a
    signal, 1 when a process could not start as configured (exit status 2).
    """
    stop = threading.Event()
    # Handled explicitly: a shell starting `dafnck up` in the background leaves SIGINT
    # ignored, and a closed terminal sends SIGHUP; every one of them stops the platform.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    waiting = {child.name: child for child in supervisor.children}
    announced = False
    next_probe = 0.0
    slow_after = time.monotonic() + NOT_READY_WARNING_S
    while not stop.is_set():
        for child in supervisor.check():
            waiting[child.name] = child
        if supervisor.gave_up is not None:
            progress("stopping the platform; fix the configuration and start it again")
            return 1
        now = time.monotonic()
        if waiting and now >= next_probe:
            next_probe = now + 0.5
            for name, child in list(waiting.items()):
                ok, body = probe_ready(ready_url(child.what), timeout=1.0)
                if ok:
                    took = now - child.started_at
                    if name in timings:
                        progress(f"{name} ready again {took:.1f}s after restart {child.restarts}")
                    else:
                        timings[name] = took
                        progress(f"{name} ready in {took:.1f}s")
                    del waiting[name]
                elif now >= slow_after:
                    progress(f"{name} not ready yet: {why_not(body)}")
            if now >= slow_after:
                slow_after = now + NOT_READY_WARNING_S
        if not waiting and not announced:
            announced = True
            announce(", ".join(f"{name} {secs:.1f}s" for name, secs in timings.items()))
        stop.wait(0.2)
    return 0
