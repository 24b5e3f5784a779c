"""Which commands a read model has applied: ``<schema>.applied_commands`` and a NOTIFY.

A projector, in the very transaction that applies events, counts them per causationid (the
command, or the step of it, that caused them) and notifies ``dafnck_applied``; Postgres
delivers the notification on commit, so whoever it wakes reads the committed count. The
edge waits on that count (``streams.http.read_your_writes``) instead of polling the read
model's own tables with a predicate per route.

Only newly applied events may be passed: a redelivered event the projector skipped as a
duplicate must not count twice. Rows older than ``KEEP`` are pruned now and then; nobody
waits on a command that long.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

CHANNEL = "dafnck_applied"
KEEP = "1 hour"
PRUNE_EVERY = 500  # batches between prunes, per schema and process
# Postgres refuses a NOTIFY payload of 8000 bytes or more; leave room for the schema prefix.
PAYLOAD_LIMIT = 7900
_SCHEMA = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_batches: Counter[str] = Counter()


class Caused(Protocol):
    """Anything with a causationid: an Envelope, in practice."""

    @property
    def causationid(self) -> str | None: ...


def schema_name(schema: str) -> str:
    """``schema``, checked to be a plain lower-case identifier (it is spliced into SQL)."""
    if not _SCHEMA.match(schema):
        raise ValueError(f"not a plain schema name: {schema!r}")
    return schema


def applied_commands_ddl(schema: str) -> str:
    """The table, for the read model's migrations (idempotent)."""
    s = schema_name(schema)
    return (
        f"CREATE TABLE IF NOT EXISTS {s}.applied_commands ("
        " command_id text PRIMARY KEY,"
        " events integer NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now());"
        f" CREATE INDEX IF NOT EXISTS applied_commands_applied_at"
        f" ON {s}.applied_commands (applied_at)"
    )


async def record_applied(cur: Any, schema: str, envelopes: Iterable[Caused]) -> int:
    """Count newly applied events per causationid and notify; inside the caller's transaction.

    Returns how many commands were recorded. ``cur`` is the projector's cursor (aiopg),
    its transaction already begun.
    """
    s = schema_name(schema)
    counts = Counter(e.causationid for e in envelopes if e.causationid)
    if not counts:
        return 0
    # Sorted: two projectors counting the same commands lock their rows in the same order.
    ids = sorted(counts)
    await cur.execute(
        f"INSERT INTO {s}.applied_commands AS a (command_id, events)"
        " SELECT * FROM unnest(%s::text[], %s::integer[])"
        " ON CONFLICT (command_id) DO UPDATE"
        " SET events = a.events + EXCLUDED.events, applied_at = now()",
        (ids, [counts[i] for i in ids]),
    )
    for payload in notify_payloads(s, ids):
        await cur.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
    _batches[s] += 1
    if _batches[s] % PRUNE_EVERY == 1:
        # The first batch too: a read model left idle for a day starts clean.
        await cur.execute(
            f"DELETE FROM {s}.applied_commands WHERE applied_at < now() - %s::interval", (KEEP,)
        )
    return len(ids)


def notify_payloads(schema: str, ids: Iterable[str]) -> Iterator[str]:
    """``<schema>:<id>,<id>...`` payloads, each under Postgres's NOTIFY size limit."""
    prefix = f"{schema}:"
    chunk: list[str] = []
    size = len(prefix.encode())
    for command_id in ids:
        cost = len(command_id.encode()) + 1
        if chunk and size + cost > PAYLOAD_LIMIT:
            yield prefix + ",".join(chunk)
            chunk, size = [], len(prefix.encode())
        chunk.append(command_id)
        size += cost
    if chunk:
        yield prefix + ",".join(chunk)


def parse_payload(payload: str) -> tuple[str, list[str]]:
    """(schema, command ids) of a ``dafnck_applied`` payload."""
    schema, _, ids = payload.partition(":")
    return schema, [i for i in ids.split(",") if i]
