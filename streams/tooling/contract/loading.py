"""Reading schema files: JSON parsing and meta-validation against their draft.

The platform's own schemas are draft 2020-12. A peer's schema given to ``schemas compat``
may also be draft-07 (declared, or without ``$schema``, as Confluent reads it).
"""

from __future__ import annotations

import json
from pathlib import Path

from jsonschema import Draft7Validator, Draft202012Validator

from streams.tooling.contract import rules
from streams.tooling.contract.dialect import is_draft07
from streams.tooling.contract.jsonutil import Schema, child
from streams.tooling.contract.refs import unresolved_refs

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_META = Draft202012Validator(
    Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
)
_META_07 = Draft7Validator(
    Draft7Validator.META_SCHEMA, format_checker=Draft7Validator.FORMAT_CHECKER
)


class SchemaLoadError(Exception):
    """A schema file could not be read, parsed, or is not a valid 2020-12 schema."""


def parse_schema_text(text: str) -> Schema:
    """Parse a schema document; SchemaLoadError (with line and column) when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(f"not JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc


def read_schema_file(path: Path) -> Schema:
    """The parsed JSON of ``path``; SchemaLoadError when it is missing, unreadable or not JSON."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SchemaLoadError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"{path}: cannot read: {exc}") from exc
    try:
        return parse_schema_text(text)
    except SchemaLoadError as exc:
        raise SchemaLoadError(f"{path}: {exc}") from None


def meta_problems(schema: Schema, require_dialect: bool = False) -> list[tuple[str, str, str]]:
    """``(json path, rule, message)`` for each way ``schema`` is not a valid schema of its draft.

    With ``require_dialect`` (the platform's own tree) only draft 2020-12 will do; without
    it a draft-07 schema (declared or without ``$schema``) is checked against draft-07.
    """
    out: list[tuple[str, str, str]] = []
    older = not require_dialect and is_draft07(schema)
    if isinstance(schema, dict) and not older:
        declared = schema.get("$schema")
        if declared is None and require_dialect:
            out.append(("$.$schema", rules.SCHEMA_DIALECT, f'missing "$schema": "{DIALECT}"'))
        elif declared is not None and str(declared).rstrip("#") != DIALECT:
            msg = f"$schema is {declared!r}; only draft 2020-12 ({DIALECT}) or draft-07 will do"
            out.append(("$.$schema", rules.SCHEMA_DIALECT, msg))
    meta = _META_07 if older else _META
    for error in sorted(meta.iter_errors(schema), key=lambda e: list(map(str, e.absolute_path))):
        path = "$"
        for part in error.absolute_path:
            path = child(path, part)
        out.append((path, rules.META_SCHEMA_INVALID, error.message))
    for path, ref in unresolved_refs(schema):
        out.append((path, rules.META_SCHEMA_INVALID, f"$ref {ref!r} points nowhere in this file"))
    return out


def load_schema_file(path: Path) -> Schema:
    """Read, parse and meta-validate one schema file; SchemaLoadError says what is wrong."""
    schema = read_schema_file(path)
    problems = meta_problems(schema)
    if problems:
        where, _, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        draft = "draft-07" if is_draft07(schema) else "draft 2020-12"
        raise SchemaLoadError(
            f"{path}: not a valid {draft} JSON Schema: at {where}: {message}{more}"
        )
    return schema
