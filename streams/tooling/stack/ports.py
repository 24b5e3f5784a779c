"""Choosing free loopback ports and keeping them stable across restarts."""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Collection
from pathlib import Path

from streams.tooling.stack.errors import StackError
from streams.tooling.stack.state import ComponentState

LOOPBACK = "127.0.0.1"
# Below the kernel's ephemeral range, so outgoing connections rarely squat on our ports.
PREFERRED_RANGE = (20000, 32767)
_EPHEMERAL_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports."""
    try:
        low, high = _EPHEMERAL_FILE.read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when a server could listen on host:port right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the servers set, so a socket in TIME_WAIT does not count as taken.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def candidate_ports() -> list[int]:
    """Ports we may pick from, outside the ephemeral range."""
    eph_low, eph_high = ephemeral_range()
    low, high = PREFERRED_RANGE
    ports = [p for p in range(low, high + 1) if not eph_low <= p <= eph_high]
    return ports or [p for p in range(1024, 65536) if not eph_low <= p <= eph_high]


def choose_port(
    avoid: Collection[int] = (),
    *,
    is_free: Callable[[int], bool] = port_is_free,
    rng: random.Random | None = None,
) -> int:
    """A free loopback port not in ``avoid``."""
    pick = rng or random.Random()
    candidates = [p for p in candidate_ports() if p not in avoid]
    for port in pick.sample(candidates, k=min(len(candidates), 500)):
        if is_free(port):
            return port
    raise StackError("could not find a free loopback port for the local stack")


def ensure_port(
    component: ComponentState,
    key: str,
    avoid: Collection[int],
    *,
    is_free: Callable[[int], bool] = port_is_free,
    report: Callable[[str], None] | None = None,
) -> int:
    """The persisted port for ``key`` if still free, else a new one (recorded in component)."""
    current = component.ports.get(key)
    if current is not None and current not in avoid and is_free(current):
        return current
    new = choose_port({*avoid, *([current] if current is not None else [])}, is_free=is_free)
    if current is not None and report is not None:
        report(f"port {current} is taken by another process; using {new} instead")
    component.ports[key] = new
    return new
