"""The CloudEvents envelope codec: what survives a round trip, and why bad bytes are refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import pytest

from streams.envelope import Envelope, EnvelopeError, decode, encode, new_envelope

AGENT_ID = "3f1c2a9e-7b4d-4c1e-9a6f-2d8b5e0c7a11"
SCHEMA = "urn:dafnck:schema:agent-events/AgentStatusChanged/v1"


def _full_envelope() -> Envelope:
    return Envelope(
        id="6d7a0b1e-0c1d-4e2f-8a9b-0c1d2e3f4a5b",
        source="/dafnck/agents-svc",
        type="AgentStatusChanged",
        subject=AGENT_ID,
        time="2024-05-01T12:34:56.789000Z",
        dataschema=SCHEMA,
        data={"agent_id": AGENT_ID, "from": "registered", "to": "online", "nested": {"n": [1, 2]}},
        correlationid="req-42",
        causationid="cause-1",
        actor="user-7",
        extensions={"tenant": "acme", "priority": 3, "routing": {"zone": "eu", "hops": [1, 2]}},
    )


def _valid_object() -> dict[str, Any]:
    return orjson.loads(encode(_full_envelope()))


def test_round_trip_keeps_every_attribute_and_extension() -> None:
    original = _full_envelope()
    assert decode(encode(original)) == original


def test_encoded_bytes_are_a_structured_mode_cloudevent() -> None:
    obj = orjson.loads(encode(_full_envelope()))
    assert obj["specversion"] == "1.0"
    assert obj["datacontenttype"] == "application/json"
    # Extensions travel as top-level attributes, as CloudEvents structured mode requires.
    assert obj["tenant"] == "acme"
    assert obj["routing"] == {"zone": "eu", "hops": [1, 2]}
    assert "extensions" not in obj


def test_absent_optional_attributes_stay_absent() -> None:
    envelope = _full_envelope()
    envelope.correlationid = envelope.causationid = envelope.actor = None
    envelope.extensions = {}
    obj = orjson.loads(encode(envelope))
    assert not {"correlationid", "causationid", "actor"} & set(obj)
    back = decode(encode(envelope))
    assert (back.correlationid, back.causationid, back.actor, back.extensions) == (
        None,
        None,
        None,
        {},
    )


def test_a_new_envelope_starts_its_own_correlation_and_carries_a_utc_time() -> None:
    envelope = new_envelope(
        source="/t", type="AgentDeleted", subject=AGENT_ID, dataschema=SCHEMA, data={}
    )
    other = new_envelope(
        source="/t", type="AgentDeleted", subject=AGENT_ID, dataschema=SCHEMA, data={}
    )
    assert envelope.id != other.id
    assert envelope.correlationid == envelope.id
    assert envelope.time.endswith("Z")
    assert datetime.fromisoformat(envelope.time).utcoffset().total_seconds() == 0


def test_a_new_envelope_keeps_a_given_correlation_id() -> None:
    envelope = new_envelope(
        source="/t",
        type="AgentDeleted",
        subject=AGENT_ID,
        dataschema=SCHEMA,
        data={},
        id="fixed-id",
        correlationid="req-1",
    )
    assert (envelope.id, envelope.correlationid) == ("fixed-id", "req-1")


@pytest.mark.parametrize(
    "raw",
    [b"\x00\x01 definitely not json", b"{", b"", b"{'single': 'quotes'}"],
    ids=["binary", "truncated", "empty", "python-repr"],
)
def test_bytes_that_are_not_json_are_refused_as_not_json(raw: bytes) -> None:
    with pytest.raises(EnvelopeError) as info:
        decode(raw)
    assert info.value.reason == "not-json"
    assert str(info.value).startswith("not-json: ")


def _without(*names: str) -> bytes:
    obj = _valid_object()
    for name in names:
        del obj[name]
    return orjson.dumps(obj)


def _with(**changes: Any) -> bytes:
    return orjson.dumps({**_valid_object(), **changes})


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (None, "tombstone"),
        (b"[1, 2, 3]", "expected a JSON object, got list"),
        (b'"just a string"', "got str"),
        (_without("subject", "dataschema"), "missing attribute(s): subject, dataschema"),
        (_without("data"), "missing attribute(s): data"),
        (_with(specversion="0.3"), "specversion must be '1.0', got '0.3'"),
        (_with(specversion=1.0), "specversion must be '1.0', got 1.0"),
        (_with(datacontenttype="text/xml"), "datacontenttype must be 'application/json'"),
        (_with(data=[1, 2]), "data must be a JSON object"),
        (_with(data="text"), "data must be a JSON object"),
        (_with(data=None), "data must be a JSON object"),
        (_with(id=""), "id must be a non-empty string"),
        (_with(subject=42), "subject must be a non-empty string"),
        (_with(correlationid=7), "correlationid must be a string"),
        (_with(actor={"id": 1}), "actor must be a string"),
    ],
    ids=[
        "tombstone",
        "array",
        "string",
        "missing-two",
        "missing-data",
        "old-specversion",
        "numeric-specversion",
        "xml-content",
        "data-array",
        "data-string",
        "data-null",
        "empty-id",
        "numeric-subject",
        "numeric-correlationid",
        "object-actor",
    ],
)
def test_json_that_is_not_an_envelope_is_refused_with_the_reason(
    raw: bytes | None, detail: str
) -> None:
    with pytest.raises(EnvelopeError) as info:
        decode(raw)
    assert info.value.reason == "not-envelope"
    assert detail in info.value.detail
    assert detail in str(info.value)
