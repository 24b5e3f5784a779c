"""The schema registry on the real ``schemas/`` tree and on small trees built for a test."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import orjson
import pytest

import topics
from schemas import SCHEMA_ROOT, schema_id
from streams.envelope import Envelope, new_envelope
from streams.registry import SchemaRegistry, SchemaViolation

REGISTRY = SchemaRegistry()
CREATED_ID = "urn:dafnck:schema:agent-events/AgentCreated/v1"
STATUS_ID = "urn:dafnck:schema:agent-events/AgentStatusChanged/v1"
USER_CREATED_ID = "urn:dafnck:schema:user-events/UserCreated/v1"


def _examples(relative: str) -> list[dict[str, Any]]:
    return orjson.loads((SCHEMA_ROOT / relative).read_bytes())["examples"]


AGENT_CREATED = _examples("agent-events/AgentCreated/v1.json")[0]


def _envelope(
    data: dict[str, Any], *, type_name: str = "AgentCreated", dataschema: str = CREATED_ID
) -> Envelope:
    return new_envelope(
        source="/test",
        type=type_name,
        subject=str(data.get("agent_id", "subject")),
        dataschema=dataschema,
        data=data,
    )


def _every_example() -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for path in sorted(SCHEMA_ROOT.glob("*-events/*/v*.json")):
        schema = orjson.loads(path.read_bytes())
        for i, example in enumerate(schema.get("examples", [])):
            topic, type_name = path.parent.parent.name, path.parent.name
            found.append((f"{topic}/{type_name}/{path.stem}#{i}", topic, schema["$id"], example))
    return found


EXAMPLES = _every_example()


def test_the_real_tree_has_examples_to_check() -> None:
    assert any(label.startswith("agent-events/AgentCreated/v1") for label, *_ in EXAMPLES)


@pytest.mark.parametrize(
    ("label", "topic", "dataschema", "example"), EXAMPLES, ids=[e[0] for e in EXAMPLES]
)
def test_every_schema_example_is_accepted_on_its_topic(
    label: str, topic: str, dataschema: str, example: dict[str, Any]
) -> None:
    type_name = label.split("/")[1]
    entry = REGISTRY.check(
        topics.by_name(topic), _envelope(example, type_name=type_name, dataschema=dataschema)
    )
    assert (entry.topic, entry.type, entry.version, entry.id) == (topic, type_name, 1, dataschema)


def test_a_type_not_allowed_on_the_topic_is_an_unknown_type() -> None:
    envelope = _envelope(AGENT_CREATED, type_name="AgentTeleported")
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.check(topics.AGENT_EVENTS, envelope)
    assert info.value.reason == "unknown-type"
    assert info.value.path == "$.type"
    assert "'AgentTeleported' is not allowed on agent-events" in info.value.detail


def test_an_unknown_dataschema_is_an_unknown_type() -> None:
    envelope = _envelope(AGENT_CREATED, dataschema="urn:dafnck:schema:agent-events/AgentCreated/v9")
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.check(topics.AGENT_EVENTS, envelope)
    assert info.value.reason == "unknown-type"
    assert "agent-events/AgentCreated/v9" in info.value.detail


def test_a_dataschema_of_another_type_is_an_unknown_type() -> None:
    # The data would even be valid for AgentCreated; the label on it is what is wrong.
    envelope = _envelope(AGENT_CREATED, dataschema=STATUS_ID)
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.check(topics.AGENT_EVENTS, envelope)
    assert info.value.reason == "unknown-type"
    assert info.value.path == "$.dataschema"
    assert "agent-events/AgentStatusChanged" in info.value.detail


def test_a_dataschema_of_another_topic_is_an_unknown_type() -> None:
    envelope = _envelope(AGENT_CREATED, dataschema=USER_CREATED_ID)
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.check(topics.AGENT_EVENTS, envelope)
    assert info.value.reason == "unknown-type"
    assert "user-events/UserCreated" in info.value.detail


def _broken(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(AGENT_CREATED)
    for name, value in changes.items():
        if value is ...:
            del data[name]
        else:
            data[name] = value
    return data


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        (_broken(capacity="lots"), "$.data.capacity", '"lots" is not of type "integer"'),
        (_broken(capacity=0), "$.data.capacity", "minimum"),
        (_broken(agent_id="not-a-uuid"), "$.data.agent_id", "uuid"),
        (_broken(created_by="42"), "$.data.created_by", "uuid"),
        (_broken(capabilities=["ok", "NOT OK"]), "$.data.capabilities[1]", "NOT OK"),
        (_broken(labels={"team": 5}), "$.data.labels.team", "string"),
        (_broken(status="online"), "$.data.status", "registered"),
        (_broken(name=...), "$.data", "name"),
        (_broken(surprise=True), "$.data", "surprise"),
    ],
    ids=[
        "capacity-string",
        "capacity-zero",
        "agent-id-not-uuid",
        "created-by-not-uuid",
        "bad-capability",
        "label-not-string",
        "wrong-status",
        "missing-name",
        "extra-field",
    ],
)
def test_invalid_data_is_schema_invalid_and_names_the_field(
    data: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.check(topics.AGENT_EVENTS, _envelope(data))
    assert info.value.reason == "schema-invalid"
    assert info.value.path == path
    assert words in info.value.detail
    assert path in str(info.value)


def test_latest_of_an_unknown_type_names_it() -> None:
    with pytest.raises(SchemaViolation) as info:
        REGISTRY.latest("agent-events", "AgentTeleported")
    assert info.value.reason == "unknown-type"
    assert "'AgentTeleported'" in info.value.detail


# --- a registry over a tree made for the test ------------------------------------------------


def _schema(required: list[str], *, with_id: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": required,
        "properties": {
            "agent_id": {"type": "string", "format": "uuid"},
            "region": {"type": "string"},
        },
    }
    if with_id:
        schema["$id"] = with_id
    return schema


def _write(root: Path, relative: str, content: bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    base = "agent-events/AgentCreated"
    _write(tmp_path, f"{base}/v1.json", orjson.dumps(_schema(["agent_id"])))
    _write(tmp_path, f"{base}/v2.json", orjson.dumps(_schema(["agent_id", "region"])))
    # Not schema versions: never read (their content would not even parse).
    _write(tmp_path, f"{base}/v0.json", b"not json")
    _write(tmp_path, f"{base}/vnext.json", b"not json")
    _write(tmp_path, f"{base}/notes.txt", b"not json")
    _write(tmp_path, "envelope/v1.json", b"not json")
    return tmp_path


def test_latest_picks_the_highest_version(tree: Path) -> None:
    registry = SchemaRegistry(tree)
    latest = registry.latest("agent-events", "AgentCreated")
    assert latest.version == 2
    assert latest.id == schema_id("agent-events", "AgentCreated", 2)


def test_latest_compares_versions_as_numbers_not_text(tree: Path) -> None:
    _write(tree, "agent-events/AgentCreated/v10.json", orjson.dumps(_schema(["agent_id"])))
    assert SchemaRegistry(tree).latest("agent-events", "AgentCreated").version == 10


def test_older_versions_still_validate_their_own_events(tree: Path) -> None:
    registry = SchemaRegistry(tree)
    data = {"agent_id": "3f1c2a9e-7b4d-4c1e-9a6f-2d8b5e0c7a11"}
    v1 = schema_id("agent-events", "AgentCreated", 1)
    v2 = schema_id("agent-events", "AgentCreated", 2)
    assert registry.check(topics.AGENT_EVENTS, _envelope(data, dataschema=v1)).version == 1
    with pytest.raises(SchemaViolation) as info:
        registry.check(topics.AGENT_EVENTS, _envelope(data, dataschema=v2))
    assert info.value.reason == "schema-invalid"
    assert "region" in info.value.detail


def test_a_declared_id_is_what_dataschema_must_name(tmp_path: Path) -> None:
    custom = "urn:example:agent-created:1"
    _write(
        tmp_path,
        "agent-events/AgentCreated/v1.json",
        orjson.dumps(_schema(["agent_id"], with_id=custom)),
    )
    registry = SchemaRegistry(tmp_path)
    data = {"agent_id": "3f1c2a9e-7b4d-4c1e-9a6f-2d8b5e0c7a11"}
    assert registry.check(topics.AGENT_EVENTS, _envelope(data, dataschema=custom)).id == custom
    with pytest.raises(SchemaViolation) as info:
        registry.entry(schema_id("agent-events", "AgentCreated", 1))
    assert info.value.reason == "unknown-type"


def test_formats_are_checked_in_a_tmp_tree_too(tree: Path) -> None:
    registry = SchemaRegistry(tree)
    v1 = schema_id("agent-events", "AgentCreated", 1)
    with pytest.raises(SchemaViolation) as info:
        registry.check(topics.AGENT_EVENTS, _envelope({"agent_id": "agent-1"}, dataschema=v1))
    assert (info.value.reason, info.value.path) == ("schema-invalid", "$.data.agent_id")
