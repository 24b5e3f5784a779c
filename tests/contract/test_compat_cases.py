"""The compatibility table: old schema, new schema, mode -> compatible, or which rule and where."""

from __future__ import annotations

from typing import Any

import pytest

from streams.tooling.contract.compat import check_compatibility

S = "https://json-schema.org/draft/2020-12/schema"


def obj(closed: Any = None, required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    """An object schema; ``closed`` is the additionalProperties value (None: open)."""
    schema: dict[str, Any] = {"$schema": S, "type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    if closed is not None:
        schema["additionalProperties"] = closed
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}


def field(**kw: Any) -> dict[str, Any]:
    """An object with one property ``f`` described by ``kw``."""
    return obj(f=kw)


def arr(**kw: Any) -> dict[str, Any]:
    """An object with one array property ``tags``."""
    return obj(tags={"type": "array", **kw})


ADDRESS_V1 = obj(address=obj(zip={"type": "string", "maxLength": 10}, city=STR))
ADDRESS_V2 = obj(address=obj(zip={"type": "string", "maxLength": 5}, city=STR))


def with_defs(defs_key: str, zip_schema: dict[str, Any]) -> dict[str, Any]:
    """An order whose shipping address is a $ref into ``$defs`` or ``definitions``."""
    return {
        "$schema": S,
        "type": "object",
        defs_key: {"Address": obj(zip=zip_schema)},
        "properties": {"shipping": {"$ref": f"#/{defs_key}/Address"}},
    }


def tree(value: dict[str, Any]) -> dict[str, Any]:
    """A recursive tree node schema: value plus children of the same shape."""
    return {
        "$schema": S,
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": value,
                    "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                },
            }
        },
        "$ref": "#/$defs/Node",
    }


def union(keyword: str, *alts: dict[str, Any]) -> dict[str, Any]:
    """An object whose property ``v`` is an anyOf/oneOf/allOf of ``alts``."""
    return obj(v={keyword: list(alts)})


CLOSED_A = obj(False, a=STR)
CLOSED_AB = obj(False, a=STR, b=INT)
OPEN_A = obj(a=STR)
OPEN_AB = obj(a=STR, b=INT)
NULLABLE = {"anyOf": [STR, {"type": "null"}]}

# (id, old, new, mode, rule expected or None when compatible, text the path must contain)
CASES: list[tuple[str, Any, Any, str, str | None, str]] = [
    # --- open and closed content models -------------------------------------------------
    ("closed-add-optional-backward", CLOSED_A, CLOSED_AB, "BACKWARD", None, ""),
    (
        "closed-add-optional-forward",
        CLOSED_A,
        CLOSED_AB,
        "FORWARD",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "properties.b",
    ),
    (
        "closed-add-optional-full",
        CLOSED_A,
        CLOSED_AB,
        "FULL",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "properties.b",
    ),
    ("closed-add-optional-none", CLOSED_A, CLOSED_AB, "NONE", None, ""),
    (
        "closed-remove-backward",
        CLOSED_AB,
        CLOSED_A,
        "BACKWARD",
        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "properties.b",
    ),
    ("closed-remove-forward", CLOSED_AB, CLOSED_A, "FORWARD", None, ""),
    (
        "open-add-typed-backward",
        OPEN_A,
        OPEN_AB,
        "BACKWARD",
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        "properties.b",
    ),
    ("open-add-typed-forward", OPEN_A, OPEN_AB, "FORWARD", None, ""),
    ("open-add-empty-schema-backward", OPEN_A, obj(a=STR, b={}), "BACKWARD", None, ""),
    ("open-remove-backward", OPEN_AB, OPEN_A, "BACKWARD", None, ""),
    (
        "open-remove-forward",
        OPEN_AB,
        OPEN_A,
        "FORWARD",
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        "properties.b",
    ),
    (
        "open-to-closed-backward",
        OPEN_A,
        CLOSED_A,
        "BACKWARD",
        "ADDITIONAL_PROPERTIES_REMOVED",
        "additionalProperties",
    ),
    ("open-to-closed-forward", OPEN_A, CLOSED_A, "FORWARD", None, ""),
    (
        "partially-open-narrowed",
        obj(STR, a=STR),
        obj({"type": "string", "maxLength": 5}, a=STR),
        "BACKWARD",
        "MAX_LENGTH_ADDED",
        "additionalProperties",
    ),
    (
        "removed-not-covered-by-partially-open",
        obj(STR, a=STR, n=INT),
        obj(STR, a=STR),
        "BACKWARD",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "properties.n",
    ),
    (
        "removed-covered-by-partially-open",
        obj(STR, a=STR, s=STR),
        obj(STR, a=STR),
        "FULL",
        None,
        "",
    ),
    (
        "added-conflicts-with-partially-open-forward",
        obj(STR, a=STR),
        obj(STR, a=STR, n=INT),
        "FORWARD",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "properties.n",
    ),
    (
        "added-covered-by-partially-open-forward",
        obj(STR, a=STR),
        obj(STR, a=STR, s=STR),
        "FORWARD",
        None,
        "",
    ),
    # --- required -----------------------------------------------------------------------
    (
        "required-added-closed-backward",
        CLOSED_A,
        obj(False, ("email",), a=STR, email=STR),
        "BACKWARD",
        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
        "properties.email",
    ),
    (
        "required-added-open-backward",
        OPEN_A,
        obj(None, ("email",), a=STR, email=STR),
        "BACKWARD",
        "REQUIRED_PROPERTY_ADDED",
        "properties.email",
    ),
    (
        "optional-made-required-backward",
        OPEN_AB,
        obj(None, ("b",), a=STR, b=INT),
        "BACKWARD",
        "REQUIRED_ATTRIBUTE_ADDED",
        "properties.b",
    ),
    ("required-removed-backward", obj(None, ("b",), a=STR, b=INT), OPEN_AB, "BACKWARD", None, ""),
    (
        "required-removed-forward",
        obj(None, ("b",), a=STR, b=INT),
        OPEN_AB,
        "FORWARD",
        "REQUIRED_ATTRIBUTE_ADDED",
        "properties.b",
    ),
    ("required-added-none", OPEN_A, obj(None, ("a",), a=STR), "NONE", None, ""),
    # --- types --------------------------------------------------------------------------
    (
        "type-changed-backward",
        obj(age=STR),
        obj(age=INT),
        "BACKWARD",
        "TYPE_CHANGED",
        "properties.age",
    ),
    (
        "type-changed-forward",
        obj(age=STR),
        obj(age=INT),
        "FORWARD",
        "TYPE_CHANGED",
        "properties.age",
    ),
    ("type-changed-none", obj(age=STR), obj(age=INT), "NONE", None, ""),
    ("int-to-number-backward", obj(n=INT), obj(n={"type": "number"}), "BACKWARD", None, ""),
    (
        "int-to-number-forward",
        obj(n=INT),
        obj(n={"type": "number"}),
        "FORWARD",
        "TYPE_NARROWED",
        "properties.n",
    ),
    (
        "int-to-number-full",
        obj(n=INT),
        obj(n={"type": "number"}),
        "FULL",
        "TYPE_NARROWED",
        "properties.n",
    ),
    (
        "type-array-narrowed-backward",
        obj(s={"type": ["string", "null"]}),
        obj(s=STR),
        "BACKWARD",
        "TYPE_NARROWED",
        "properties.s",
    ),
    (
        "type-array-narrowed-forward",
        obj(s={"type": ["string", "null"]}),
        obj(s=STR),
        "FORWARD",
        None,
        "",
    ),
    (
        "type-array-vs-anyof-full",
        obj(s={"type": ["string", "null"]}),
        obj(s=NULLABLE),
        "FULL",
        None,
        "",
    ),
    # --- enum and const -----------------------------------------------------------------
    (
        "enum-narrowed-backward",
        field(enum=["a", "b", "c"]),
        field(enum=["a", "b"]),
        "BACKWARD",
        "ENUM_NARROWED",
        "properties.f",
    ),
    (
        "enum-narrowed-forward",
        field(enum=["a", "b", "c"]),
        field(enum=["a", "b"]),
        "FORWARD",
        None,
        "",
    ),
    ("enum-widened-backward", field(enum=["a"]), field(enum=["a", "b"]), "BACKWARD", None, ""),
    (
        "enum-widened-forward",
        field(enum=["a"]),
        field(enum=["a", "b"]),
        "FORWARD",
        "ENUM_NARROWED",
        "properties.f",
    ),
    (
        "enum-widened-full",
        field(enum=["a"]),
        field(enum=["a", "b"]),
        "FULL",
        "ENUM_NARROWED",
        "properties.f",
    ),
    ("enum-narrowed-none", field(enum=["a", "b"]), field(enum=["a"]), "NONE", None, ""),
    (
        "enum-added-backward",
        field(type="string"),
        field(type="string", enum=["a"]),
        "BACKWARD",
        "ENUM_ADDED",
        "properties.f",
    ),
    (
        "enum-added-forward",
        field(type="string"),
        field(type="string", enum=["a"]),
        "FORWARD",
        None,
        "",
    ),
    ("enum-to-string-backward", field(enum=["a", "b"]), field(type="string"), "BACKWARD", None, ""),
    (
        "const-changed-backward",
        field(const="v1"),
        field(const="v2"),
        "BACKWARD",
        "CONST_CHANGED",
        "properties.f",
    ),
    (
        "const-added-backward",
        field(type="string"),
        field(const="x"),
        "BACKWARD",
        "CONST_ADDED",
        "properties.f",
    ),
    ("const-in-enum-backward", field(const="a"), field(enum=["a", "b"]), "BACKWARD", None, ""),
    (
        "boolean-to-const-backward",
        field(type="boolean"),
        field(const=True),
        "BACKWARD",
        "CONST_ADDED",
        "properties.f",
    ),
    # --- strings ------------------------------------------------------------------------
    (
        "max-length-decreased-backward",
        field(type="string", maxLength=20),
        field(type="string", maxLength=10),
        "BACKWARD",
        "MAX_LENGTH_DECREASED",
        "properties.f",
    ),
    (
        "max-length-decreased-forward",
        field(type="string", maxLength=20),
        field(type="string", maxLength=10),
        "FORWARD",
        None,
        "",
    ),
    (
        "max-length-increased-forward",
        field(type="string", maxLength=10),
        field(type="string", maxLength=20),
        "FORWARD",
        "MAX_LENGTH_DECREASED",
        "properties.f",
    ),
    (
        "max-length-added",
        field(type="string"),
        field(type="string", maxLength=5),
        "BACKWARD",
        "MAX_LENGTH_ADDED",
        "properties.f",
    ),
    (
        "max-length-removed",
        field(type="string", maxLength=5),
        field(type="string"),
        "BACKWARD",
        None,
        "",
    ),
    (
        "min-length-added",
        field(type="string"),
        field(type="string", minLength=1),
        "BACKWARD",
        "MIN_LENGTH_ADDED",
        "properties.f",
    ),
    (
        "min-length-increased",
        field(type="string", minLength=1),
        field(type="string", minLength=2),
        "FULL",
        "MIN_LENGTH_INCREASED",
        "properties.f",
    ),
    (
        "min-length-decreased",
        field(type="string", minLength=2),
        field(type="string", minLength=1),
        "BACKWARD",
        None,
        "",
    ),
    (
        "pattern-added",
        field(type="string"),
        field(type="string", pattern="^a"),
        "BACKWARD",
        "PATTERN_ADDED",
        "properties.f",
    ),
    (
        "pattern-changed",
        field(type="string", pattern="^a"),
        field(type="string", pattern="^b"),
        "FORWARD",
        "PATTERN_CHANGED",
        "properties.f",
    ),
    (
        "pattern-removed",
        field(type="string", pattern="^a"),
        field(type="string"),
        "BACKWARD",
        None,
        "",
    ),
    (
        "format-added",
        field(type="string"),
        field(type="string", format="uuid"),
        "BACKWARD",
        "FORMAT_ADDED",
        "properties.f",
    ),
    (
        "format-changed",
        field(type="string", format="uuid"),
        field(type="string", format="email"),
        "FULL",
        "FORMAT_CHANGED",
        "properties.f",
    ),
    (
        "format-removed-backward",
        field(type="string", format="uuid"),
        field(type="string"),
        "BACKWARD",
        None,
        "",
    ),
    (
        "format-removed-forward",
        field(type="string", format="uuid"),
        field(type="string"),
        "FORWARD",
        "FORMAT_ADDED",
        "properties.f",
    ),
    # --- numbers ------------------------------------------------------------------------
    (
        "minimum-increased",
        field(type="integer", minimum=0),
        field(type="integer", minimum=1),
        "BACKWARD",
        "MINIMUM_INCREASED",
        "properties.f",
    ),
    (
        "minimum-decreased",
        field(type="integer", minimum=1),
        field(type="integer", minimum=0),
        "BACKWARD",
        None,
        "",
    ),
    (
        "minimum-added",
        field(type="number"),
        field(type="number", minimum=0),
        "BACKWARD",
        "MINIMUM_ADDED",
        "properties.f",
    ),
    (
        "maximum-decreased",
        field(type="number", maximum=10),
        field(type="number", maximum=9.5),
        "BACKWARD",
        "MAXIMUM_DECREASED",
        "properties.f",
    ),
    (
        "maximum-increased-forward",
        field(type="number", maximum=10),
        field(type="number", maximum=11),
        "FORWARD",
        "MAXIMUM_DECREASED",
        "properties.f",
    ),
    (
        "maximum-added",
        field(type="number"),
        field(type="number", maximum=10),
        "BACKWARD",
        "MAXIMUM_ADDED",
        "properties.f",
    ),
    (
        "exclusive-minimum-added",
        field(type="number", minimum=0),
        field(type="number", exclusiveMinimum=0),
        "BACKWARD",
        "EXCLUSIVE_MINIMUM_ADDED",
        "properties.f",
    ),
    (
        "exclusive-minimum-relaxed",
        field(type="number", exclusiveMinimum=0),
        field(type="number", minimum=0),
        "BACKWARD",
        None,
        "",
    ),
    (
        "exclusive-maximum-decreased",
        field(type="number", exclusiveMaximum=10),
        field(type="number", exclusiveMaximum=5),
        "BACKWARD",
        "EXCLUSIVE_MAXIMUM_DECREASED",
        "properties.f",
    ),
    (
        "exclusive-maximum-tighter-than-maximum",
        field(type="number", exclusiveMaximum=10),
        field(type="number", maximum=10),
        "BACKWARD",
        None,
        "",
    ),
    (
        "multiple-of-added",
        field(type="integer"),
        field(type="integer", multipleOf=5),
        "BACKWARD",
        "MULTIPLE_OF_ADDED",
        "properties.f",
    ),
    (
        "multiple-of-changed",
        field(type="integer", multipleOf=2),
        field(type="integer", multipleOf=4),
        "BACKWARD",
        "MULTIPLE_OF_CHANGED",
        "properties.f",
    ),
    (
        "multiple-of-divisor",
        field(type="integer", multipleOf=4),
        field(type="integer", multipleOf=2),
        "BACKWARD",
        None,
        "",
    ),
    (
        "multiple-of-decimal",
        field(type="number", multipleOf=0.5),
        field(type="number", multipleOf=0.25),
        "BACKWARD",
        None,
        "",
    ),
    (
        "multiple-of-one-on-integers",
        field(type="integer"),
        field(type="integer", multipleOf=1),
        "BACKWARD",
        None,
        "",
    ),
    # --- arrays -------------------------------------------------------------------------
    (
        "min-items-increased",
        arr(minItems=1),
        arr(minItems=2),
        "BACKWARD",
        "MIN_ITEMS_INCREASED",
        "properties.tags",
    ),
    ("min-items-added", arr(), arr(minItems=1), "BACKWARD", "MIN_ITEMS_ADDED", "properties.tags"),
    (
        "max-items-decreased",
        arr(maxItems=10),
        arr(maxItems=5),
        "BACKWARD",
        "MAX_ITEMS_DECREASED",
        "properties.tags",
    ),
    (
        "max-items-increased-forward",
        arr(maxItems=5),
        arr(maxItems=10),
        "FORWARD",
        "MAX_ITEMS_DECREASED",
        "properties.tags",
    ),
    ("max-items-removed", arr(maxItems=5), arr(), "BACKWARD", None, ""),
    (
        "unique-items-added",
        arr(),
        arr(uniqueItems=True),
        "BACKWARD",
        "UNIQUE_ITEMS_ADDED",
        "properties.tags",
    ),
    ("unique-items-removed", arr(uniqueItems=True), arr(), "BACKWARD", None, ""),
    (
        "items-type-changed",
        arr(items=STR),
        arr(items=INT),
        "BACKWARD",
        "TYPE_CHANGED",
        "properties.tags.items",
    ),
    ("items-widened", arr(items=INT), arr(items={"type": "number"}), "BACKWARD", None, ""),
    (
        "items-constraint-forward",
        arr(items=STR),
        arr(items={"type": "string", "maxLength": 3}),
        "FORWARD",
        None,
        "",
    ),
    (
        "prefix-items-changed",
        arr(prefixItems=[STR, INT]),
        arr(prefixItems=[STR, STR]),
        "BACKWARD",
        "TYPE_CHANGED",
        "properties.tags.prefixItems[1]",
    ),
    (
        "prefix-items-closed",
        arr(prefixItems=[STR, INT]),
        arr(prefixItems=[STR], items=False),
        "BACKWARD",
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "properties.tags.prefixItems[1]",
    ),
    (
        "prefix-items-extended-into-closed",
        arr(prefixItems=[STR], items=False),
        arr(prefixItems=[STR, INT], items=False),
        "FULL",
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "properties.tags",
    ),
    (
        "prefix-items-extended-backward",
        arr(prefixItems=[STR], items=False),
        arr(prefixItems=[STR, INT], items=False),
        "BACKWARD",
        None,
        "",
    ),
    (
        "items-closed",
        arr(items=STR),
        arr(items=False),
        "BACKWARD",
        "ADDITIONAL_ITEMS_REMOVED",
        "properties.tags.items",
    ),
    # --- nesting and references ---------------------------------------------------------
    (
        "nested-backward",
        ADDRESS_V1,
        ADDRESS_V2,
        "BACKWARD",
        "MAX_LENGTH_DECREASED",
        "properties.address.properties.zip",
    ),
    ("nested-forward", ADDRESS_V1, ADDRESS_V2, "FORWARD", None, ""),
    (
        "ref-defs-backward",
        with_defs("$defs", STR),
        with_defs("$defs", INT),
        "BACKWARD",
        "TYPE_CHANGED",
        "properties.shipping.properties.zip",
    ),
    (
        "ref-definitions-forward",
        with_defs("definitions", {"type": "string", "maxLength": 9}),
        with_defs("definitions", STR),
        "FORWARD",
        "MAX_LENGTH_ADDED",
        "properties.shipping.properties.zip",
    ),
    ("ref-unchanged-full", with_defs("$defs", STR), with_defs("$defs", STR), "FULL", None, ""),
    ("recursive-widened-backward", tree(INT), tree({"type": "number"}), "BACKWARD", None, ""),
    (
        "recursive-widened-forward",
        tree(INT),
        tree({"type": "number"}),
        "FORWARD",
        "TYPE_NARROWED",
        "properties.value",
    ),
    # --- anyOf / oneOf / allOf ----------------------------------------------------------
    (
        "anyof-alternative-added-backward",
        union("anyOf", STR, INT),
        union("anyOf", STR, INT, {"type": "boolean"}),
        "BACKWARD",
        None,
        "",
    ),
    (
        "anyof-alternative-added-forward",
        union("anyOf", STR, INT),
        union("anyOf", STR, INT, {"type": "array"}),
        "FORWARD",
        "SUM_TYPE_NARROWED",
        "properties.v",
    ),
    (
        "anyof-alternative-removed-backward",
        union("anyOf", STR, INT, {"type": "array"}),
        union("anyOf", STR, INT),
        "BACKWARD",
        "SUM_TYPE_NARROWED",
        "properties.v",
    ),
    (
        "oneof-alternative-removed-full",
        union("oneOf", STR, {"type": "object"}),
        union("oneOf", STR),
        "FULL",
        "SUM_TYPE_NARROWED",
        "properties.v",
    ),
    (
        "oneof-alternative-removed-forward",
        union("oneOf", STR, {"type": "object"}),
        union("oneOf", STR),
        "FORWARD",
        None,
        "",
    ),
    (
        "anyof-alternative-tightened",
        union("anyOf", STR, INT),
        union("anyOf", {"type": "string", "maxLength": 3}, INT),
        "BACKWARD",
        "MAX_LENGTH_ADDED",
        "properties.v.anyOf[0]",
    ),
    ("made-nullable-backward", obj(s=STR), obj(s=NULLABLE), "BACKWARD", None, ""),
    (
        "made-nullable-forward",
        obj(s=STR),
        obj(s=NULLABLE),
        "FORWARD",
        "TYPE_NARROWED",
        "properties.s",
    ),
    (
        "allof-constraint-added-backward",
        union("allOf", STR),
        union("allOf", STR, {"minLength": 3}),
        "BACKWARD",
        "MIN_LENGTH_ADDED",
        "properties.v.allOf[1]",
    ),
    (
        "allof-constraint-added-forward",
        union("allOf", STR),
        union("allOf", STR, {"minLength": 3}),
        "FORWARD",
        None,
        "",
    ),
    (
        "allof-constraint-removed-backward",
        union("allOf", STR, {"minLength": 3}),
        union("allOf", STR),
        "BACKWARD",
        None,
        "",
    ),
    (
        "allof-merged-writer",
        obj(v={"allOf": [{"type": "object", "properties": {"x": STR}}, {"required": ["x"]}]}),
        obj(v={"type": "object", "properties": {"x": STR}, "required": ["x"]}),
        "FULL",
        None,
        "",
    ),
    # --- the rest -----------------------------------------------------------------------
    (
        "min-properties-increased",
        field(type="object", minProperties=1),
        field(type="object", minProperties=2),
        "BACKWARD",
        "MIN_PROPERTIES_INCREASED",
        "properties.f",
    ),
    (
        "max-properties-added",
        field(type="object"),
        field(type="object", maxProperties=3),
        "BACKWARD",
        "MAX_PROPERTIES_ADDED",
        "properties.f",
    ),
    (
        "dependent-required-added",
        obj(card=STR, billing=STR),
        {**obj(card=STR, billing=STR), "dependentRequired": {"card": ["billing"]}},
        "BACKWARD",
        "DEPENDENT_REQUIRED_ADDED",
        "dependentRequired.card",
    ),
    (
        "not-added",
        field(type="string"),
        field(type="string", **{"not": {"const": ""}}),
        "BACKWARD",
        "NOT_ADDED",
        "properties.f.not",
    ),
    (
        "open-additional-narrowed",
        OPEN_A,
        obj(STR, a=STR),
        "BACKWARD",
        "ADDITIONAL_PROPERTIES_NARROWED",
        "additionalProperties",
    ),
    (
        "added-not-covered-by-partially-open-backward",
        obj(STR, a=STR),
        obj(STR, a=STR, n=INT),
        "BACKWARD",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "properties.n",
    ),
    (
        "conditional-added",
        OPEN_AB,
        {**OPEN_AB, "if": {"required": ["a"]}, "then": {"required": ["b"]}},
        "BACKWARD",
        "CONDITIONAL_CHANGED",
        "$.if",
    ),
    (
        "contains-added",
        arr(),
        arr(contains={"const": "x"}),
        "BACKWARD",
        "CONTAINS_ADDED",
        "tags.contains",
    ),
    (
        "dependent-schema-added",
        obj(card=STR, billing=STR),
        {**obj(card=STR, billing=STR), "dependentSchemas": {"card": {"required": ["billing"]}}},
        "BACKWARD",
        "DEPENDENT_SCHEMA_ADDED",
        "dependentSchemas.card",
    ),
    (
        "enum-value-too-long",
        field(enum=["a", "abcdef"]),
        field(type="string", maxLength=3),
        "BACKWARD",
        "ENUM_VALUE_REJECTED",
        "properties.f",
    ),
    (
        "exclusive-maximum-added",
        field(type="number", maximum=10),
        field(type="number", exclusiveMaximum=10),
        "BACKWARD",
        "EXCLUSIVE_MAXIMUM_ADDED",
        "properties.f",
    ),
    (
        "exclusive-minimum-increased",
        field(type="number", exclusiveMinimum=0),
        field(type="number", exclusiveMinimum=1),
        "BACKWARD",
        "EXCLUSIVE_MINIMUM_INCREASED",
        "properties.f",
    ),
    ("max-items-added", arr(), arr(maxItems=5), "BACKWARD", "MAX_ITEMS_ADDED", "properties.tags"),
    (
        "max-properties-decreased",
        field(type="object", maxProperties=5),
        field(type="object", maxProperties=3),
        "BACKWARD",
        "MAX_PROPERTIES_DECREASED",
        "properties.f",
    ),
    (
        "min-properties-added",
        field(type="object"),
        field(type="object", minProperties=1),
        "BACKWARD",
        "MIN_PROPERTIES_ADDED",
        "properties.f",
    ),
    (
        "annotations-only-full",
        field(type="string"),
        field(type="string", description="d", title="t"),
        "FULL",
        None,
        "",
    ),
    (
        "mode-lowercase",
        field(enum=["a", "b"]),
        field(enum=["a"]),
        "backward",
        "ENUM_NARROWED",
        "properties.f",
    ),
    (
        "mode-transitive-suffix",
        field(enum=["a", "b"]),
        field(enum=["a"]),
        "BACKWARD_TRANSITIVE",
        "ENUM_NARROWED",
        "properties.f",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "mode", "rule", "path_part"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_compatibility(old: Any, new: Any, mode: str, rule: str | None, path_part: str) -> None:
    found = check_compatibility(old, new, mode)
    if rule is None:
        assert found == [], "\n".join(map(str, found))
        return
    assert found, f"expected {rule}, got compatible"
    matching = [i for i in found if i.rule == rule]
    assert matching, f"expected {rule} in:\n" + "\n".join(map(str, found))
    assert any(path_part in i.path for i in matching), [i.path for i in matching]
    assert all(i.message for i in found)
    assert {i.direction for i in found} <= {"BACKWARD", "FORWARD"}


def test_table_covers_every_mode() -> None:
    modes = {case[3].upper().removesuffix("_TRANSITIVE") for case in CASES}
    assert modes == {"BACKWARD", "FORWARD", "FULL", "NONE"}
    assert len(CASES) >= 30


def test_full_reports_both_directions() -> None:
    old = obj(False, n=INT, e={"enum": ["a", "b"]})
    new = obj(False, n={"type": "number"}, e={"enum": ["a"]})
    found = check_compatibility(old, new, "FULL")
    by_direction = {(i.direction, i.rule) for i in found}
    assert ("BACKWARD", "ENUM_NARROWED") in by_direction
    assert ("FORWARD", "TYPE_NARROWED") in by_direction


def test_messages_name_old_and_new_values() -> None:
    found = check_compatibility(
        field(type="string", maxLength=20), field(type="string", maxLength=10), "BACKWARD"
    )
    assert len(found) == 1
    assert "20" in found[0].message and "10" in found[0].message
    assert "old" in found[0].message and "new" in found[0].message


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown compatibility mode"):
        check_compatibility(STR, STR, "SIDEWAYS")
