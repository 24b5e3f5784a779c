"""Writer-side normal form: ``$ref`` followed, ``allOf`` merged, ``oneOf``/``const`` simplified.

Merging is an intersection. Where two constraints cannot be combined exactly, one of them
is dropped: that makes the writer schema allow *more*, so the checker may report a false
incompatibility but never misses a real one.
"""

from __future__ import annotations

from itertools import product
from typing import Any

from streams.tooling.contract.jsonutil import Schema, json_equal
from streams.tooling.contract.refs import ANNOTATIONS, Document

JSON_TYPES = frozenset({"null", "boolean", "object", "array", "number", "integer", "string"})

_LOWER_BOUNDS = frozenset(
    {"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"}
)
_UPPER_BOUNDS = frozenset(
    {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "dependentSchemas"})
_SUBSCHEMAS = frozenset(
    {"additionalProperties", "unevaluatedProperties", "items", "propertyNames", "contains"}
)
# Bound the cartesian product of two writer unions; beyond it one union is dropped.
_MAX_UNION_PRODUCT = 64


def is_unconstrained(node: Schema) -> bool:
    """True when ``node`` accepts every JSON value (``true``, ``{}``, or annotations only)."""
    if isinstance(node, bool):
        return node
    return isinstance(node, dict) and all(key in ANNOTATIONS for key in node)


def type_set(node: Schema) -> frozenset[str] | None:
    """The JSON types ``node`` names in ``type``; None when it does not restrict the type."""
    if not isinstance(node, dict) or "type" not in node:
        return None
    raw = node["type"]
    return frozenset([raw] if isinstance(raw, str) else raw)


def accepts_type(types: frozenset[str] | None, json_type: str) -> bool:
    """Whether a ``type`` set admits values of ``json_type`` (integers are numbers)."""
    if types is None or json_type in types:
        return True
    return json_type == "integer" and "number" in types


def intersect_types(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The types both sets admit; None stands for every type."""
    if a is None:
        return b
    if b is None:
        return a
    return frozenset(t for t in a | b if accepts_type(a, t) and accepts_type(b, t))


def intersect(a: Schema, b: Schema) -> Schema:
    """A schema whose instances are (a superset of) those valid under both ``a`` and ``b``."""
    if a is False or b is False:
        return False
    if a is True or not isinstance(a, dict):
        return b
    if b is True or not isinstance(b, dict):
        return a
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif not json_equal(out[key], value):
            out[key] = _merge_keyword(key, out[key], value)
    types = type_set(out)
    if types is not None and not types:
        return False
    if "enum" in out and not out["enum"]:
        return False
    return out


def _merge_keyword(key: str, a: Any, b: Any) -> Any:
    if key == "type":
        types = intersect_types(type_set({"type": a}), type_set({"type": b}))
        return sorted(types or ())
    if key == "enum":
        return [v for v in a if any(json_equal(v, w) for w in b)]
    if key == "required":
        return [*a, *(n for n in b if n not in a)]
    if key in _LOWER_BOUNDS:
        return max(a, b)
    if key in _UPPER_BOUNDS:
        return min(a, b)
    if key == "uniqueItems":
        return bool(a or b)
    if key in _SCHEMA_MAPS:
        merged = dict(a)
        for name, sub in b.items():
            merged[name] = {"allOf": [merged[name], sub]} if name in merged else sub
        return merged
    if key in _SUBSCHEMAS:
        return {"allOf": [a, b]}
    if key == "anyOf":
        if len(a) * len(b) > _MAX_UNION_PRODUCT:
            return a
        return [{"allOf": [x, y]} for x, y in product(a, b)]
    # Anything else (two patterns, two formats, ...) cannot be merged exactly: keep the
    # first, which widens the writer and so stays on the safe side.
    return a


def writer_normal(doc: Document, node: Schema) -> Schema:
    """``node`` with refs followed, allOf merged, oneOf read as anyOf and const as enum."""
    node = doc.resolve(node)
    if not isinstance(node, dict):
        return node
    out = {k: v for k, v in node.items() if k not in ("allOf", "oneOf", "const", "$ref")}
    if "const" in node:
        out = intersect(out, {"enum": [node["const"]]})
    if "oneOf" in node:
        # Every oneOf instance is an anyOf instance; on the writer side widening is safe.
        out = intersect(out, {"anyOf": node["oneOf"]})
    for part in node.get("allOf", []):
        out = intersect(out, writer_normal(doc, part))
    return out
