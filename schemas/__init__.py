"""JSON Schemas (draft 2020-12), one file per message type and version.

Layout: ``schemas/<topic>/<Type>/v<N>.json``; ``schemas/envelope/v1.json`` is the
CloudEvents envelope every message travels in. ``schemas.models`` holds the pydantic
models that mirror them.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_ROOT = Path(__file__).resolve().parent
SCHEMA_ID_PREFIX = "urn:dafnck:schema:"


def schema_id(topic: str, type_name: str, version: int) -> str:
    """The ``$id`` (and the envelope's ``dataschema``) of one schema version."""
    return f"{SCHEMA_ID_PREFIX}{topic}/{type_name}/v{version}"


def schema_path(topic: str, type_name: str, version: int) -> Path:
    """Where that schema version's file lives."""
    return SCHEMA_ROOT / topic / type_name / f"v{version}.json"
