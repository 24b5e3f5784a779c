"""Readable interleaved logs for ``dafnck up``: one line per record, prefixed by process."""

from __future__ import annotations

import sys
import threading
from typing import Any

import orjson

_COLOURS = ("36", "32", "35", "33", "34", "91")
_LEVEL_COLOURS = {"warning": "33", "error": "31", "critical": "31"}
_SKIP = frozenset(("ts", "level", "logger", "msg", "service", "version", "env", "exc"))


class LogPrinter:
    """Prints child-process log lines; JSON records are shortened to time, level, message."""

    def __init__(self, *, raw: bool = False) -> None:
        self.raw = raw
        self.colour = sys.stderr.isatty()
        self._lock = threading.Lock()
        self._names: dict[str, str] = {}

    def _prefix(self, name: str) -> str:
        colour = self._names.setdefault(name, _COLOURS[len(self._names) % len(_COLOURS)])
        label = f"{name:<9}|"
        return f"\x1b[{colour}m{label}\x1b[0m" if self.colour else label

    def format(self, line: str) -> str:
        """A JSON log record as ``HH:MM:SS level message key=value ...``; other text as is."""
        if self.raw or not line.startswith("{"):
            return line
        try:
            record: dict[str, Any] = orjson.loads(line)
        except orjson.JSONDecodeError:
            return line
        level = str(record.get("level", "info"))
        when = str(record.get("ts", ""))[11:19]
        fields = " ".join(f"{k}={v}" for k, v in record.items() if k not in _SKIP)
        text = f"{when} {level:<7} {record.get('msg', '')}" + (f"  {fields}" if fields else "")
        if self.colour and level in _LEVEL_COLOURS:
            text = f"\x1b[{_LEVEL_COLOURS[level]}m{text}\x1b[0m"
        if record.get("exc"):
            text += "\n" + str(record["exc"])
        return text

    def print(self, name: str, line: str) -> None:
        """Print one line of process ``name``'s output."""
        with self._lock:
            print(f"{self._prefix(name)} {self.format(line)}", file=sys.stderr, flush=True)
