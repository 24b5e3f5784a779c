"""Reading replies on every edge replica (a ``FanoutReader``: all partitions, from the end).

Each replica must see every reply (it cannot know which replica a command's caller is
waiting on), so there is no group to share partitions in; and a replica only cares about
replies to commands sent after it started, so it begins at the end of each partition.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka.structs import ConsumerRecord

from streams.commands.caused import NOTHING, Caused, decode_caused
from streams.commands.replies import REPLY_TYPES, Reply, ReplyInvalid
from streams.envelope import Envelope, EnvelopeError, decode
from streams.fanout import FanoutReader

OnReply = Callable[[Envelope, Reply, Caused], Awaitable[None]]
# What a waiter is resolved with: the reply, and what the command caused (its header).
Heard = tuple[Reply, Caused]

log = logging.getLogger("dafnck.commands")


class ReplyListener:
    """Consumes reply topics; resolves in-process waiters after ``on_reply`` has run."""

    def __init__(self, bootstrap: str, topics: Sequence[str], on_reply: OnReply) -> None:
        if not topics:
            raise ValueError("a reply listener needs at least one replies topic")
        self.on_reply = on_reply
        self._waiters: dict[str, set[asyncio.Future[Heard]]] = {}
        self._reader = FanoutReader(bootstrap, topics, self._handle)

    async def start(self) -> None:
        """Assign every partition and pin its position at the current end before returning."""
        await self._reader.start()

    async def stop(self) -> None:
        """Stop consuming; waiters still pending are left to their timeouts."""
        await self._reader.stop()

    def expect(self, command_id: str) -> asyncio.Future[Heard]:
        """A future the reply to ``command_id`` (and what it caused) resolves; register first."""
        future: asyncio.Future[Heard] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(command_id, set()).add(future)
        return future

    def forget(self, command_id: str, future: asyncio.Future[Heard]) -> None:
        """Drop a waiter (answered or timed out)."""
        waiters = self._waiters.get(command_id)
        if waiters is not None:
            waiters.discard(future)
            if not waiters:
                del self._waiters[command_id]

    async def _handle(self, record: ConsumerRecord) -> None:
        try:
            envelope = decode(record.value)
            if envelope.type not in REPLY_TYPES:
                raise ReplyInvalid(f"type {envelope.type!r} is not a reply")
            reply = Reply.from_data(envelope.data)
        except (EnvelopeError, ReplyInvalid) as exc:
            # The edge is no place to dead-letter a service's output; say so and move on.
            log.warning(
                "unusable reply skipped",
                extra={"topic": record.topic, "offset": record.offset, "error": str(exc)},
            )
            return
        # Only a success caused anything a caller waits on; a rejection never says otherwise.
        caused = decode_caused(record.headers) if reply.status == "succeeded" else NOTHING
        try:
            await self.on_reply(envelope, reply, caused)
        except Exception:
            # Recording failed (Redis down?): the waiters here still deserve their answer.
            log.exception("recording reply failed", extra={"command_id": reply.command_id})
        for future in self._waiters.pop(reply.command_id, set()):
            if not future.done():
                future.set_result((reply, caused))
