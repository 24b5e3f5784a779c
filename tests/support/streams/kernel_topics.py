"""Throwaway topics and schemas for kernel tests: unique per run, shaped like the catalog's."""

from __future__ import annotations

import json
from pathlib import Path

from schemas import SCHEMA_ROOT, schema_id
from topics import Compatibility, TopicKind, TopicSpec

SOURCE_TYPE = "AgentCreated"
STATUS_TYPE = "AgentStatusChanged"
OUTPUT_TYPE = "AgentSeen"


def service_id(prefix: str) -> str:
    """The test worker's service id (its consumer group)."""
    return f"{prefix}-svc"


def source_topic(prefix: str) -> TopicSpec:
    """The topic the test worker consumes (three partitions, like agent-events)."""
    return TopicSpec(
        name=f"{prefix}-source",
        kind=TopicKind.EVENTS,
        partitions=3,
        replication=1,
        retention_ms=3_600_000,
        cleanup_policy="delete",
        key="agent id",
        owner="test-producer",
        types=(SOURCE_TYPE, STATUS_TYPE),
        consumer_groups=(service_id(prefix),),
        compatibility=Compatibility.BACKWARD,
    )


def output_topic(prefix: str) -> TopicSpec:
    """The topic the test worker writes (its single writer)."""
    return TopicSpec(
        name=f"{prefix}-seen",
        kind=TopicKind.EVENTS,
        partitions=3,
        replication=1,
        retention_ms=3_600_000,
        cleanup_policy="delete",
        key="agent id",
        owner=service_id(prefix),
        types=(OUTPUT_TYPE,),
        consumer_groups=(),
        compatibility=Compatibility.BACKWARD,
    )


def dlq_topic(prefix: str) -> TopicSpec:
    """The dead-letter twin of the source topic."""
    src = source_topic(prefix)
    return TopicSpec(
        name=src.dlq,
        kind=TopicKind.DEAD_LETTER,
        partitions=3,
        replication=1,
        retention_ms=3_600_000,
        cleanup_policy="delete",
        key="as on source",
        owner="consumers",
        types=(),
        consumer_groups=(),
        compatibility=Compatibility.NONE,
    )


def all_specs(prefix: str) -> list[TopicSpec]:
    """Every topic a kernel test run needs."""
    return [source_topic(prefix), output_topic(prefix), dlq_topic(prefix)]


def write_schema_tree(prefix: str, root: Path) -> Path:
    """A schema tree for the test topics: the real AgentCreated and AgentStatusChanged v1,
    and an AgentSeen v1."""
    created = json.loads((SCHEMA_ROOT / "agent-events" / SOURCE_TYPE / "v1.json").read_text())
    created["$id"] = schema_id(source_topic(prefix).name, SOURCE_TYPE, 1)
    status = json.loads((SCHEMA_ROOT / "agent-events" / STATUS_TYPE / "v1.json").read_text())
    status["$id"] = schema_id(source_topic(prefix).name, STATUS_TYPE, 1)
    seen = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(output_topic(prefix).name, OUTPUT_TYPE, 1),
        "type": "object",
        "required": ["agent_id", "name", "seen_by"],
        "additionalProperties": False,
        "properties": {
            "agent_id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "minLength": 1},
            "seen_by": {"type": "string"},
        },
    }
    for topic, type_name, schema in (
        (source_topic(prefix).name, SOURCE_TYPE, created),
        (source_topic(prefix).name, STATUS_TYPE, status),
        (output_topic(prefix).name, OUTPUT_TYPE, seen),
    ):
        path = root / topic / type_name / "v1.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(schema, indent=2))
    return root
