"""Keyword checks for arrays: bounds, uniqueness, ``items``, ``prefixItems`` and ``contains``."""

from __future__ import annotations

from typing import Any

from streams.tooling.contract import rules
from streams.tooling.contract.dialect import ADDITIONAL_ITEMS, DRAFT07_TUPLE
from streams.tooling.contract.incompat import Checker, Incompatibility
from streams.tooling.contract.jsonutil import child
from streams.tooling.contract.normalize import is_unconstrained
from streams.tooling.contract.scalars import count_bounds


def array_keywords(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    """Everything a reader's array keywords demand of the writer's arrays."""
    labels = checker.labels
    out = count_bounds(w, r, ("minItems", "maxItems"), path, labels)
    if r.get("uniqueItems") is True and w.get("uniqueItems") is not True:
        msg = f"{labels.reader} schema requires unique items; {labels.writer} schema allows repeats"
        out.append(Incompatibility(path, rules.UNIQUE_ITEMS_ADDED, msg))
    out += _items(checker, w, r, path)
    if "prefixItems" not in w and "prefixItems" not in r:
        out += _draft07_additional_items(checker, w, r, path)
    if "contains" in r:
        if "contains" in w:
            out += checker.check(w["contains"], r["contains"], child(path, "contains"))
        else:
            msg = f"{labels.reader} schema adds a contains constraint the {labels.writer} lacks"
            out.append(Incompatibility(child(path, "contains"), rules.CONTAINS_ADDED, msg))
    return out


def _items(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    labels = checker.labels
    w_prefix, r_prefix = w.get("prefixItems", []), r.get("prefixItems", [])
    w_rest, r_rest = w.get("items", True), r.get("items", True)
    # A draft-07 tuple is ``items: [...]`` followed by ``additionalItems``.
    draft07 = DRAFT07_TUPLE in w or DRAFT07_TUPLE in r
    tuple_key, rest_key = ("items", ADDITIONAL_ITEMS) if draft07 else ("prefixItems", "items")
    w_max = w.get("maxItems")
    out: list[Incompatibility] = []
    width = max(len(w_prefix), len(r_prefix))
    for i in range(width):
        if w_max is not None and i >= w_max:
            # The writer never produces an item at this position or beyond.
            return out
        w_slot = w_prefix[i] if i < len(w_prefix) else w_rest
        r_slot = r_prefix[i] if i < len(r_prefix) else r_rest
        if checker.writer_doc.resolve(w_slot) is False:
            return out
        in_prefix = i < len(r_prefix)
        # Named by position, as Confluent names an item added to or removed from a tuple.
        slot_path = child(child(path, tuple_key), i)
        r_resolved = checker.reader_doc.resolve(r_slot)
        if r_resolved is False:
            msg = (
                f"{labels.writer} schema allows an item at position {i}; "
                f"{labels.reader} schema's tuple is closed before it"
            )
            rule = rules.ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL
            out.append(Incompatibility(slot_path, rule, msg))
            return out
        open_writer = i >= len(w_prefix) and is_unconstrained(checker.writer_doc.resolve(w_rest))
        if open_writer and in_prefix and not is_unconstrained(r_resolved):
            msg = (
                f"{labels.reader} schema constrains item {i}, which the {labels.writer} "
                f"schema's open tuple lets be anything"
            )
            out.append(Incompatibility(slot_path, rules.ITEM_ADDED_TO_OPEN_CONTENT_MODEL, msg))
            continue
        out += checker.check(w_slot, r_slot, slot_path)
    if (w_max is not None and w_max <= width) or checker.writer_doc.resolve(w_rest) is False:
        return out
    rest_path = child(path, rest_key)
    r_rest_resolved = checker.reader_doc.resolve(r_rest)
    if r_rest_resolved is False:
        where = f"items after position {width - 1}" if width else "array items"
        msg = f"{labels.writer} schema allows {where}; {labels.reader} schema forbids them"
        msg += f" ({rest_key}: false)"
        out.append(Incompatibility(rest_path, rules.ADDITIONAL_ITEMS_REMOVED, msg))
        return out
    open_rest = is_unconstrained(checker.writer_doc.resolve(w_rest))
    # Confluent compares draft-07 additionalItems by presence: even {} where there was
    # nothing counts as a schema given.
    given = draft07 and "items" not in w and isinstance(r.get("items"), dict)
    if width and open_rest and (given or not is_unconstrained(r_rest_resolved)):
        msg = (
            f"{labels.reader} schema gives the items after position {width - 1} a schema; "
            f"the {labels.writer} schema lets them be anything"
        )
        return [*out, Incompatibility(rest_path, rules.ADDITIONAL_ITEMS_NARROWED, msg)]
    return out + checker.check(w_rest, r_rest, rest_path)


def _draft07_additional_items(
    checker: Checker, w: dict[str, Any], r: dict[str, Any], path: str
) -> list[Incompatibility]:
    """Confluent's comparison of a draft-07 ``additionalItems`` that sits beside no tuple.

    Validation ignores it there, but Confluent compares it all the same: closing it (false)
    or giving it a schema where there was none is a change it refuses.
    """
    if ADDITIONAL_ITEMS not in w and ADDITIONAL_ITEMS not in r:
        return []
    labels = checker.labels
    w_extra, r_extra = w.get(ADDITIONAL_ITEMS, True), r.get(ADDITIONAL_ITEMS, True)
    where = child(path, ADDITIONAL_ITEMS)
    if w_extra is False or r_extra is False:
        if w_extra is not False:
            msg = (
                f"{labels.reader} schema sets additionalItems: false; the {labels.writer} does not"
            )
            return [Incompatibility(where, rules.ADDITIONAL_ITEMS_REMOVED, msg)]
        return []
    if isinstance(r_extra, dict) and not isinstance(w_extra, dict):
        msg = f"{labels.reader} schema gives additionalItems a schema the {labels.writer} lacks"
        return [Incompatibility(where, rules.ADDITIONAL_ITEMS_NARROWED, msg)]
    if isinstance(r_extra, dict):
        return checker.check(w_extra, r_extra, where)
    return []
