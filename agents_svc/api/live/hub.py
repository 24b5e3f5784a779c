"""The agents connected to this edge replica, and what agent-deliveries has for them.

Every replica reads every partition of agent-deliveries from its end (a FanoutReader) and
forwards each delivery to the addressed agent if that agent is connected here; the replica
it is connected to does the same. A delivery to an agent connected nowhere is not lost: the
scheduler offers unstarted tasks and unacknowledged messages again on reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiokafka.structs import ConsumerRecord

import topics
from streams.envelope import EnvelopeError, decode
from streams.fanout import FanoutReader

log = logging.getLogger("agents_svc.api.live")

FRAME_TYPES = {"TaskOffered": "task", "TaskRevoked": "revoke", "MessageDelivered": "message"}
OUTBOX_LIMIT = 10_000  # frames queued for one slow connection before it is dropped


class Outbound:
    """One connection's queue of frames, written by a single writer task."""

    def __init__(self, agent_id: str, session_id: str) -> None:
        self.agent_id = agent_id
        self.session_id = session_id
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(OUTBOX_LIMIT)
        self.replaced = False

    def push(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; False when the connection cannot keep up (it will be closed)."""
        try:
            self.queue.put_nowait(orjson.dumps(frame))
            return True
        except asyncio.QueueFull:
            return False

    def close(self) -> None:
        """Ask the writer to stop (the connection's handler closes the socket)."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


class AgentHub:
    """Connections by agent id (one each: a newer connection replaces an older one)."""

    def __init__(self, bootstrap: str) -> None:
        self.connections: dict[str, Outbound] = {}
        self.reader = FanoutReader(bootstrap, [topics.AGENT_DELIVERIES.name], self._deliver)

    async def start(self) -> None:
        """Start reading deliveries (positions pinned before the first connection)."""
        await self.reader.start()

    async def stop(self) -> None:
        """Stop reading and close every connection."""
        await self.reader.stop()
        for conn in list(self.connections.values()):
            conn.close()

    def register(self, conn: Outbound) -> Outbound | None:
        """Make ``conn`` the agent's connection; returns the one it replaces, if any."""
        older = self.connections.get(conn.agent_id)
        self.connections[conn.agent_id] = conn
        if older is not None:
            older.replaced = True
            older.close()
        return older

    def unregister(self, conn: Outbound) -> None:
        """Forget ``conn`` unless a newer connection already took its place."""
        if self.connections.get(conn.agent_id) is conn:
            del self.connections[conn.agent_id]

    async def _deliver(self, record: ConsumerRecord) -> None:
        try:
            envelope = decode(record.value)
        except EnvelopeError as exc:
            log.warning(
                "unusable delivery skipped", extra={"offset": record.offset, "error": str(exc)}
            )
            return
        conn = self.connections.get(envelope.subject)
        frame_type = FRAME_TYPES.get(envelope.type)
        if conn is None or frame_type is None:
            return
        data = {k: v for k, v in envelope.data.items() if k != "agent_id"}
        if not conn.push({"type": frame_type, **data}):
            log.warning("agent connection too slow; closing it", extra={"agent_id": conn.agent_id})
            conn.close()
