"""The schema registry: loads ``schemas/`` once and validates message data on the hot path.

Validation uses compiled validators (jsonschema-rs, Rust): pure-Python ``jsonschema`` manages
only ~7k small events/s per core, far below what one partition can deliver. ``jsonschema``
stays in use for meta-validation and the compatibility checker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from schemas import SCHEMA_ROOT, schema_id
from streams.envelope import Envelope
from topics import TopicSpec

_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.json$")


class SchemaViolation(ValueError):
    """Data does not match the contract; ``reason`` is ``unknown-type`` or ``schema-invalid``."""

    def __init__(self, reason: str, detail: str, path: str = "$") -> None:
        super().__init__(f"{reason}: {path}: {detail}")
        self.reason = reason
        self.detail = detail
        self.path = path


@dataclass(frozen=True)
class SchemaEntry:
    """One schema version with its compiled validator."""

    topic: str
    type: str
    version: int
    id: str
    schema: dict[str, Any]
    validator: Any


class SchemaRegistry:
    """Every schema of a tree, indexed by ``$id`` and by (topic, type)."""

    def __init__(self, root: Path = SCHEMA_ROOT) -> None:
        self.root = root
        self._by_id: dict[str, SchemaEntry] = {}
        self._latest: dict[tuple[str, str], SchemaEntry] = {}
        for path in sorted(root.glob("*/*/v*.json")):
            match = _VERSION_FILE.match(path.name)
            topic, type_name = path.parent.parent.name, path.parent.name
            if match is None or topic in ("envelope", "models"):
                continue
            version = int(match.group(1))
            schema = orjson.loads(path.read_bytes())
            entry = SchemaEntry(
                topic=topic,
                type=type_name,
                version=version,
                id=schema.get("$id", schema_id(topic, type_name, version)),
                schema=schema,
                validator=jsonschema_rs.Draft202012Validator(schema, validate_formats=True),
            )
            self._by_id[entry.id] = entry
            latest = self._latest.get((topic, type_name))
            if latest is None or latest.version < version:
                self._latest[(topic, type_name)] = entry

    def latest(self, topic: str, type_name: str) -> SchemaEntry:
        """The newest schema of a type on a topic; SchemaViolation when there is none."""
        entry = self._latest.get((topic, type_name))
        if entry is None:
            raise SchemaViolation("unknown-type", f"no schema for type {type_name!r} on {topic}")
        return entry

    def entry(self, dataschema: str) -> SchemaEntry:
        """The schema a ``dataschema`` id names; SchemaViolation when unknown."""
        entry = self._by_id.get(dataschema)
        if entry is None:
            raise SchemaViolation("unknown-type", f"unknown dataschema {dataschema!r}")
        return entry

    def check(self, spec: TopicSpec, envelope: Envelope) -> SchemaEntry:
        """Validate an envelope's type and data for a topic; raise SchemaViolation if not valid."""
        if envelope.type not in spec.types:
            raise SchemaViolation(
                "unknown-type", f"type {envelope.type!r} is not allowed on {spec.name}", "$.type"
            )
        entry = self.entry(envelope.dataschema)
        if entry.topic != spec.name or entry.type != envelope.type:
            raise SchemaViolation(
                "unknown-type",
                f"dataschema {envelope.dataschema!r} is for {entry.topic}/{entry.type}, "
                f"not {spec.name}/{envelope.type}",
                "$.dataschema",
            )
        self.validate_data(entry, envelope.data)
        return entry

    def validate_data(self, entry: SchemaEntry, data: dict[str, Any]) -> None:
        """Validate data against one schema entry; raise SchemaViolation naming the field."""
        try:
            valid = entry.validator.is_valid(data)
        except ValueError as exc:
            raise _unreadable(exc) from None
        if not valid:
            raise _violation(entry.validator, data)


def _unreadable(exc: ValueError) -> SchemaViolation:
    # The validator refuses data nested deeper than it can take ("Recursion limit reached"):
    # invalid data, not a crash of the consumer that met it.
    return SchemaViolation("schema-invalid", f"data cannot be validated: {exc}", "$.data")


def _violation(validator: Any, data: Any) -> SchemaViolation:
    # is_valid() is the fast path; only a failing instance pays for building the error.
    try:
        validator.validate(data)
    except jsonschema_rs.ValidationError as exc:
        path = "$.data" + "".join(
            f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.instance_path
        )
        return SchemaViolation("schema-invalid", exc.message, path)
    except ValueError as exc:
        return _unreadable(exc)
    return SchemaViolation("schema-invalid", "data does not match its schema", "$.data")


@lru_cache(maxsize=1)
def default_registry() -> SchemaRegistry:
    """The registry of the installed ``schemas/`` tree, loaded once per process."""
    return SchemaRegistry()
