"""Starting detached servers and recognising, waiting for and stopping them by pid."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_PROC = Path("/proc")
# Popen objects of servers we spawned: kept referenced so Python neither warns about
# still-running children nor loses their exit status before we look at it.
_SPAWNED: list[subprocess.Popen[bytes]] = []


def read_cmdline(pid: int) -> list[str] | None:
    """The process's argv from /proc, or None when there is no such (live) process."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _proc_state(pid: int) -> str | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    # The command name in parentheses may contain spaces; the state letter follows it.
    return stat.rsplit(")", 1)[-1].split()[0]


def is_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    # Reap it if it is our own exited child, otherwise it would linger as a zombie;
    # through its Popen when we have one, so its exit status stays readable.
    spawned = next((proc for proc in _SPAWNED if proc.pid == pid), None)
    if spawned is not None:
        spawned.poll()
    else:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
    state = _proc_state(pid)
    return state is not None and state not in ("Z", "X")


def is_same_process(pid: int | None, markers: Sequence[str]) -> bool:
    """True when pid is alive and its command line contains every marker."""
    if pid is None or pid <= 0 or not is_alive(pid):
        return False
    argv = read_cmdline(pid)
    if not argv:
        return False
    # Joined, because servers like redis rewrite their argv into one title string.
    joined = " ".join(argv)
    return all(marker in joined for marker in markers)


def find_process(markers: Sequence[str]) -> int | None:
    """Pid of a live process whose command line contains every marker, if there is one."""
    for entry in _PROC.iterdir():
        if entry.name.isdigit() and is_same_process(int(entry.name), markers):
            return int(entry.name)
    return None


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until the process has exited; True when it did within timeout."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def terminate(pid: int, *, grace_seconds: float) -> bool:
    """SIGTERM, wait up to grace_seconds, then SIGKILL; True when the process is gone."""
    for sig, wait in ((signal.SIGTERM, grace_seconds), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return True
        if wait_gone(pid, wait):
            return True
    return False


def spawn_detached(
    argv: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server in its own session with output appended to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        # A new session keeps a Ctrl-C in the terminal that ran `up` from reaching the server.
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
    _SPAWNED.append(proc)
    return proc


def read_pidfile(path: Path) -> int | None:
    """The pid on a pid file's first line, or None."""
    try:
        first = path.read_text().splitlines()[0].strip()
        return int(first)
    except (FileNotFoundError, IndexError, ValueError, PermissionError):
        return None
