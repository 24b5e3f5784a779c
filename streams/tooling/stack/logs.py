"""Reading the servers' log files: the last lines, and following new ones like tail -f."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path

_BLOCK = 8192
# Log4j/Postgres/Redis severities and Java exception lines ("x.y.FooException: why").
_ERROR_RE = re.compile(r"\b(ERROR|FATAL|PANIC)\b|^[\w.$]+(Exception|Error): |^# ")


def tail_lines(path: Path, count: int) -> list[str]:
    """The last ``count`` lines of a text file ([] when it does not exist)."""
    if count <= 0:
        return []
    try:
        handle = path.open("rb")
    except (FileNotFoundError, PermissionError):
        return []
    with handle:
        handle.seek(0, 2)
        position = handle.tell()
        data = b""
        # Read backwards block by block: Kafka's log can be large and we need only its end.
        while position > 0 and data.count(b"\n") <= count:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            data = handle.read(step) + data
    return data.decode("utf-8", "replace").splitlines()[-count:]


START_MARK = "=== dafnck stack: starting "


def mark_start(path: Path, component: str) -> None:
    """Append a line separating this start's output from earlier runs in the same log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with path.open("a", encoding="utf-8") as out:
        out.write(f"{START_MARK}{component} at {stamp} ===\n")


def lines_since_start(path: Path, *, scan: int = 2000) -> list[str]:
    """The log's lines after the last start mark (among its final ``scan`` lines)."""
    lines = tail_lines(path, scan)
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(START_MARK):
            return lines[index + 1 :]
    return lines


def error_lines(lines: list[str], *, limit: int = 6) -> list[str]:
    """The last distinct error-looking lines (severity ERROR/FATAL/PANIC, Java exceptions)."""
    found = [line for line in lines if _ERROR_RE.search(line)]
    unique = list(dict.fromkeys(reversed(found)))[:limit]
    return list(reversed(unique))


def follow(
    files: Mapping[str, Path],
    write: Callable[[str], None],
    *,
    poll_seconds: float = 0.5,
    should_stop: Callable[[], bool] | None = None,
) -> None:
    """Write lines appended to the files from now on, until interrupted or should_stop()."""
    positions = {name: _size(path) for name, path in files.items()}
    pending = {name: b"" for name in files}
    prefixed = len(files) > 1
    while should_stop is None or not should_stop():
        for name, path in files.items():
            size = _size(path)
            if size < positions[name]:
                positions[name] = 0  # truncated or replaced: start again from its beginning
            if size == positions[name]:
                continue
            with path.open("rb") as handle:
                handle.seek(positions[name])
                chunk = handle.read()
            positions[name] += len(chunk)
            *complete, pending[name] = (pending[name] + chunk).split(b"\n")
            for raw in complete:
                line = raw.decode("utf-8", "replace")
                write(f"[{name}] {line}" if prefixed else line)
        time.sleep(poll_seconds)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
