"""Splitting one command's journal entry over as many table values as its size needs.

An entry is a list of items: the records the command changed, then its outputs. When their
JSON fits in ``budget`` bytes the entry is one value (``journal:<slot>``), as it always was.
Otherwise the first items go to parts ``journal:<slot>.<n>`` and the last group stays in the
head, which says how many parts precede it. The store writes the parts before the head, on
the same changelog partition, so a head that is stored has all its parts stored too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents_svc.domain.sizes import json_size

JOURNAL = "journal:"
PARTS = "parts"

Change = tuple[str, Any]  # (record key, new value or None)


def part_key(slot: int, n: int) -> str:
    """Table key of a split entry's n-th part."""
    return f"{JOURNAL}{slot}.{n}"


def parse_part(key: str) -> tuple[int, int] | None:
    """(slot, n) of a part's key; None for any other key."""
    slot, dot, n = key[len(JOURNAL) :].partition(".")
    if key.startswith(JOURNAL) and dot and slot.isdigit() and n.isdigit():
        return int(slot), int(n)
    return None


def split(
    changes: Mapping[str, Any], outputs: list[Any], budget: int
) -> list[dict[str, Any]]:
    """Bodies ({changes, outputs}) of at most ``budget`` bytes of items each, in order.

    An item larger than the budget is alone in its body; the handler refuses decisions
    with such an item before they reach the journal.
    """
    bodies: list[dict[str, Any]] = [{"changes": {}, "outputs": []}]
    used = 0

    def room_for(size: int) -> dict[str, Any]:
        nonlocal used
        body = bodies[-1]
        if (body["changes"] or body["outputs"]) and used + size > budget:
            body = {"changes": {}, "outputs": []}
            bodies.append(body)
            used = 0
        used += size
        return body

    for key, value in changes.items():
        room_for(len(key) + json_size(value))["changes"][key] = value
    for out in outputs:
        room_for(json_size(out))["outputs"].append(out)
    return bodies


def assemble(
    head: dict[str, Any], table: Mapping[str, Any], slot: int
) -> dict[str, Any] | None:
    """The whole entry of a head: its parts' items in order, then its own.

    None when a part is missing or is another entry's: the write order rules that out, but
    a table written by a version that knew no parts may have dropped them. An entry not
    stored whole counts as not stored (its command, redelivered, is decided afresh).
    """
    count = int(head.get(PARTS) or 0)
    if not count:
        return head
    changes: dict[str, Any] = {}
    outputs: list[Any] = []
    for n in range(count):
        part = table.get(part_key(slot, n))
        if part is None or part.get("seq") != head["seq"]:
            return None
        changes.update(part["changes"])
        outputs.extend(part["outputs"])
    changes.update(head["changes"])
    outputs.extend(head["outputs"])
    return {**head, "changes": changes, "outputs": outputs}
