"""Step inputs built from the execution's context and earlier steps' outputs.

A string that is exactly ``${context.a.b}`` or ``${steps.<id>.output.a}`` is replaced by that
value, whatever its JSON type; a reference inside a longer string is interpolated as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

REFERENCE = re.compile(r"\$\{([^}]*)\}")
WHOLE = re.compile(r"^\$\{([^}]*)\}$")


class MissingValue(Exception):
    """A reference names a path that is not there."""


def references(value: Any) -> Iterator[str]:
    """Every ``${...}`` path inside a JSON value."""
    if isinstance(value, str):
        yield from (m.group(1).strip() for m in REFERENCE.finditer(value))
    elif isinstance(value, dict):
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def referenced_step(path: str) -> str | None:
    """The step id a ``steps.<id>.output...`` path depends on (None for context paths)."""
    parts = path.split(".")
    return parts[1] if len(parts) >= 3 and parts[0] == "steps" and parts[2] == "output" else None


def valid_path(path: str) -> bool:
    """True for ``context[.a...]`` and ``steps.<id>.output[.a...]``."""
    parts = path.split(".")
    if parts[0] == "context":
        return all(parts)
    return referenced_step(path) is not None and all(parts)


def resolve(value: Any, scope: dict[str, Any]) -> Any:
    """``value`` with every reference replaced from ``scope`` ({context, steps})."""
    if isinstance(value, str):
        whole = WHOLE.match(value)
        if whole:
            return _lookup(whole.group(1).strip(), scope)
        return REFERENCE.sub(lambda m: _text(_lookup(m.group(1).strip(), scope)), value)
    if isinstance(value, dict):
        return {k: resolve(v, scope) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, scope) for v in value]
    return value


def _lookup(path: str, scope: dict[str, Any]) -> Any:
    current: Any = scope
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise MissingValue(f"input reference ${{{path}}}: nothing at {part!r}")
    return current


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()
