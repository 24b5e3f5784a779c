"""Keyword checks for objects: properties under open/closed content models, ``required``, etc.

A content model is *closed* when ``additionalProperties`` is ``false``, *partially open*
when it is a schema, and *open* otherwise; the rule names follow Confluent's.
"""

from __future__ import annotations

import re
from typing import Any

from streams.tooling.contract import rules
from streams.tooling.contract.incompat import Checker, Incompatibility
from streams.tooling.contract.jsonutil import Schema, child
from streams.tooling.contract.normalize import is_unconstrained
from streams.tooling.contract.scalars import count_bounds


def property_schema(node: dict[str, Any], name: str) -> Schema:
    """The sub-schema that governs property ``name`` in object schema ``node``."""
    if name in node.get("properties", {}):
        return node["properties"][name]
    matching = [s for p, s in node.get("patternProperties", {}).items() if _search(p, name)]
    if matching:
        return matching[0] if len(matching) == 1 else {"allOf": matching}
    return additional(node)


def additional(node: dict[str, Any]) -> Schema:
    """The schema for properties neither listed nor matched by a pattern."""
    if "additionalProperties" in node:
        return node["additionalProperties"]
    return node.get("unevaluatedProperties", True)


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def object_keywords(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    """Everything a reader's object keywords demand of the writer's objects."""
    out = _properties(checker, w, r, path)
    out += _patterns_and_additional(checker, w, r, path)
    out += _required(checker, w, r, path)
    out += count_bounds(w, r, ("minProperties", "maxProperties"), path, checker.labels)
    # propertyNames is not compared: Confluent Schema Registry leaves it out of its diff,
    # so adding, changing or dropping it is compatible in every mode.
    return out + _dependencies(checker, w, r, path)


def _properties(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    labels = checker.labels
    w_props, r_props = w.get("properties", {}), r.get("properties", {})
    out: list[Incompatibility] = []
    for name in [*w_props, *(n for n in r_props if n not in w_props)]:
        w_sub, r_sub = property_schema(w, name), property_schema(r, name)
        w_res = checker.writer_doc.resolve(w_sub)
        if w_res is False:
            continue  # the writer never sends this property
        where = child(child(path, "properties"), name)
        if name in w_props and name in r_props:
            out += checker.check(w_sub, r_sub, where)
            continue
        r_res = checker.reader_doc.resolve(r_sub)
        if name in w_props:
            if is_unconstrained(r_res):
                continue  # removed from an open model: the reader still takes anything
            if r_res is False:
                rule = rules.PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL
                msg = (
                    f"'{name}' is in the {labels.writer} schema but the {labels.reader} "
                    f"schema's closed model (additionalProperties: false) rejects it"
                )
                out.append(Incompatibility(where, rule, msg))
                continue
            rule = rules.PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
            why = f"'{name}' is no longer listed by the {labels.reader} schema and its "
            why += "additionalProperties schema does not accept every value the writer allows"
        else:
            if is_unconstrained(w_res):
                rule = rules.PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL
                why = (
                    f"'{name}' is new in the {labels.reader} schema with constraints, but the "
                    f"{labels.writer} schema's open model lets '{name}' hold any value"
                )
            else:
                rule = rules.PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                why = (
                    f"'{name}' is new in the {labels.reader} schema and stricter than what the "
                    f"{labels.writer} schema's additionalProperties allows"
                )
        inner = checker.check(w_sub, r_sub, where)
        if inner:
            detail = "; ".join(f"{i.rule}: {i.message}" for i in inner[:3])
            out.append(Incompatibility(where, rule, f"{why} ({detail})"))
    return out


def _patterns_and_additional(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    labels = checker.labels
    w_pats, r_pats = w.get("patternProperties", {}), r.get("patternProperties", {})
    w_add, r_add = additional(w), additional(r)
    out: list[Incompatibility] = []
    for pattern, r_sub in r_pats.items():
        w_sub = w_pats.get(pattern, w_add)
        if checker.writer_doc.resolve(w_sub) is not False:
            where = child(child(path, "patternProperties"), pattern)
            out += checker.check(w_sub, r_sub, where)
    for pattern, w_sub in w_pats.items():
        if pattern not in r_pats and checker.writer_doc.resolve(w_sub) is not False:
            where = child(child(path, "patternProperties"), pattern)
            out += _additional_pair(checker, w_sub, r_add, where)
    w_add_res = checker.writer_doc.resolve(w_add)
    if w_add_res is False:
        return out
    where = child(path, "additionalProperties")
    if checker.reader_doc.resolve(r_add) is False:
        return out + _additional_pair(checker, w_add, r_add, where)
    inner = checker.check(w_add, r_add, where)
    if inner and is_unconstrained(w_add_res):
        msg = (
            f"{labels.writer} schema allows any extra property; {labels.reader} schema "
            f"restricts them ({inner[0].rule}: {inner[0].message})"
        )
        return [*out, Incompatibility(where, rules.ADDITIONAL_PROPERTIES_NARROWED, msg)]
    return out + inner


def _additional_pair(
    checker: Checker, w_sub: Schema, r_add: Schema, where: str
) -> list[Incompatibility]:
    if checker.reader_doc.resolve(r_add) is False:
        labels = checker.labels
        msg = (
            f"{labels.writer} schema allows properties the {labels.reader} schema does not "
            f"list, and the {labels.reader} schema is closed (additionalProperties: false)"
        )
        return [Incompatibility(where, rules.ADDITIONAL_PROPERTIES_REMOVED, msg)]
    return checker.check(w_sub, r_add, where)


def _required(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    labels = checker.labels
    w_required = set(w.get("required", []))
    out = []
    for name in r.get("required", []):
        if name in w_required:
            continue
        where = child(child(path, "properties"), name)
        if checker.writer_doc.resolve(property_schema(w, name)) is False:
            rule = rules.REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
            msg = (
                f"'{name}' is required by the {labels.reader} schema but the {labels.writer} "
                f"schema's closed model never has it"
            )
        elif name in w.get("properties", {}):
            rule = rules.REQUIRED_ATTRIBUTE_ADDED
            msg = (
                f"'{name}' is optional in the {labels.writer} schema but required by the "
                f"{labels.reader} schema"
            )
        else:
            rule = rules.REQUIRED_PROPERTY_ADDED
            msg = (
                f"'{name}' is required by the {labels.reader} schema but the {labels.writer} "
                f"schema does not require it"
            )
        out.append(Incompatibility(where, rule, msg))
    return out


def _dependencies(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    labels = checker.labels
    w_required = set(w.get("required", []))
    out = []
    w_deps = w.get("dependentRequired", {})
    for name, needed in r.get("dependentRequired", {}).items():
        missing = [n for n in needed if n not in w_deps.get(name, []) and n not in w_required]
        if missing and checker.writer_doc.resolve(property_schema(w, name)) is not False:
            where = child(child(path, "dependentRequired"), name)
            msg = f"{labels.reader} schema requires {missing} whenever '{name}' is present"
            out.append(Incompatibility(where, rules.DEPENDENT_REQUIRED_ADDED, msg))
    w_schemas = w.get("dependentSchemas", {})
    rest = {k: v for k, v in w.items() if k != "dependentSchemas"}
    for name, r_sub in r.get("dependentSchemas", {}).items():
        if checker.writer_doc.resolve(property_schema(w, name)) is False:
            continue
        where = child(child(path, "dependentSchemas"), name)
        w_sub = {"allOf": [rest, w_schemas.get(name, True)]}
        inner = checker.check(w_sub, r_sub, where)
        if inner:
            msg = f"{labels.reader} schema adds a dependent schema for '{name}': {inner[0].message}"
            out.append(Incompatibility(where, rules.DEPENDENT_SCHEMA_ADDED, msg))
    return out
