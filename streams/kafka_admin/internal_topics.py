"""Creating a worker's own internal topics (table changelogs, leader topic) before it starts.

Faust declares these itself, but only after its producer has cached the cluster's metadata:
on a fresh broker that cache says 0 partitions, and every changelog write then fails with
``PartitionsMismatch`` until the metadata is refreshed minutes later. Creating them first,
with the partition counts the tables need, and waiting until the broker lists them that way
makes the first start behave like every later one.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from streams.kafka_admin.cluster import TOPIC_ALREADY_EXISTS, _error, admin_session
from streams.kafka_admin.model import TopicAdminError

VISIBLE_WITHIN_S = 20.0


@dataclass(frozen=True)
class InternalTopic:
    """A topic a worker owns outside the catalog."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)


async def _partition_counts(client: AIOKafkaAdminClient, names: list[str]) -> dict[str, int]:
    # All topics, not the named ones: naming a topic in a Metadata request may auto-create
    # it (with the broker's default partition count) where auto-creation is on.
    wanted = set(names)
    found: dict[str, int] = {}
    for entry in await client.describe_topics():
        if entry["topic"] in wanted and not entry["error_code"] and entry["partitions"]:
            found[entry["topic"]] = len(entry["partitions"])
    return found


async def ensure_internal_topics(
    bootstrap: str, wanted: list[InternalTopic], timeout: float = 45.0
) -> list[str]:
    """Create the missing ones and wait until each is listed with its partitions.

    Returns the names created. Raises ``TopicAdminError`` when an existing topic has another
    partition count (its table would be unusable) or the broker does not get there in time.
    """
    if not wanted:
        return []
    names = [t.name for t in wanted]
    by_name = {t.name: t for t in wanted}
    async with admin_session(bootstrap, timeout) as client:
        existing = await _partition_counts(client, names)
        missing = [by_name[n] for n in names if n not in existing]
        created: list[str] = []
        if missing:
            response = await client.create_topics(
                [NewTopic(t.name, t.partitions, 1, topic_configs=t.configs) for t in missing]
            )
            for entry in response.to_object()["topic_errors"]:
                code, name = entry["error_code"], entry["topic"]
                if code and code != TOPIC_ALREADY_EXISTS:
                    raise _error(code, entry.get("error_message"), f"creating {name}")
                if not code:
                    created.append(name)
        deadline = time.monotonic() + VISIBLE_WITHIN_S
        while True:
            counts = await _partition_counts(client, names)
            wrong = {n: c for n, c in counts.items() if c != by_name[n].partitions}
            if wrong:
                shown = ", ".join(
                    f"{n} has {c} partitions, its table needs {by_name[n].partitions}"
                    for n, c in sorted(wrong.items())
                )
                raise TopicAdminError(f"internal topics do not fit: {shown}")
            if len(counts) == len(names):
                return created
            if time.monotonic() > deadline:
                absent = sorted(set(names) - set(counts))
                raise TopicAdminError(
                    f"internal topics not visible after {VISIBLE_WITHIN_S:g} s: {absent}"
                )
            await asyncio.sleep(0.2)
