"""Validation cost per event: pure-Python jsonschema vs the compiled validator the kernel uses."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jsonschema
import jsonschema_rs


def _rate(check: Callable[[Any], bool], items: list[Any]) -> float:
    started = time.perf_counter()
    for item in items:
        if not check(item):
            raise AssertionError(f"benchmark data must be valid: {item}")
    return len(items) / (time.perf_counter() - started)


def compare_validators(schema: dict[str, Any], items: list[Any]) -> tuple[float, float]:
    """Validations/s of (jsonschema, jsonschema-rs), both checking formats."""
    pure = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    compiled = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    return _rate(pure.is_valid, items), _rate(compiled.is_valid, items)
