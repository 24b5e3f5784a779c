"""W3C ``traceparent`` parsing and propagation."""

from __future__ import annotations

import pytest

from streams.tracing import TraceContext, new_trace, parse_traceparent, trace_from_headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
VALID = f"00-{TRACE_ID}-{SPAN_ID}-01"


@pytest.mark.parametrize(
    "value", [VALID, VALID.encode(), f"  {VALID}\n"], ids=["str", "bytes", "padded"]
)
def test_a_valid_traceparent_is_parsed(value: str | bytes) -> None:
    trace = parse_traceparent(value)
    assert trace == TraceContext(TRACE_ID, SPAN_ID, "01")
    assert trace is not None and trace.header == VALID


def test_the_flags_are_kept() -> None:
    trace = parse_traceparent(f"00-{TRACE_ID}-{SPAN_ID}-00")
    assert trace is not None and trace.flags == "00"
    assert trace.child().flags == "00"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        f"00-{TRACE_ID}-{SPAN_ID}",
        f"01-{TRACE_ID}-{SPAN_ID}-01",
        f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",
        f"00-{TRACE_ID[:-1]}-{SPAN_ID}-01",
        f"00-{TRACE_ID}-{SPAN_ID}z-01",
        f"00-{TRACE_ID}-{SPAN_ID}-01-extra",
        f"00-{'0' * 32}-{SPAN_ID}-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
        b"\xff\xfe",
    ],
    ids=[
        "none",
        "empty",
        "garbage",
        "no-flags",
        "unknown-version",
        "uppercase",
        "short-trace-id",
        "bad-span-id",
        "trailing-part",
        "zero-trace-id",
        "zero-span-id",
        "binary",
    ],
)
def test_an_invalid_traceparent_is_ignored(value: str | bytes | None) -> None:
    assert parse_traceparent(value) is None


def test_a_child_keeps_the_trace_and_gets_a_new_span() -> None:
    parent = TraceContext(TRACE_ID, SPAN_ID)
    first, second = parent.child(), parent.child()
    assert first.trace_id == second.trace_id == TRACE_ID
    assert len({SPAN_ID, first.span_id, second.span_id}) == 3
    assert parse_traceparent(first.header) == first


def test_new_traces_are_valid_and_distinct() -> None:
    a, b = new_trace(), new_trace()
    assert parse_traceparent(a.header) == a
    assert a.trace_id != b.trace_id


def test_the_trace_is_found_among_other_headers() -> None:
    headers = [("correlationid", b"req-1"), ("traceparent", VALID.encode())]
    assert trace_from_headers(headers) == TraceContext(TRACE_ID, SPAN_ID)


@pytest.mark.parametrize(
    "headers",
    [None, [], [("correlationid", b"x")], [("traceparent", b"nonsense")]],
    ids=["none", "empty", "absent", "malformed"],
)
def test_no_usable_trace_in_headers_gives_none(headers: list[tuple[str, bytes]] | None) -> None:
    assert trace_from_headers(headers) is None
