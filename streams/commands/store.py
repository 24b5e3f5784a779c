"""Command status in Redis: ``cmd:<id>`` is pending until its reply, then the reply.

Every edge replica records every reply it reads, so a status lookup works from any replica
and long after the request that sent the command gave up waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

from streams.commands.caused import NOTHING, Caused, caused_from_json, caused_to_json
from streams.commands.replies import Reply

RECORD_TTL_S = 24 * 60 * 60
PENDING = "pending"


def record_key(command_id: str) -> str:
    """The Redis key of a command's status."""
    return f"cmd:{command_id}"


@dataclass(frozen=True)
class CommandStatus:
    """What is known of a command: still pending, or its reply; and who sent it."""

    command_id: str
    command_type: str
    actor: str | None
    reply: Reply | None = None
    # What the command caused (its reply's header), so a later wait can still wait on it.
    caused: Caused = NOTHING

    @property
    def pending(self) -> bool:
        """True until the service's reply is in."""
        return self.reply is None


class CommandRecords:
    """Reads and writes ``cmd:<id>`` records."""

    def __init__(self, redis: Redis, *, ttl_s: int = RECORD_TTL_S) -> None:
        self.redis = redis
        self.ttl_s = ttl_s

    async def put_pending(self, command_id: str, command_type: str, actor: str | None) -> None:
        """Make the command known before it is sent, so its status never reads 'unknown'."""
        value = {"command_id": command_id, "command_type": command_type, "status": PENDING}
        # NX: a reply that somehow got here first must never be overwritten by 'pending'.
        await self.redis.set(
            record_key(command_id), orjson.dumps({**value, "actor": actor}), ex=self.ttl_s, nx=True
        )

    async def put_reply(
        self, reply: Reply, *, actor: str | None, reply_id: str, caused: Caused = NOTHING
    ) -> None:
        """Record a reply (idempotent: every replica writes the same value)."""
        value = {**reply.to_data(), "actor": actor, "reply_id": reply_id}
        if caused.causationid is not None or caused.by_type:
            value["caused"] = caused_to_json(caused)
        await self.redis.set(record_key(reply.command_id), orjson.dumps(value), ex=self.ttl_s)

    async def forget(self, command_id: str) -> None:
        """Drop the record of a command that was never sent."""
        await self.redis.delete(record_key(command_id))

    async def get(self, command_id: str) -> CommandStatus | None:
        """The command's status; None when unknown (never sent, or expired)."""
        raw = await self.redis.get(record_key(command_id))
        if raw is None:
            return None
        value: dict[str, Any] = orjson.loads(raw)
        actor = value.pop("actor", None)
        value.pop("reply_id", None)
        caused = caused_from_json(value.pop("caused", None))
        reply = None if value.get("status") == PENDING else Reply.from_data(value)
        return CommandStatus(command_id, str(value.get("command_type", "")), actor, reply, caused)
