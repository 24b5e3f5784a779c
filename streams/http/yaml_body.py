"""YAML request bodies, parsed so that a small document cannot cost much: no aliases, bounded depth.

``yaml.safe_load`` builds no arbitrary objects but still expands aliases (a 500-byte "billion
laughs" document becomes gigabytes) and composes nodes recursively (20,000 nested levels
exhaust the stack). This loader refuses anchors and aliases outright (nothing a workflow
definition needs), stops at ``MAX_JSON_DEPTH`` levels, refuses a key repeated in one mapping,
and gives back JSON types only. Documents past ``YAML_INLINE_BYTES`` are parsed in a thread
so the event loop keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.cyaml import CParser
from yaml.events import MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from streams.http.body_checks import BodyFault, field_name, inspect_value, too_deep
from streams.http.limits import MAX_JSON_DEPTH, YAML_INLINE_BYTES

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlRefused(Exception):
    """A YAML document the platform will not read; ``fault`` says why (422)."""

    def __init__(self, fault: BodyFault) -> None:
        super().__init__(fault.detail)
        self.fault = fault


class _Bounded(Composer, SafeConstructor):
    """The composer and constructor half of a loader: no aliases, bounded depth, unique keys."""

    def _bound(self, max_depth: int) -> None:
        self._max_depth = max_depth
        self._trail: list[str | int] = []  # where the node being composed sits
        self._open = 0  # mappings and sequences being composed around it

    def _refuse(self, detail: str, code: str) -> YamlRefused:
        field = field_name(self._trail)
        where = f"'{field}': " if field is not None else ""
        return YamlRefused(BodyFault(field, where + detail, code))

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node, refusing aliases, anchors and nesting past the limit."""
        name = index.value if isinstance(index, ScalarNode) else index
        if name is not None:
            self._trail.append(name)
        if self.check_event(yaml.AliasEvent):
            raise self._refuse("YAML aliases (*name) are not accepted", "yaml_alias")
        event = self.peek_event()
        if getattr(event, "anchor", None) is not None:
            raise self._refuse("YAML anchors (&name) are not accepted", "yaml_alias")
        container = isinstance(event, (MappingStartEvent, SequenceStartEvent))
        if container and self._open >= self._max_depth:
            raise YamlRefused(too_deep(self._trail, self._max_depth))
        self._open += container
        node: Node = super().compose_node(parent, index)
        self._open -= container
        if name is not None:
            self._trail.pop()
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice (JSON would keep only one)."""
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != _MERGE_TAG:
                if key_node.value in seen:
                    detail = f"'{key_node.value}' appears more than once in one mapping"
                    raise YamlRefused(BodyFault(key_node.value, detail, "duplicate_key"))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


class BoundedLoader(_Bounded, CParser, Resolver):
    """``CSafeLoader`` bounded: libyaml scans and parses, PyYAML's composer (bounded) composes.

    The Python composer comes first in the order so it runs instead of libyaml's own.
    """

    def __init__(self, stream: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
        CParser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._bound(max_depth)


class _PythonBoundedLoader(_Bounded, Reader, Scanner, Parser, Resolver):
    """The same, all in Python: slower, but it reads flow nesting libyaml refuses to scan."""

    def __init__(self, stream: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._bound(max_depth)


def _compose(loader: _Bounded) -> Any:
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_yaml(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The document as JSON types.

    Raises ``YamlRefused`` (limits), ``yaml.YAMLError`` (syntax) or ``orjson.JSONEncodeError``
    (values JSON cannot hold).
    """
    try:
        loaded = _compose(BoundedLoader(raw, max_depth))
    except yaml.MarkedYAMLError as exc:
        if "maximum nesting depth" not in str(exc.problem):
            raise
        # libyaml scans flow collections ahead and stops at 1000 levels before the composer
        # reaches its limit; the Python scanner goes on, so the composer can name the field.
        loaded = _compose(_PythonBoundedLoader(raw, max_depth))
    # JSON types only from here on (YAML dates become strings): the command travels as JSON.
    value = orjson.loads(orjson.dumps(loaded, option=orjson.OPT_NON_STR_KEYS))
    fault = inspect_value(value, max_depth)
    if fault is not None:
        raise YamlRefused(fault)
    return value


async def parse_yaml(raw: bytes) -> Any:
    """``load_yaml``, in a worker thread when the document is large."""
    if len(raw) <= YAML_INLINE_BYTES:
        return load_yaml(raw)
    return await asyncio.get_running_loop().run_in_executor(None, load_yaml, raw)
