"""The CloudEvents 1.0 envelope (structured JSON mode) and its orjson codec."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
REQUIRED = (
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "data",
)


class EnvelopeError(ValueError):
    """The bytes are not a usable envelope; ``reason`` is ``not-json`` or ``not-envelope``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Envelope:
    """One message: CloudEvents attributes, the platform's extensions, and its data."""

    id: str
    source: str
    type: str
    subject: str
    time: str
    dataschema: str
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None
    actor: str | None = None
    extensions: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The structured-mode JSON object."""
        out: dict[str, Any] = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": self.time,
            "datacontenttype": CONTENT_TYPE,
            "dataschema": self.dataschema,
            "data": self.data,
        }
        if self.correlationid is not None:
            out["correlationid"] = self.correlationid
        if self.causationid is not None:
            out["causationid"] = self.causationid
        if self.actor is not None:
            out["actor"] = self.actor
        out.update(self.extensions)
        return out


SOURCE_PREFIX = "/dafnck/"


def service_source(service: str) -> str:
    """The CloudEvents ``source`` a platform service stamps on what it produces."""
    return SOURCE_PREFIX + service


def is_from_service(source: str, service: str) -> bool:
    """True when ``source`` names ``service`` (or one of its instances, ``/dafnck/svc/<id>``)."""
    own = service_source(service)
    return source == own or source.startswith(own + "/")


_second_cache: tuple[int, str] = (-1, "")


def now_rfc3339() -> str:
    """The current UTC time as an RFC 3339 string with a ``Z`` suffix (microseconds)."""
    global _second_cache
    now = time.time()
    second = int(now)
    # Formatting a datetime costs more than the rest of building an envelope; the
    # date-and-seconds part only changes once a second.
    if _second_cache[0] != second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _second_cache = (second, prefix)
    return f"{_second_cache[1]}.{int((now - second) * 1_000_000):06d}Z"


def new_envelope(
    *,
    source: str,
    type: str,
    subject: str,
    dataschema: str,
    data: dict[str, Any],
    id: str | None = None,
    correlationid: str | None = None,
    causationid: str | None = None,
    actor: str | None = None,
) -> Envelope:
    """A fresh envelope; a new id and the current time unless given."""
    event_id = id or str(uuid.uuid4())
    return Envelope(
        id=event_id,
        source=source,
        type=type,
        subject=subject,
        time=now_rfc3339(),
        dataschema=dataschema,
        data=data,
        # A message that starts a flow is its own correlation root.
        correlationid=correlationid or event_id,
        causationid=causationid,
        actor=actor,
    )


def encode(envelope: Envelope) -> bytes:
    """Serialize an envelope to the bytes of a Kafka record value."""
    return orjson.dumps(envelope.to_dict())


def decode(raw: bytes | None) -> Envelope:
    """Parse record bytes into an envelope, or raise EnvelopeError saying why not."""
    if raw is None:
        raise EnvelopeError("not-envelope", "record has no value (tombstone)")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise EnvelopeError("not-json", str(exc)) from None
    if not isinstance(obj, dict):
        raise EnvelopeError("not-envelope", f"expected a JSON object, got {type(obj).__name__}")
    return from_dict(obj)


def from_dict(obj: dict[str, Any]) -> Envelope:
    """Check the envelope attributes of a parsed JSON object and build an Envelope."""
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise EnvelopeError("not-envelope", f"missing attribute(s): {', '.join(missing)}")
    if obj["specversion"] != SPECVERSION:
        got = obj["specversion"]
        raise EnvelopeError("not-envelope", f"specversion must be '1.0', got {got!r}")
    if obj["datacontenttype"] != CONTENT_TYPE:
        got = obj["datacontenttype"]
        detail = f"datacontenttype must be {CONTENT_TYPE!r}, got {got!r}"
        raise EnvelopeError("not-envelope", detail)
    for name in ("id", "source", "type", "subject", "time", "dataschema"):
        value = obj[name]
        if not isinstance(value, str) or not value:
            raise EnvelopeError("not-envelope", f"{name} must be a non-empty string")
    if not isinstance(obj["data"], dict):
        raise EnvelopeError("not-envelope", "data must be a JSON object")
    extensions = {k: v for k, v in obj.items() if k not in _KNOWN}
    for name in ("correlationid", "causationid", "actor"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str):
            raise EnvelopeError("not-envelope", f"{name} must be a string")
    return Envelope(
        id=obj["id"],
        source=obj["source"],
        type=obj["type"],
        subject=obj["subject"],
        time=obj["time"],
        dataschema=obj["dataschema"],
        data=obj["data"],
        correlationid=obj.get("correlationid"),
        causationid=obj.get("causationid"),
        actor=obj.get("actor"),
        extensions=extensions,
    )


_KNOWN = frozenset((*REQUIRED, "correlationid", "causationid", "actor"))
