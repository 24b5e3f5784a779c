"""Peer schemas as Confluent Schema Registry reads them: draft-07 tuples and ``propertyNames``.

A schema without ``$schema`` is draft-07: ``items: [...]`` is a tuple and ``additionalItems``
governs what follows it. Each expected verdict is the one Confluent's JSON Schema diff gives
(original = old under BACKWARD, new under FORWARD), with the rule and the field it names.
"""

from __future__ import annotations

from typing import Any

import pytest

from streams.tooling.contract.compat import check_compatibility

STR = {"type": "string"}
INT = {"type": "integer"}
S2020 = "https://json-schema.org/draft/2020-12/schema"


def tup(*items: Any, extra: Any = None) -> dict[str, Any]:
    """A draft-07 (no ``$schema``) array tuple; ``extra`` is additionalItems (None: absent)."""
    schema: dict[str, Any] = {"type": "array", "items": list(items)}
    if extra is not None:
        schema["additionalItems"] = extra
    return schema


def named(**props: Any) -> dict[str, Any]:
    """A draft-07 object with ``props`` (a propertyNames keyword, say)."""
    return {"type": "object", "properties": {"a": STR}, **props}


LIST_OF_STR = {"type": "array", "items": STR}
SHORT_NAMES = {"maxLength": 3}

# (id, old, new, mode, rule expected or None when compatible, text the path must contain)
CASES: list[tuple[str, Any, Any, str, str | None, str]] = [
    # --- growing and shrinking an open tuple (additionalItems absent) ---------------------
    (
        "open-grow-backward",
        tup(STR),
        tup(STR, INT),
        "BACKWARD",
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        "$.items[1]",
    ),
    ("open-grow-forward", tup(STR), tup(STR, INT), "FORWARD", None, ""),
    ("open-grow-empty-item-backward", tup(STR), tup(STR, {}), "BACKWARD", None, ""),
    ("open-shrink-backward", tup(STR, INT), tup(STR), "BACKWARD", None, ""),
    (
        "open-shrink-forward",
        tup(STR, INT),
        tup(STR),
        "FORWARD",
        "ITEM_ADDED_TO_OPEN_CONTENT_MODEL",
        "$.items[1]",
    ),
    # --- a closed tuple (additionalItems: false) -------------------------------------------
    (
        "closed-grow-backward",
        tup(STR, extra=False),
        tup(STR, INT, extra=False),
        "BACKWARD",
        None,
        "",
    ),
    (
        "closed-grow-forward",
        tup(STR, extra=False),
        tup(STR, INT, extra=False),
        "FORWARD",
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "$.items[1]",
    ),
    (
        "closed-shrink-backward",
        tup(STR, INT, extra=False),
        tup(STR, extra=False),
        "BACKWARD",
        "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        "$.items[1]",
    ),
    (
        "closed-drop-false-item-backward",
        tup(STR, False, extra=False),
        tup(STR, extra=False),
        "BACKWARD",
        None,
        "",
    ),
    # --- closing and opening additionalItems ----------------------------------------------
    (
        "close-backward",
        tup(STR, INT),
        tup(STR, INT, extra=False),
        "BACKWARD",
        "ADDITIONAL_ITEMS_REMOVED",
        "$.additionalItems",
    ),
    ("close-forward", tup(STR, INT), tup(STR, INT, extra=False), "FORWARD", None, ""),
    ("open-backward", tup(STR, extra=False), tup(STR), "BACKWARD", None, ""),
    (
        "open-full",
        tup(STR, extra=False),
        tup(STR),
        "FULL",
        "ADDITIONAL_ITEMS_REMOVED",
        "$.additionalItems",
    ),
    # --- a partially open tuple (additionalItems: a schema) -------------------------------
    (
        "narrowed-backward",
        tup(STR),
        tup(STR, extra=INT),
        "BACKWARD",
        "ADDITIONAL_ITEMS_NARROWED",
        "$.additionalItems",
    ),
    (
        "narrowed-to-empty-schema-backward",
        tup(STR),
        tup(STR, extra={}),
        "BACKWARD",
        "ADDITIONAL_ITEMS_NARROWED",
        "$.additionalItems",
    ),
    ("true-is-absent-full", tup(STR), tup(STR, extra=True), "FULL", None, ""),
    ("extended-backward", tup(STR, extra=INT), tup(STR), "BACKWARD", None, ""),
    (
        "changed-additional",
        tup(STR, extra=INT),
        tup(STR, extra=STR),
        "BACKWARD",
        "TYPE_CHANGED",
        "$.additionalItems",
    ),
    ("grow-covered-backward", tup(STR, extra=INT), tup(STR, INT, extra=INT), "BACKWARD", None, ""),
    (
        "grow-not-covered-backward",
        tup(STR, extra=STR),
        tup(STR, INT, extra=STR),
        "BACKWARD",
        "TYPE_CHANGED",
        "$.items[1]",
    ),
    (
        "shrink-covered-backward",
        tup(STR, INT, extra=INT),
        tup(STR, extra=INT),
        "BACKWARD",
        None,
        "",
    ),
    (
        "shrink-not-covered-backward",
        tup(STR, INT, extra=STR),
        tup(STR, extra=STR),
        "BACKWARD",
        "TYPE_CHANGED",
        "$.items[1]",
    ),
    # --- additionalItems beside a single-schema items: Confluent still compares it --------
    (
        "list-closed-backward",
        LIST_OF_STR,
        {**LIST_OF_STR, "additionalItems": False},
        "BACKWARD",
        "ADDITIONAL_ITEMS_REMOVED",
        "$.additionalItems",
    ),
    (
        "list-closed-forward",
        LIST_OF_STR,
        {**LIST_OF_STR, "additionalItems": False},
        "FORWARD",
        None,
        "",
    ),
    # --- prefixItems is not a draft-07 keyword --------------------------------------------
    (
        "prefix-items-ignored",
        {"type": "array"},
        {"type": "array", "prefixItems": [INT]},
        "FULL",
        None,
        "",
    ),
    # --- propertyNames: Confluent leaves it out of the comparison --------------------------
    ("names-added-backward", named(), named(propertyNames=SHORT_NAMES), "BACKWARD", None, ""),
    ("names-added-forward", named(), named(propertyNames=SHORT_NAMES), "FORWARD", None, ""),
    (
        "names-changed-full",
        named(propertyNames={"pattern": "^[a-z]+$"}),
        named(propertyNames={"pattern": "^[A-Z]+$"}),
        "FULL",
        None,
        "",
    ),
    ("names-removed-full", named(propertyNames=SHORT_NAMES), named(), "FULL", None, ""),
]


@pytest.mark.parametrize(
    ("old", "new", "mode", "rule", "path_part"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_confluent_verdict(old: Any, new: Any, mode: str, rule: str | None, path_part: str) -> None:
    found = check_compatibility(old, new, mode)
    if rule is None:
        assert found == [], [f"{i.path}: {i.rule}: {i.message}" for i in found]
    else:
        assert any(i.rule == rule and path_part in i.path for i in found), [
            f"{i.path}: {i.rule}" for i in found
        ]


def test_a_2020_12_tuple_is_read_with_prefix_items() -> None:
    old = {"$schema": S2020, "type": "array", "prefixItems": [STR]}
    new = {"$schema": S2020, "type": "array", "prefixItems": [STR, INT]}
    [found] = check_compatibility(old, new, "BACKWARD")
    assert (found.path, found.rule) == ("$.prefixItems[1]", "ITEM_ADDED_TO_OPEN_CONTENT_MODEL")


def test_draft07_declared_is_read_like_no_dialect() -> None:
    declared = "http://json-schema.org/draft-07/schema#"
    old, new = {**tup(STR), "$schema": declared}, {**tup(STR), "$schema": declared}
    new["additionalItems"] = False
    [found] = check_compatibility(old, new, "BACKWARD")
    assert (found.path, found.rule) == ("$.additionalItems", "ADDITIONAL_ITEMS_REMOVED")
    assert "forbids" in found.message
