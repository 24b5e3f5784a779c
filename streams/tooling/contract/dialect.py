"""Which JSON Schema draft a schema is read in, and draft-07 array keywords in 2020-12 terms.

A schema without ``$schema`` is read as draft-07, as Confluent Schema Registry reads JSON
schemas; so is one that declares draft-04, -06 or -07. The checker speaks draft 2020-12,
so before checking such a schema its tuple keywords are restated: an array-form ``items``
becomes ``prefixItems``, and ``additionalItems`` becomes the ``items`` that follows the
tuple. ``prefixItems`` means nothing in draft-07 and is dropped.

Confluent compares ``additionalItems`` even where draft-07 validation ignores it (next
to a single-schema ``items``); that comparison is kept under ``ADDITIONAL_ITEMS`` for the
array check (``streams.tooling.contract.arrays``) to make.
"""

from __future__ import annotations

from typing import Any

from streams.tooling.contract.jsonutil import Schema

_OLDER_DRAFTS = frozenset(f"http://json-schema.org/draft-{n}/schema" for n in ("04", "06", "07"))
# Where a draft-07 schema kept an ``additionalItems`` that validation ignores.
ADDITIONAL_ITEMS = "additionalItems"
# Marks a tuple restated from draft-07, so reasons name the keywords its author wrote.
DRAFT07_TUPLE = "x-draft07-tuple"

_SCHEMA_VALUED = frozenset(
    {
        "additionalProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "propertyNames",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "additionalItems",
    }
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
)


def is_draft07(schema: Schema) -> bool:
    """True when ``schema`` is read as draft-07: no ``$schema``, or draft-04/06/07 declared."""
    if not isinstance(schema, dict):
        return True
    declared = schema.get("$schema")
    return declared is None or str(declared).rstrip("#") in _OLDER_DRAFTS


def as_2020_12(schema: Schema) -> Schema:
    """``schema`` as the checker reads it: draft-07 tuples restated, a 2020-12 schema as is."""
    return _restate(schema) if is_draft07(schema) else schema


def _restate(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _SCHEMA_VALUED:
            out[key] = _restate(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_restate(v) for v in value]
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _restate(v) for name, v in value.items()}
        elif key == "dependencies" and isinstance(value, dict):
            out[key] = {n: v if isinstance(v, list) else _restate(v) for n, v in value.items()}
        elif key == "items":
            out[key] = [_restate(v) for v in value] if isinstance(value, list) else _restate(value)
        else:
            out[key] = value
    out.pop("prefixItems", None)  # not a draft-07 keyword: an annotation there
    if isinstance(out.get("items"), list):
        out["prefixItems"] = out.pop("items")
        out[DRAFT07_TUPLE] = True
        if ADDITIONAL_ITEMS in out:
            out["items"] = out.pop(ADDITIONAL_ITEMS)
    return out
