"""Just enough of the Kafka wire protocol to ask a broker, synchronously, who is in its cluster."""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

API_VERSIONS = 18
METADATA = 3
# Metadata versions whose request and response layouts are non-flexible (pre-KIP-482) and
# understood below; brokers from 0.10 through 4.x support some of them.
_METADATA_VERSIONS = range(1, 9)
_CLIENT_ID = b"dafnck-stack"


@dataclass(frozen=True)
class Broker:
    """One broker as the cluster metadata describes it."""

    node_id: int
    host: str
    port: int


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        raw = self.data[self.pos : self.pos + length]
        self.pos += length
        return raw.decode("utf-8", "replace")


def encode_request(api_key: int, version: int, correlation_id: int, body: bytes = b"") -> bytes:
    """A size-prefixed request with a v1 header (api key, version, correlation id, client id)."""
    header = struct.pack(">hhih", api_key, version, correlation_id, len(_CLIENT_ID)) + _CLIENT_ID
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def metadata_body(version: int) -> bytes:
    """Metadata request body asking for no topics (brokers only)."""
    body = struct.pack(">i", 0)
    if version >= 4:
        body += b"\x00"  # allow_auto_topic_creation = false
    if version >= 8:
        body += b"\x00\x00"  # no authorized-operations lists
    return body


def parse_api_versions(payload: bytes) -> dict[int, tuple[int, int]]:
    """ApiVersions v0 response (after correlation id) -> api key: (min, max) version."""
    reader = _Reader(payload)
    error = reader.take(">h")
    if error != 0:
        raise ConnectionError(f"ApiVersions failed with Kafka error code {error}")
    count = reader.take(">i")
    ranges: dict[int, tuple[int, int]] = {}
    for _ in range(max(count, 0)):
        key = reader.take(">h")
        ranges[key] = (reader.take(">h"), reader.take(">h"))
    return ranges


def parse_metadata_brokers(payload: bytes, version: int) -> list[Broker]:
    """The brokers array of a Metadata v1-v8 response (after correlation id)."""
    reader = _Reader(payload)
    if version >= 3:
        reader.take(">i")  # throttle_time_ms
    brokers = []
    for _ in range(max(reader.take(">i"), 0)):
        node_id = reader.take(">i")
        host = reader.string() or ""
        port = reader.take(">i")
        reader.string()  # rack
        brokers.append(Broker(node_id, host, port))
    return brokers


def pick_metadata_version(ranges: dict[int, tuple[int, int]]) -> int | None:
    """Highest Metadata version both we and the broker speak, or None."""
    low, high = ranges.get(METADATA, (0, -1))
    usable = [v for v in _METADATA_VERSIONS if low <= v <= high]
    return max(usable) if usable else None


def split_bootstrap(bootstrap: str) -> list[tuple[str, int]]:
    """Parse "host:port[,host:port...]" (optionally with a PLAINTEXT:// prefix)."""
    result = []
    for item in bootstrap.split(","):
        item = item.strip()
        if not item:
            continue
        if "://" in item:
            item = item.split("://", 1)[1]
        host, _, port = item.rpartition(":")
        result.append((host.strip("[]") or "127.0.0.1", int(port)))
    return result


def describe_brokers(bootstrap: str, timeout: float = 3.0) -> list[Broker]:
    """Ask the first reachable bootstrap server for the cluster's brokers."""
    errors = []
    for host, port in split_bootstrap(bootstrap):
        try:
            return _ask(host, port, timeout)
        except (OSError, struct.error, ConnectionError) as exc:
            errors.append(f"{host}:{port}: {exc}")
    raise ConnectionError("; ".join(errors) or f"no address in {bootstrap!r}")


def _ask(host: str, port: int, timeout: float) -> list[Broker]:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        ranges = parse_api_versions(_call(sock, encode_request(API_VERSIONS, 0, 1), 1))
        version = pick_metadata_version(ranges)
        if version is None:
            # It answered ApiVersions, so it is a live broker; we just cannot list its peers.
            return [Broker(-1, host, port)]
        request = encode_request(METADATA, version, 2, metadata_body(version))
        return parse_metadata_brokers(_call(sock, request, 2), version)


def _call(sock: socket.socket, request: bytes, correlation_id: int) -> bytes:
    sock.sendall(request)
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    response = _recv_exact(sock, size)
    (got,) = struct.unpack_from(">i", response)
    if got != correlation_id:
        raise ConnectionError(f"unexpected correlation id {got} (wanted {correlation_id})")
    return response[4:]


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        chunk = sock.recv(count - len(chunks))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        chunks.extend(chunk)
    return bytes(chunks)
