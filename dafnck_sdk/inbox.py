"""Messages delivered to this agent: the ``on_message`` callback, in order, once each, acked."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from dafnck_sdk import protocol
from dafnck_sdk.outbox import Outbox
from dafnck_sdk.protocol import Message

log = logging.getLogger("dafnck_sdk")

MessageHandler = Callable[[Message], "Awaitable[None] | None"]

# Message ids remembered to recognise a redelivery (the edge redelivers unacked ones in order).
SEEN_MEMORY = 10_000


class Inbox:
    """Queues delivered messages and hands them to the callback one at a time."""

    def __init__(self, callback: MessageHandler | None, outbox: Outbox) -> None:
        self._callback = callback
        self._outbox = outbox
        self._queue: asyncio.Queue[Message] = asyncio.Queue()
        self._seen: OrderedDict[str, bool] = OrderedDict()  # message id -> handled

    def deliver(self, message: Message) -> None:
        """A ``message`` frame; called from the connection's read loop, so it must not block."""
        handled = self._seen.get(message.message_id)
        if handled is None:
            self._seen[message.message_id] = False
            while len(self._seen) > SEEN_MEMORY:
                self._seen.popitem(last=False)
            self._queue.put_nowait(message)
        elif handled and not self._outbox.pending_ack(message.message_id):
            # Handled before, yet redelivered: the edge missed our ack. Ack again, don't rerun.
            log.debug("message %s delivered again: acknowledged again", message.message_id)
            self._outbox.add(protocol.message_ack(message.message_id))

    async def run(self) -> None:
        """Process messages until cancelled (the callback runs outside the read loop)."""
        while True:
            message = await self._queue.get()
            try:
                await self._handle(message)
            except asyncio.CancelledError:
                # Not acked: the edge delivers it again to the next connection.
                self._seen.pop(message.message_id, None)
                raise
            self._seen[message.message_id] = True
            self._outbox.add(protocol.message_ack(message.message_id))

    async def _handle(self, message: Message) -> None:
        if self._callback is None:
            return
        try:
            if inspect.iscoroutinefunction(self._callback):
                await self._callback(message)
            else:
                outcome = await asyncio.to_thread(self._callback, message)
                if inspect.isawaitable(outcome):
                    await outcome
        except Exception:
            # Acked anyway: a message the callback cannot handle would otherwise come back on
            # every reconnect and fill the agent's mailbox.
            log.exception(
                "on_message failed for message %s from %s", message.message_id, message.sender
            )
