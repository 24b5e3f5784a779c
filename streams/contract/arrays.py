"""Keyword checks for arrays: bounds, uniqueness, ``items``, ``prefixItems`` and ``contains``."""

from __future__ import annotations

from typing import Any

from streams.contract import rules
from streams.contract.incompat import Checker, Incompatibility
from streams.contract.jsonutil import child
from streams.contract.scalars import count_bounds


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
        slot_path = child(child(path, "prefixItems"), i) if in_prefix else child(path, "items")
        if checker.reader_doc.resolve(r_slot) is False:
            msg = (
                f"{labels.writer} schema allows an item at position {i}; "
                f"{labels.reader} schema's tuple is closed before it"
            )
            rule = rules.ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL
            out.append(Incompatibility(slot_path, rule, msg))
            return out
        out += checker.check(w_slot, r_slot, slot_path)
    if (w_max is not None and w_max <= width) or checker.writer_doc.resolve(w_rest) is False:
        return out
    if checker.reader_doc.resolve(r_rest) is False:
        where = f"items after position {width - 1}" if width else "array items"
        msg = f"{labels.writer} schema allows {where}; {labels.reader} schema forbids them"
        msg += " (items: false)"
        out.append(Incompatibility(child(path, "items"), rules.ADDITIONAL_ITEMS_REMOVED, msg))
        return out
    return out + checker.check(w_rest, r_rest, child(path, "items"))
