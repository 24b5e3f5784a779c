"""Activity tracking rules: pure functions, no I/O."""

from __future__ import annotations

from typing import Any, TypedDict


class Activity(TypedDict):
    """What is known about one aggregate from the events seen about it."""

    count: int
    first_seen: str
    last_seen: str
    last_type: str
    types: dict[str, int]


def track(previous: Activity | None, event_type: str, event_time: str) -> Activity:
    """The aggregate's activity after one more event of ``event_type`` at ``event_time``."""
    if previous is None:
        return Activity(
            count=1,
            first_seen=event_time,
            last_seen=event_time,
            last_type=event_type,
            types={event_type: 1},
        )
    types = dict(previous["types"])
    types[event_type] = types.get(event_type, 0) + 1
    return Activity(
        count=previous["count"] + 1,
        first_seen=min(previous["first_seen"], event_time),
        last_seen=max(previous["last_seen"], event_time),
        last_type=event_type if event_time >= previous["last_seen"] else previous["last_type"],
        types=types,
    )


def as_activity(raw: Any) -> Activity | None:
    """A stored table value back as an Activity (None when absent)."""
    if raw is None:
        return None
    return Activity(
        count=int(raw["count"]),
        first_seen=str(raw["first_seen"]),
        last_seen=str(raw["last_seen"]),
        last_type=str(raw["last_type"]),
        types={str(k): int(v) for k, v in raw["types"].items()},
    )
