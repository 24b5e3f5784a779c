"""The result type of a compatibility check and the interface keyword checks recurse through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from streams.tooling.contract.jsonutil import Schema


@dataclass(frozen=True)
class Incompatibility:
    """One reason a reader schema cannot read everything a writer schema allows."""

    path: str
    rule: str
    message: str
    # BACKWARD or FORWARD once check_compatibility knows which direction found it.
    direction: str = ""

    def __str__(self) -> str:
        prefix = f"{self.direction}: " if self.direction else ""
        return f"{prefix}{self.path}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class Labels:
    """How messages name the two schemas, e.g. ``old``/``new`` instead of writer/reader."""

    writer: str = "writer"
    reader: str = "reader"


class Resolver(Protocol):
    """Follows ``$ref`` inside one schema document."""

    def resolve(self, node: Schema) -> Schema:
        """The schema ``node`` stands for once its ``$ref`` chain is followed."""
        ...


class Checker(Protocol):
    """What a keyword-family check needs from the recursive reader/writer check."""

    @property
    def labels(self) -> Labels:
        """How messages name the writer and reader schemas."""
        ...

    @property
    def writer_doc(self) -> Resolver:
        """The writer schema's document."""
        ...

    @property
    def reader_doc(self) -> Resolver:
        """The reader schema's document."""
        ...

    def check(self, writer: Schema, reader: Schema, path: str) -> list[Incompatibility]:
        """Reasons the reader sub-schema cannot read every value of the writer sub-schema."""
        ...

    def check_values(
        self, values: list[object], from_enum: bool, reader: Schema, path: str
    ) -> list[Incompatibility]:
        """Reasons the reader sub-schema rejects some of a finite set of writer values."""
        ...


def dedupe(items: list[Incompatibility]) -> list[Incompatibility]:
    """``items`` without repeats, first occurrence kept (union branches often agree)."""
    seen: set[Incompatibility] = set()
    out: list[Incompatibility] = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
