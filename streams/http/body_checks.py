"""Checks a parsed body must pass before a schema sees it: nesting depth, NUL, duplicate keys.

orjson (the parser) accepts 1024 levels, U+0000 in strings and repeated object keys (last one
wins); none of these can go on: commands are serialized again deeper down, Postgres refuses
NUL, and a repeated key means the client and the platform disagree on what was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from streams.http.limits import MAX_JSON_DEPTH, NUL

# A key (group 1), any other string, or a bracket, in JSON text.
_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"\s*:|"(?:[^"\\]|\\.)*"|[\[\]{}]')


@dataclass(frozen=True)
class BodyFault:
    """Why a body is refused (422): the field at fault (None: the body itself) and the code."""

    field: str | None
    detail: str
    code: str


def field_name(path: Sequence[str | int]) -> str | None:
    """A path as ``a.b.0`` (None for the whole body)."""
    return ".".join(str(part) for part in path) or None


def too_deep(path: Sequence[str | int], limit: int = MAX_JSON_DEPTH) -> BodyFault:
    """The fault of a body nested past ``limit``, naming its outermost field."""
    field = field_name(path[:1])
    where = f"'{field}'" if field is not None else "the body"
    return BodyFault(field, f"{where} is nested deeper than {limit} levels", "too_deep")


def deep_field(raw: bytes, limit: int = MAX_JSON_DEPTH) -> tuple[str, ...]:
    """The top-level key under which JSON text nests past ``limit`` (text too deep to parse)."""
    depth, key = 0, None
    for token in _TOKEN.finditer(raw):
        text = token.group()
        if token.group(1) is not None:
            if depth == 1:
                key = token.group(1)
        elif text in (b"[", b"{"):
            depth += 1
            if depth > limit:
                break
        elif text in (b"]", b"}"):
            depth -= 1
    if key is None or depth <= limit:
        return ()
    try:
        return (json.loads(b'"' + key + b'"'),)
    except ValueError:
        return ()  # not a key after all: the fault then names the body


def _nul(path: Sequence[str | int]) -> BodyFault:
    field = field_name(path)
    where = f"'{field}'" if field is not None else "the body"
    return BodyFault(field, f"{where} contains a NUL character (U+0000)", "nul_character")


def inspect_value(value: Any, max_depth: int = MAX_JSON_DEPTH) -> BodyFault | None:
    """The first depth or NUL fault of a parsed JSON value, or None."""
    # Iterative, so a deep value cannot exhaust the interpreter's stack.
    stack: list[tuple[Any, tuple[str | int, ...], int]] = [(value, (), 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, dict):
            if depth > max_depth:
                return too_deep(path, max_depth)
            for key, child in node.items():
                if NUL in key:
                    return _nul((*path, key))
                stack.append((child, (*path, key), depth + 1))
        elif isinstance(node, list):
            if depth > max_depth:
                return too_deep(path, max_depth)
            stack.extend((child, (*path, i), depth + 1) for i, child in enumerate(node))
        elif isinstance(node, str) and NUL in node:
            return _nul(path)
    return None


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> None:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen.add(key)


def duplicate_key(raw: bytes) -> BodyFault | None:
    """The fault of a JSON text repeating a key inside one object, or None.

    Run only on text orjson accepted and ``inspect_value`` passed (so shallow): the standard
    parser hands each object's pairs, in order, to a hook that refuses a repeat.
    """
    try:
        json.loads(raw, object_pairs_hook=_unique_pairs)
    except _Duplicate as exc:
        detail = f"'{exc.key}' appears more than once in one object"
        return BodyFault(exc.key, detail, "duplicate_key")
    except ValueError:
        return None  # orjson accepted it; a stricter stdlib quirk is not the client's fault
    return None
