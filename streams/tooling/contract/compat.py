"""Compatibility modes on top of the reader/writer check, as Confluent Schema Registry defines them.

BACKWARD: consumers on the new schema read data written with the old one (writer=old).
FORWARD: consumers on the old schema read data written with the new one (writer=new).
FULL: both. NONE: no check. ``*_TRANSITIVE`` only matters across several versions, so
for a pair of schemas it means the same as its base mode.

A schema without ``$schema`` is read as draft-07, as Confluent reads it (``dialect``).
"""

from __future__ import annotations

from dataclasses import replace

from streams.tooling.contract.dialect import as_2020_12
from streams.tooling.contract.incompat import Incompatibility, Labels
from streams.tooling.contract.jsonutil import Schema
from streams.tooling.contract.reader import check_reader_can_read

MODES = ("BACKWARD", "FORWARD", "FULL", "NONE")


def base_mode(mode: str) -> str:
    """``mode`` upper-cased without ``_TRANSITIVE``; ValueError if it is not a known mode."""
    base = mode.strip().upper().removesuffix("_TRANSITIVE")
    if base not in MODES:
        raise ValueError(f"unknown compatibility mode {mode!r}; expected one of {', '.join(MODES)}")
    return base


def check_compatibility(
    old: Schema, new: Schema, mode: str, *, names: tuple[str, str] = ("old", "new")
) -> list[Incompatibility]:
    """Why ``new`` may not follow ``old`` under ``mode``; an empty list means compatible.

    ``names`` is how messages call the two schemas (e.g. ``("v1", "v2")``).
    """
    base = base_mode(mode)
    old, new = as_2020_12(old), as_2020_12(new)
    old_name, new_name = names
    out: list[Incompatibility] = []
    if base in ("BACKWARD", "FULL"):
        found = check_reader_can_read(old, new, Labels(writer=old_name, reader=new_name))
        out += [replace(i, direction="BACKWARD") for i in found]
    if base in ("FORWARD", "FULL"):
        found = check_reader_can_read(new, old, Labels(writer=new_name, reader=old_name))
        out += [replace(i, direction="FORWARD") for i in found]
    return out
