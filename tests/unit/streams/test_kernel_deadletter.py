"""Dead-letter records: original bytes and headers, plus ``dlq.*`` headers saying why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import topics
from streams import deadletter
from streams.deadletter import Failure, dead_letter, dead_letter_headers
from streams.records import Headers, Record, header


def _record(headers: Headers, value: bytes | None = b'{"broken": ') -> Record:
    return Record("agent-events", 1, 99, b"agent-1", value, headers)


def _names(headers: Headers) -> list[str]:
    return [name for name, _ in headers]


def test_original_headers_are_kept_in_order_before_the_dlq_headers() -> None:
    original = [("traceparent", b"00-abc"), ("tenant", b"acme"), ("tenant", b"second")]
    headers = dead_letter_headers(
        _record(original), Failure(deadletter.NOT_JSON, "unexpected end"), "agents-svc"
    )
    assert headers[:3] == original
    assert all(name.startswith("dlq.") for name in _names(headers)[3:])
    assert header(headers, deadletter.REASON) == "not-json"
    assert header(headers, deadletter.DETAIL) == "unexpected end"
    assert header(headers, deadletter.ORIGINAL_TOPIC) == "agent-events"
    assert header(headers, deadletter.ORIGINAL_PARTITION) == "1"
    assert header(headers, deadletter.ORIGINAL_OFFSET) == "99"
    assert header(headers, deadletter.SERVICE) == "agents-svc"
    assert datetime.fromisoformat(header(headers, deadletter.FAILED_AT) or "")


def test_path_and_attempts_appear_only_when_known() -> None:
    bare = dead_letter_headers(_record([]), Failure(deadletter.NOT_JSON, "x"), "svc")
    assert deadletter.PATH not in _names(bare)
    assert deadletter.ATTEMPTS not in _names(bare)
    full = dead_letter_headers(
        _record([]), Failure(deadletter.HANDLER_ERROR, "x", "$.data.name", attempts=3), "svc"
    )
    assert header(full, deadletter.PATH) == "$.data.name"
    assert header(full, deadletter.ATTEMPTS) == "3"


def test_stale_dlq_headers_of_a_re_dead_lettered_record_are_replaced() -> None:
    replayed = [
        ("traceparent", b"00-abc"),
        (deadletter.REASON, b"handler-error"),
        (deadletter.DETAIL, b"old failure"),
        (deadletter.PATH, b"$.data.old"),
        (deadletter.ATTEMPTS, b"3"),
        (deadletter.ORIGINAL_OFFSET, b"1"),
    ]
    headers = dead_letter_headers(
        _record(replayed), Failure(deadletter.SCHEMA_INVALID, "new failure"), "svc"
    )
    names = _names(headers)
    assert names.count(deadletter.REASON) == 1
    assert names.count(deadletter.DETAIL) == 1
    assert names.count(deadletter.ORIGINAL_OFFSET) == 1
    assert header(headers, deadletter.REASON) == "schema-invalid"
    assert header(headers, deadletter.DETAIL) == "new failure"
    assert header(headers, deadletter.ORIGINAL_OFFSET) == "99"
    assert deadletter.PATH not in names and deadletter.ATTEMPTS not in names
    assert header(headers, "traceparent") == "00-abc"


def test_a_long_detail_is_truncated_to_1000_characters() -> None:
    headers = dead_letter_headers(
        _record([]), Failure(deadletter.HANDLER_ERROR, "é" * 400 + "x" * 5000), "svc"
    )
    detail = header(headers, deadletter.DETAIL)
    assert detail == "é" * 400 + "x" * 600


def test_a_short_detail_is_untouched() -> None:
    headers = dead_letter_headers(_record([]), Failure(deadletter.NOT_JSON, "x" * 1000), "svc")
    assert header(headers, deadletter.DETAIL) == "x" * 1000


@dataclass
class FakeSender:
    sent: list[tuple[str, bytes | None, bytes, Headers]] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append((topic, key, value, headers))


async def test_the_record_goes_byte_for_byte_to_the_dead_letter_twin() -> None:
    sender = FakeSender()
    record = _record([("tenant", b"acme")], value=b"\x00\x01raw")
    await dead_letter(sender, topics.AGENT_EVENTS, record, Failure("not-json", "bad"), "svc")
    [(topic, key, value, headers)] = sender.sent
    assert (topic, key, value) == ("agent-events.dlq", b"agent-1", b"\x00\x01raw")
    assert header(headers, "tenant") == "acme"
    assert header(headers, deadletter.REASON) == "not-json"


async def test_a_tombstone_is_dead_lettered_with_an_empty_value() -> None:
    sender = FakeSender()
    await dead_letter(
        sender, topics.USER_EVENTS, _record([], value=None), Failure("not-envelope", "t"), "svc"
    )
    [(topic, key, value, _headers)] = sender.sent
    assert (topic, key, value) == ("user-events.dlq", b"agent-1", b"")
