"""``$ref`` resolution inside one schema document (``#/$defs/...``, ``#/definitions/...``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from streams.tooling.contract.jsonutil import Schema, child

# Keywords that never constrain an instance; a node made only of these accepts anything.
ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$comment",
        "readOnly",
        "writeOnly",
        "deprecated",
        "$id",
        "$schema",
        "$defs",
        "definitions",
        "$anchor",
        "$dynamicAnchor",
        "$vocabulary",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)

# A chain of $ref pointing at $ref longer than this is a cycle, not a schema.
_MAX_REF_CHAIN = 64


class Document:
    """One schema document; resolves the references that stay inside it."""

    def __init__(self, root: Schema) -> None:
        self.root = root
        self.base = root.get("$id", "") if isinstance(root, dict) else ""
        self._anchors: dict[str, Schema] | None = None

    def lookup(self, ref: str) -> Schema | None:
        """The node ``ref`` points at, or None when it leaves this document or misses."""
        base, _, fragment = ref.partition("#")
        if base and base != self.base:
            return None
        if not fragment:
            return self.root
        if fragment.startswith("/"):
            return _walk(self.root, fragment)
        return self._anchor_map().get(fragment)

    def resolve(self, node: Schema) -> Schema:
        """``node`` with its ``$ref`` chain followed; an unresolvable ``$ref`` is left in place."""
        for _ in range(_MAX_REF_CHAIN):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            target = self.lookup(node["$ref"])
            if target is None:
                return node
            siblings = {k: v for k, v in node.items() if k != "$ref" and k not in ANNOTATIONS}
            if siblings:
                # In 2020-12 a $ref with sibling keywords means both apply.
                return {"allOf": [target, siblings]}
            node = target
        return node

    def _anchor_map(self) -> dict[str, Schema]:
        if self._anchors is None:
            self._anchors = {}
            _collect_anchors(self.root, self._anchors)
        return self._anchors


def _walk(root: Any, pointer: str) -> Any:
    node = root
    for raw in pointer.split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node


def _collect_anchors(node: Any, into: dict[str, Schema]) -> None:
    if isinstance(node, dict):
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            into.setdefault(anchor, node)
        for value in node.values():
            _collect_anchors(value, into)
    elif isinstance(node, list):
        for value in node:
            _collect_anchors(value, into)


def iter_refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` string inside ``node``, at any depth."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for value in node.values():
            yield from iter_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_refs(value)


def unresolved_refs(root: Schema) -> list[tuple[str, str]]:
    """``(json path, ref)`` for every local ``$ref`` in ``root`` that points nowhere."""
    doc = Document(root)
    out: list[tuple[str, str]] = []

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and doc.lookup(ref) is None:
                out.append((child(path, "$ref"), ref))
            for key, value in node.items():
                if key not in ("enum", "const", "default", "examples"):
                    visit(value, child(path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                visit(value, child(path, i))

    visit(root, "$")
    return out
