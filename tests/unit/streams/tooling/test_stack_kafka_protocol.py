"""The minimal Kafka protocol client used for readiness checks."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from streams.tooling.stack.kafka_protocol import (
    Broker,
    describe_brokers,
    encode_request,
    metadata_body,
    parse_metadata_brokers,
    pick_metadata_version,
    split_bootstrap,
)


def _string(value: str) -> bytes:
    return struct.pack(">h", len(value)) + value.encode()


def _metadata_v8(brokers: list[tuple[int, str, int]]) -> bytes:
    body = struct.pack(">i", 0) + struct.pack(">i", len(brokers))
    for node_id, host, port in brokers:
        body += struct.pack(">i", node_id) + _string(host) + struct.pack(">i", port)
        body += struct.pack(">h", -1)  # rack
    return body + _string("cluster") + struct.pack(">i", 1) + struct.pack(">i", 0)


def test_request_header_is_size_prefixed() -> None:
    request = encode_request(18, 0, 7)
    (size,) = struct.unpack_from(">i", request)
    assert size == len(request) - 4
    assert struct.unpack_from(">hhi", request, 4) == (18, 0, 7)


def test_metadata_body_grows_with_version() -> None:
    assert len(metadata_body(1)) == 4
    assert len(metadata_body(4)) == 5
    assert len(metadata_body(8)) == 7


def test_brokers_are_parsed_from_a_v8_response() -> None:
    brokers = parse_metadata_brokers(_metadata_v8([(1, "127.0.0.1", 24001)]), 8)
    assert brokers == [Broker(1, "127.0.0.1", 24001)]


def test_version_is_the_highest_both_sides_speak() -> None:
    assert pick_metadata_version({3: (0, 12)}) == 8
    assert pick_metadata_version({3: (4, 6)}) == 6
    assert pick_metadata_version({3: (9, 13)}) is None


def test_bootstrap_lists_are_split() -> None:
    assert split_bootstrap("PLAINTEXT://a:1, b:2,[::1]:3") == [("a", 1), ("b", 2), ("::1", 3)]


@pytest.fixture
def fake_broker() -> Iterator[int]:
    """A socket server answering ApiVersions and Metadata v8 like a one-node cluster."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for _ in range(2):
                size = struct.unpack(">i", conn.recv(4))[0]
                request = conn.recv(size)
                api_key, _version, correlation = struct.unpack_from(">hhi", request)
                if api_key == 18:
                    body = struct.pack(">hi", 0, 1) + struct.pack(">hhh", 3, 0, 12)
                else:
                    body = _metadata_v8([(1, "127.0.0.1", 24001)])
                payload = struct.pack(">i", correlation) + body
                conn.sendall(struct.pack(">i", len(payload)) + payload)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    thread.join(timeout=5)
    server.close()


def test_describe_brokers_talks_to_a_broker(fake_broker: int) -> None:
    assert describe_brokers(f"127.0.0.1:{fake_broker}") == [Broker(1, "127.0.0.1", 24001)]


def test_describe_brokers_reports_unreachable_servers() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        with pytest.raises(ConnectionError, match=str(port)):
            describe_brokers(f"127.0.0.1:{port}", timeout=1.0)
