"""Exact checks for writers with a finite set of values (enum, const, boolean, null).

When the writer can only produce a handful of values, the reader can simply be asked to
validate each of them, which is exact where keyword comparison would be approximate.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing.exceptions import Unresolvable

from streams.tooling.contract import rules
from streams.tooling.contract.incompat import Incompatibility, Labels
from streams.tooling.contract.jsonutil import Schema, short
from streams.tooling.contract.normalize import type_set

# Above this many values an enum is compared by keyword instead of value by value.
MAX_FINITE_VALUES = 1000


def finite_values(node: Schema) -> tuple[list[Any], bool] | None:
    """The values a (normalized) writer node allows when there are few, and whether from enum."""
    if not isinstance(node, dict):
        return None
    if "enum" in node and len(node["enum"]) <= MAX_FINITE_VALUES:
        return list(node["enum"]), True
    types = type_set(node)
    if types and types <= {"null", "boolean"} and "not" not in node:
        values: list[Any] = [None] if "null" in types else []
        if "boolean" in types:
            values += [True, False]
        return values, False
    return None


class ValueChecker:
    """Validates concrete values against sub-schemas of one root document."""

    def __init__(self, root: Schema) -> None:
        self._root = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def errors(self, node: Schema, value: Any) -> list[ValidationError] | None:
        """Validation errors of ``value`` under sub-schema ``node``; None if refs cannot resolve."""
        try:
            return list(self._root.evolve(schema=node).iter_errors(value))
        except Unresolvable:
            return None

    def allowed(self, node: Schema, values: list[Any]) -> list[Any]:
        """The members of ``values`` that ``node`` accepts (all of them if it cannot tell)."""
        return [v for v in values if not self.errors(node, v)]


def value_incompatibilities(
    checker: ValueChecker,
    values: list[Any],
    from_enum: bool,
    reader: Schema,
    path: str,
    labels: Labels,
) -> list[Incompatibility]:
    """One incompatibility per rule for the writer ``values`` the reader rejects."""
    rejected: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    for value in values:
        errors = checker.errors(reader, value)
        if errors is None:
            msg = f"cannot resolve a $ref in the {labels.reader} schema to check it"
            return [Incompatibility(path, rules.REF_UNRESOLVED, msg)]
        if errors:
            error = errors[0]
            # jsonschema's own messages use Python reprs (None, True); say it in JSON.
            why = f"{error.validator}: {short(error.validator_value, 40)}"
            rejected[_rule_for(str(error.validator), from_enum)].append((value, why))
    type_failures = rejected.pop(rules.TYPE_NARROWED, [])
    if type_failures:
        # If the reader takes none of the writer's values by type, the type was replaced.
        rule = rules.TYPE_CHANGED if len(type_failures) == len(values) else rules.TYPE_NARROWED
        rejected[rule] = type_failures
    out = []
    for rule, items in rejected.items():
        shown = ", ".join(short(v, 30) for v, _ in items[:5])
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        msg = (
            f"{labels.writer} schema allows {shown}{more}, which the {labels.reader} schema "
            f"rejects (fails {items[0][1]})"
        )
        out.append(Incompatibility(path, rule, msg))
    return out


def _rule_for(keyword: str, from_enum: bool) -> str:
    if keyword == "enum":
        return rules.ENUM_NARROWED if from_enum else rules.ENUM_ADDED
    if keyword == "const":
        return rules.CONST_CHANGED if from_enum else rules.CONST_ADDED
    if keyword == "type":
        return rules.TYPE_NARROWED
    if keyword in ("anyOf", "oneOf"):
        return rules.SUM_TYPE_NARROWED
    return rules.ENUM_VALUE_REJECTED
