"""Data nested deeper than the validator can take is invalid data, not a crashed consumer."""

from __future__ import annotations

from typing import Any

import pytest

import topics
from streams.envelope import new_envelope
from streams.registry import SchemaRegistry, SchemaViolation

REGISTRY = SchemaRegistry()


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"n": value}
    return value


@pytest.mark.parametrize("field", ["now", "extra"])
def test_deep_data_is_schema_invalid(field: str) -> None:
    entry = REGISTRY.latest(topics.AGENT_CLOCK.name, "Tick")
    envelope = new_envelope(
        source="/test",
        type="Tick",
        subject="scheduler",
        dataschema=entry.id,
        data={field: _nested(900)},
    )
    with pytest.raises(SchemaViolation) as refused:
        REGISTRY.check(topics.AGENT_CLOCK, envelope)
    assert refused.value.reason == "schema-invalid"
    assert refused.value.path == "$.data"
