"""JSON helpers shared by the checker: equality, canonical form, JSON paths, short reprs."""

from __future__ import annotations

import json
import re
from typing import Any

# A JSON Schema is an object or a boolean; ``Any`` keeps mypy from fighting json.loads.
Schema = Any

_PLAIN_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def canonical(value: Any) -> str:
    """A stable text form of a JSON value, usable as a dict key."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: ``true`` is not ``1``, but ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def child(path: str, key: str | int) -> str:
    """``path`` extended by one object key or array index, in JSONPath notation."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_NAME.match(key):
        return f"{path}.{key}"
    return f"{path}[{json.dumps(key)}]"


def short(value: Any, limit: int = 60) -> str:
    """A JSON rendering of ``value`` cut to ``limit`` characters for messages."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_paths(old: Any, new: Any, path: str = "$") -> list[tuple[str, Any, Any]]:
    """Every place two JSON documents differ, as ``(path, old, new)``; missing is ``...``."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in [*old, *(k for k in new if k not in old)]:
            sub = child(path, key)
            if key not in new:
                out.append((sub, old[key], ...))
            elif key not in old:
                out.append((sub, ..., new[key]))
            else:
                out.extend(diff_paths(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(diff_paths(a, b, child(path, i)))
        return out
    return [] if json_equal(old, new) else [(path, old, new)]
