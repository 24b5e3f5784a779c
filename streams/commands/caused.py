"""What a command caused, told on its reply: the ``dafnck-caused`` Kafka header.

A command handler's reply travels with the events the same handler emitted. The reply
record says how many of them there are, per topic and type, and which causationid they
carry (the handler's input: the command itself, or the later step that answers it), so the
edge can wait until a read model has applied exactly those events (read-your-writes by one
rule). A header, not a reply field: reply schemas stay as they are, and a reply without
it (an older worker, a rejection) simply caused nothing the edge knows of.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from streams.aggregates import StoredOutput
from streams.commands.replies import SUCCEEDED
from streams.records import Headers, header

CAUSED_HEADER = "dafnck-caused"

log = logging.getLogger("dafnck.commands")


@dataclass(frozen=True)
class Caused(Mapping[str, int]):
    """Events a command caused: topic -> count (a Mapping), with per-type counts and their id."""

    causationid: str | None = None
    by_type: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def __getitem__(self, topic: str) -> int:
        return sum(self.by_type[topic].values())

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_type)

    def __len__(self) -> int:
        return len(self.by_type)

    def count(self, applies: Mapping[str, Collection[str]]) -> int:
        """How many of these events a read model applying ``applies`` (topic -> types) sees."""
        return sum(
            n
            for topic, types in applies.items()
            for type_name, n in self.by_type.get(topic, {}).items()
            if type_name in types
        )


NOTHING = Caused()


def caused_headers(out: StoredOutput, outputs: Sequence[StoredOutput]) -> Headers:
    """The extra headers of ``out``: on a success reply, what its siblings ``outputs`` caused."""
    envelope = out.envelope
    if envelope.get("type") != SUCCEEDED:
        return []  # a rejection (or an event) causes nothing a caller waits on
    cause = envelope.get("causationid")
    by_type: dict[str, dict[str, int]] = {}
    for other in outputs:
        sibling = other.envelope
        if other is out or sibling.get("causationid") != cause:
            continue
        per_topic = by_type.setdefault(other.topic, {})
        per_topic[sibling["type"]] = per_topic.get(sibling["type"], 0) + 1
    return [(CAUSED_HEADER, encode_caused(Caused(cause, by_type)))]


def encode_caused(caused: Caused) -> bytes:
    """The header's value: ``{"causationid": ..., "events": {topic: {type: n}}}``."""
    return orjson.dumps(caused_to_json(caused))


def decode_caused(headers: Headers | Sequence[tuple[str, bytes]] | None) -> Caused:
    """What a reply record's headers say it caused; ``NOTHING`` when absent or unreadable."""
    raw = header(list(headers or []), CAUSED_HEADER)
    if raw is None:
        return NOTHING
    try:
        value: Any = orjson.loads(raw)
        cause = value["causationid"]
        events = value["events"]
        if not isinstance(cause, str) or not isinstance(events, dict):
            raise TypeError("causationid must be a string and events an object")
        by_type = {
            str(topic): {str(t): _count(n) for t, n in types.items()}
            for topic, types in events.items()
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as exc:
        # Not worth losing the reply over: the caller is answered, just without waiting.
        log.warning("unreadable %s header ignored", CAUSED_HEADER, extra={"error": repr(exc)})
        return NOTHING
    return Caused(cause, by_type)


def _count(n: Any) -> int:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"an event count is a non-negative integer, not {n!r}")
    return n


def caused_to_json(caused: Caused) -> dict[str, Any]:
    """``caused`` as a JSON object (how a command's status record keeps it)."""
    return {"causationid": caused.causationid, "events": caused.by_type}


def caused_from_json(value: Any) -> Caused:
    """A ``Caused`` read back from ``caused_to_json``'s object; ``NOTHING`` when absent."""
    if value is None:
        return NOTHING
    return decode_caused([(CAUSED_HEADER, orjson.dumps(value))])
