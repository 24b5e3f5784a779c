"""Schema files are valid draft 2020-12, their examples are valid, and bad data is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas import SCHEMA_ROOT, schema_id
from schemas.models import MODELS, EventData, model_for

Key = tuple[str, str, int]
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ENVELOPE = SCHEMA_ROOT / "envelope" / "v1.json"
# The field of each topic's data that is the aggregate id: the envelope subject and Kafka key.
AGGREGATE_ID = {"agent-events": "agent_id", "user-events": "user_id"}
# Events carry facts about users, never their secrets.
FORBIDDEN_NAMES = {"password", "passwd", "password_hash", "hash", "secret", "credentials"}
# Plaintext secrets travel on no topic at all (users_svc/DESIGN.md, security rules).
PLAINTEXT_NAMES = {"password", "passwd", "secret", "credentials"}
# The users context's own topics carry credential *hashes* between the edge and the users
# worker (argon2id password hashes, SHA-256 of refresh tokens); nobody else reads them.
CREDENTIAL_HASH_TOPICS = {"user-commands", "user-registrations", "user-credentials"}
# A SHA-256 of a normalized email identifies a failed sign-in's target; it is no credential.
NOT_SECRETS = {"email_hash"}
# Hashes the design publishes outside the users context, each by (topic, type, field): an agent
# key's secret is 256 random bits, so its SHA-256 cannot be inverted, and agents-svc's
# projector needs it from agent-events for the edge to authenticate agent connections
# (agents_svc/DESIGN.md, IssueAgentKey). Anything else named like a hash there still fails.
PUBLISHED_HASHES = {
    ("agent-commands", "IssueAgentKey", "secret_hash"),
    ("agent-events", "AgentKeyIssued", "secret_hash"),
}


def data_schema_paths() -> dict[Key, Path]:
    """Every data schema file under schemas/, by (topic, type, version)."""
    found: dict[Key, Path] = {}
    for path in sorted(SCHEMA_ROOT.glob("*/*/v*.json")):
        version = path.stem.removeprefix("v")
        if version.isdigit():
            found[(path.parent.parent.name, path.parent.name, int(version))] = path
    return found


@cache
def load(path: Path) -> dict[str, Any]:
    """A schema file, parsed once."""
    return dict(json.loads(path.read_text()))


def schema_of(key: Key) -> dict[str, Any]:
    """The schema for (topic, type, version)."""
    return load(data_schema_paths()[key])


def errors(schema: dict[str, Any], instance: Any) -> list[str]:
    """Why `jsonschema` (formats asserted) refuses an instance; empty when valid."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(instance)
    ]


def rs_valid(schema: dict[str, Any], instance: Any) -> bool:
    """Whether jsonschema-rs (the compiled validator, formats asserted) accepts an instance."""
    return bool(jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(instance))


def model_errors(key: Key, instance: Any) -> str:
    """Why the pydantic model refuses an instance; empty when valid."""
    try:
        MODELS[key].model_validate(instance)
    except ValidationError as exc:
        return str(exc)
    return ""


def all_schema_paths() -> list[Path]:
    """Every JSON file under schemas/, envelope included."""
    return sorted(SCHEMA_ROOT.rglob("*.json"))


def examples() -> Iterator[tuple[Key, int]]:
    """(key, index) of every example of every data schema."""
    for key, path in data_schema_paths().items():
        for index in range(len(load(path).get("examples", []))):
            yield key, index


def walk_properties(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, name, subschema) of every property declared anywhere in a schema."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield path, name, sub
        for key, value in node.items():
            if key != "examples":
                yield from walk_properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk_properties(value, f"{path}/{index}")


def open_objects(node: Any, path: str = "") -> Iterator[str]:
    """Path of every object schema with fixed ``properties`` that is not closed."""
    if isinstance(node, dict):
        if "properties" in node and node.get("additionalProperties", True) is not False:
            yield path or "/"
        for key, value in node.items():
            if key != "examples":
                yield from open_objects(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from open_objects(value, f"{path}/{index}")


def _id(value: Any) -> str:
    if isinstance(value, Path):
        return str(value.relative_to(SCHEMA_ROOT))
    if isinstance(value, tuple) and len(value) == 3:
        return f"{value[0]}/{value[1]}/v{value[2]}"
    return str(value)


# --- the files themselves ---------------------------------------------------------------


@pytest.mark.parametrize("path", all_schema_paths(), ids=_id)
def test_schema_is_valid_draft_2020_12(path: Path) -> None:
    schema = load(path)
    assert schema.get("$schema") == DRAFT_2020_12
    Draft202012Validator.check_schema(schema)
    jsonschema_rs.validator_for(schema)  # the hot-path validator must compile it too


@pytest.mark.parametrize("key", sorted(data_schema_paths()), ids=_id)
def test_data_schema_conventions(key: Key) -> None:
    schema = schema_of(key)
    assert schema["$id"] == schema_id(*key)
    assert schema.get("title") and schema.get("description")
    assert schema["type"] == "object"
    # Closed content model, top level and every nested object with fixed properties: under
    # Confluent's rules only a closed model lets a BACKWARD topic add an optional field.
    # Free-form maps (labels, model_settings) list no properties and stay open.
    assert schema.get("additionalProperties") is False
    assert not list(open_objects(schema)), f"open object schemas: {list(open_objects(schema))}"
    assert set(schema["required"]) <= set(schema["properties"])
    assert schema.get("examples"), "at least one example instance"
    undocumented = [f"{p}/{n}" for p, n, sub in walk_properties(schema) if "description" not in sub]
    assert not undocumented, f"properties without a description: {undocumented}"


def _is_secret(name: str, *, hashes_allowed: bool) -> bool:
    name = name.lower()
    if name in NOT_SECRETS:
        return False
    if name in PLAINTEXT_NAMES or name.endswith(("_password", "_secret")):
        return True
    return not hashes_allowed and (name in FORBIDDEN_NAMES or name.endswith("_hash"))


@pytest.mark.parametrize("path", all_schema_paths(), ids=_id)
def test_no_credentials_in_events(path: Path) -> None:
    topic, type_name = path.relative_to(SCHEMA_ROOT).parts[:2]
    hashes_allowed = topic in CREDENTIAL_HASH_TOPICS
    leaks = [
        f"{p}/{n}"
        for p, n, _ in walk_properties(load(path))
        if _is_secret(n, hashes_allowed=hashes_allowed)
        and not (p == "" and (topic, type_name, n) in PUBLISHED_HASHES)
    ]
    assert not leaks, f"{topic} must not carry secrets: {leaks}"


def test_the_secret_rule_still_catches_leaks() -> None:
    assert _is_secret("password_hash", hashes_allowed=False)
    assert _is_secret("refresh_token_hash", hashes_allowed=False)
    assert _is_secret("password", hashes_allowed=True)
    assert _is_secret("client_secret", hashes_allowed=True)
    assert not _is_secret("password_hash", hashes_allowed=True)
    assert not _is_secret("email_hash", hashes_allowed=False)


# --- examples ---------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "index"), list(examples()), ids=lambda v: _id(v))
def test_example_is_valid(key: Key, index: int) -> None:
    schema = schema_of(key)
    example = schema["examples"][index]
    assert errors(schema, example) == []
    assert rs_valid(schema, example)
    model = model_for(*key).model_validate(example)
    # What a producer emits from the model is the example again, and valid.
    assert model.to_data() == example
    assert errors(schema, model.to_data()) == []


def test_envelope_example_is_valid_and_its_data_too() -> None:
    envelope = load(ENVELOPE)
    assert envelope["$id"] == "urn:dafnck:schema:envelope/v1"
    assert envelope["examples"]
    for message in envelope["examples"]:
        assert errors(envelope, message) == []
        assert rs_valid(envelope, message)
        key = next(k for k in data_schema_paths() if schema_id(*k) == message["dataschema"])
        assert message["type"] == key[1]
        assert errors(schema_of(key), message["data"]) == []
        model_for(*key).model_validate(message["data"])
        assert message["subject"] == message["data"][AGGREGATE_ID[key[0]]]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"specversion": "0.3"}, "CloudEvents 1.0 only"),
        ({"datacontenttype": "text/plain"}, "data is JSON"),
        ({"dataschema": "https://example.com/agent.json"}, "dataschema is a schema $id"),
        ({"time": "yesterday"}, "time is RFC 3339"),
        ({"id": ""}, "id is not empty"),
        ({"subject": ""}, "subject is the Kafka key, not empty"),
        ({"data": "AgentCreated"}, "data is an object"),
        ({"correlationid": 42}, "extensions are strings"),
        ({"Trace_Parent": "00-abc"}, "attribute names are lowercase alphanumerics"),
        ({"subject": None}, "subject is required"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_envelope_rejects_bad_messages(change: dict[str, Any], why: str) -> None:
    envelope = load(ENVELOPE)
    message = {**envelope["examples"][0], **change}
    message = {k: v for k, v in message.items() if v is not None}
    assert errors(envelope, message), why
    assert not rs_valid(envelope, message), why


# --- bad data is refused by schema and model alike --------------------------------------


def _required_fields() -> Iterator[tuple[Key, str]]:
    for key in sorted(data_schema_paths()):
        for name in schema_of(key)["required"]:
            yield key, name


@pytest.mark.parametrize(("key", "field"), list(_required_fields()), ids=_id)
def test_missing_required_field_is_refused(key: Key, field: str) -> None:
    instance = dict(schema_of(key)["examples"][0])
    del instance[field]
    assert errors(schema_of(key), instance)
    assert not rs_valid(schema_of(key), instance)
    assert model_errors(key, instance)


AC = ("agent-events", "AgentCreated", 1)
AU = ("agent-events", "AgentUpdated", 1)
AD = ("agent-events", "AgentDeleted", 1)
AS = ("agent-events", "AgentStatusChanged", 1)
UC = ("user-events", "UserCreated", 1)
UU = ("user-events", "UserUpdated", 1)
UD = ("user-events", "UserDeactivated", 1)
RA = ("user-events", "RoleAssigned", 1)
RR = ("user-events", "RoleRevoked", 1)
LO = ("user-events", "LoggedOut", 1)
LF = ("user-events", "LoginFailed", 1)
CU = ("user-commands", "CreateUser", 1)
SS = ("user-commands", "StartSession", 1)
RS = ("user-commands", "RefreshSession", 1)
UR = ("user-registrations", "UserRegistration", 1)
CC = ("user-credentials", "CredentialsChanged", 1)

# (type, fields to overwrite in its first example, what is wrong)
BAD: list[tuple[Key, dict[str, Any], str]] = [
    (AC, {"capacity": "4"}, "wrong type: integer as string"),
    (AC, {"capacity": True}, "wrong type: boolean for integer"),
    (AC, {"capacity": 2.5}, "wrong type: fraction for integer"),
    (AC, {"capacity": 0}, "below minimum"),
    (AC, {"capacity": 1001}, "above maximum"),
    (AC, {"name": 42}, "wrong type: number for string"),
    (AC, {"name": ""}, "too short"),
    (AC, {"name": "   "}, "blank"),
    (AC, {"name": "x" * 101}, "too long"),
    (AC, {"capabilities": "web-search"}, "wrong type: string for array"),
    (AC, {"capabilities": ["Web Search"]}, "capability not a lowercase token"),
    (AC, {"capabilities": ["web-search", "web-search"]}, "capabilities not unique"),
    (AC, {"labels": {"team": 1}}, "label value not a string"),
    (AC, {"labels": ["team"]}, "wrong type: array for object"),
    (AC, {"model_settings": "gpt-4o"}, "wrong type: string for object"),
    (AC, {"status": "online"}, "enum: a new agent is registered"),
    (AC, {"agent_id": "not-a-uuid"}, "not a uuid"),
    (AC, {"agent_id": "3f1c2a9e7b4d4c1e9a6f2d8b5e0c7a11"}, "uuid without hyphens"),
    (AC, {"created_by": None}, "null for a required id"),
    (AU, {"changes": {}}, "empty changes"),
    (AU, {"changes": {"name": None}}, "null in changes"),
    (AU, {"changes": {"capacity": 0}}, "bad value in changes"),
    (AU, {"changes": "capacity=8"}, "wrong type: string for object"),
    (AU, {"changes": {"capacity": 8, "status": "online"}}, "unknown field in changes"),
    (AD, {"reason": ""}, "empty reason"),
    (AD, {"reason": 5}, "wrong type: number for string"),
    (AS, {"to": "sleeping"}, "enum: unknown status"),
    (AS, {"from": "ONLINE"}, "enum: statuses are lowercase"),
    (AS, {"from": None}, "null status"),
    (UC, {"email": "not-an-email"}, "not an email"),
    (UC, {"email": "a b@example.com"}, "email with a space"),
    (UC, {"roles": "admin"}, "wrong type: string for array"),
    (UC, {"roles": ["Admin"]}, "enum/pattern: roles are lowercase"),
    (UC, {"roles": ["root admin"]}, "custom role not a token"),
    (UC, {"roles": ["member", "member"]}, "roles not unique"),
    (UC, {"display_name": None}, "null display name"),
    (UC, {"created_by": "nobody"}, "created_by not a uuid"),
    (UU, {"changes": {}}, "empty changes"),
    (UU, {"changes": {"email": "nope"}}, "bad email in changes"),
    (UU, {"changes": {"display_name": "Ada", "nickname": None}}, "unknown null in changes"),
    (UD, {"reason": None}, "reason is required, not null"),
    (UD, {"reason": "  "}, "blank reason"),
    (RA, {"role": "Root"}, "enum/pattern: roles are lowercase"),
    (RA, {"role": 7}, "wrong type: number for string"),
    (RR, {"role": ""}, "empty role"),
    (CU, {"password_hash": "Velvet-Harbor-42"}, "plaintext instead of an argon2id hash"),
    (CU, {"password_hash": "$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA"}, "argon2i, not argon2id"),
    (CU, {"user_id": "ada"}, "user_id not a uuid"),
    (CU, {"created_by": "admin"}, "created_by not a uuid"),
    (SS, {"refresh_token_hash": "dkr.token"}, "refresh token instead of its hash"),
    (SS, {"refresh_token_hash": "9F86D081" * 8}, "hash in upper-case hex"),
    (SS, {"refresh_token_hash": "9f86d081" * 7}, "hash too short"),
    (SS, {"credentials_version": 0}, "credentials version below 1"),
    (SS, {"credentials_version": "1"}, "credentials version as string"),
    (SS, {"client_ip": "localhost"}, "client_ip not an IP address"),
    (SS, {"client_ip": 3405803783}, "client_ip as a number"),
    (SS, {"user_agent": "x" * 1025}, "user agent too long"),
    (SS, {"family_id": "family-1"}, "family_id not a uuid"),
    (RS, {"new_token_hash": None}, "null new token hash"),
    (LF, {"reason": "wrong_password"}, "enum: unknown failure reason"),
    (LF, {"email_hash": "ada@example.com"}, "email instead of its hash"),
    (LO, {"everywhere": "true"}, "wrong type: string for boolean"),
    (LO, {"everywhere": 1}, "wrong type: number for boolean"),
    (UR, {"command_type": "UpdateUser"}, "registration of another command type"),
    (UR, {"command_id": ""}, "empty command id"),
    (CC, {"status": "locked"}, "enum: unknown credentials status"),
    (CC, {"email_normalized": "ada"}, "not an email"),
]


@pytest.mark.parametrize(("key", "change", "why"), BAD, ids=[f"{k[1]}-{w}" for k, _, w in BAD])
def test_bad_instance_is_refused_by_schema_and_model(
    key: Key, change: dict[str, Any], why: str
) -> None:
    schema = schema_of(key)
    instance = {**schema["examples"][0], **change}
    assert errors(schema, instance), f"schema accepted: {why}"
    assert not rs_valid(schema, instance), f"jsonschema-rs accepted: {why}"
    assert model_errors(key, instance), f"model accepted: {why}"


# --- closed content models: unknown fields are refused ----------------------------------


def _unknown_field_cases() -> Iterator[tuple[Key, str, dict[str, Any]]]:
    unknown = {"added_later": {"any": ["thing", 1]}}
    for key in sorted(data_schema_paths()):
        example = schema_of(key)["examples"][0]
        yield key, "top-level", {**example, **unknown}
        if isinstance(example.get("changes"), dict):
            yield key, "in-changes", {**example, "changes": {**example["changes"], **unknown}}


@pytest.mark.parametrize(
    ("key", "where", "instance"),
    list(_unknown_field_cases()),
    ids=[f"{_id(k)}-{w}" for k, w, _ in _unknown_field_cases()],
)
def test_unknown_field_is_refused_by_schema_and_model(
    key: Key, where: str, instance: dict[str, Any]
) -> None:
    # Data schemas are closed (additionalProperties: false) and the models forbid extras: a
    # field arrives in a new version only, and only readers on that version accept it.
    schema = schema_of(key)
    found = errors(schema, instance)
    assert found, f"schema accepted an unknown field ({where})"
    assert any("added_later" in e for e in found), found
    assert not rs_valid(schema, instance), f"jsonschema-rs accepted an unknown field ({where})"
    why = model_errors(key, instance)
    assert "extra_forbidden" in why or "Extra inputs are not permitted" in why, why


# --- what must stay accepted ------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "change"),
    [
        (AD, {"reason": None}),
        (AS, {"reason": None}),
        (UC, {"created_by": None}),
        (AC, {"capacity": 4.0}),
        (UC, {"user_id": "C4E8A1F2-3B5D-4E6F-8A9B-0C1D2E3F4A5B"}),
        (AC, {"labels": {"any-key": "v"}, "model_settings": {"nested": {"x": [1, None]}}}),
        (AU, {"changes": {"model_settings": {"anything": True}}}),
        (SS, {"client_ip": "2001:db8::1", "user_agent": None}),
        (SS, {"client_ip": None, "user_agent": ""}),
        (LF, {"user_id": None}),
        (CU, {"roles": [], "created_by": None}),
    ],
    ids=[
        "null-reason",
        "null-status-reason",
        "self-signup",
        "integral-float",
        "upper-uuid",
        "free-form-maps-stay-open",
        "free-form-map-in-changes",
        "ipv6-and-no-user-agent",
        "unknown-ip",
        "failure-of-an-unknown-email",
        "self-signup-without-roles",
    ],
)
def test_edge_values_are_accepted_by_schema_and_model(key: Key, change: dict[str, Any]) -> None:
    schema = schema_of(key)
    instance = {**schema["examples"][0], **change}
    assert errors(schema, instance) == []
    assert rs_valid(schema, instance)
    assert model_errors(key, instance) == ""


def test_optional_fields_may_be_omitted() -> None:
    for key, field in [(AD, "reason"), (AS, "reason"), (UC, "created_by")]:
        instance = {k: v for k, v in schema_of(key)["examples"][0].items() if k != field}
        assert errors(schema_of(key), instance) == []
        model = model_for(*key).model_validate(instance)
        assert field not in model.to_data()


def test_models_round_trip_through_the_wire_name_of_from() -> None:
    model = model_for(*AS).model_validate(schema_of(AS)["examples"][0])
    assert isinstance(model, EventData)
    assert model.to_data()["from"] == "registered"
    assert "from_" not in model.to_data()
