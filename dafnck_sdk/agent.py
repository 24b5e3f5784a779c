"""``Agent``: a worker process's connection to DafnckMachine, running a handler on its tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from dafnck_sdk import protocol
from dafnck_sdk.connection import Connection
from dafnck_sdk.errors import AgentStopped, DeliveryError
from dafnck_sdk.inbox import Inbox, MessageHandler
from dafnck_sdk.outbox import Outbox
from dafnck_sdk.protocol import Message, Offer
from dafnck_sdk.task_runner import Handler, TaskRunner

log = logging.getLogger("dafnck_sdk")


class Agent:
    """Connects to the edge as one agent and runs ``handler`` on every task offered to it.

    ``run()`` blocks until SIGINT/SIGTERM; ``await serve()`` runs inside your own event loop
    until ``stop()``. Both raise AgentAuthError when the edge refuses the key or the name.
    """

    def __init__(
        self,
        *,
        edge_url: str,
        api_key: str,
        name: str,
        handler: Handler,
        capabilities: list[str] | None = None,
        concurrency: int = 1,
        on_message: MessageHandler | None = None,
        grace_s: float = 30.0,
        flush_timeout_s: float = 10.0,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty: issue one with POST /api/agents/{id}/keys")
        if not name:
            raise ValueError("name is empty: it must be the name of the key's agent")
        if not callable(handler):
            raise TypeError(f"handler must be callable, not {type(handler).__name__}")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a whole number >= 1, not {concurrency!r}")
        self.edge_url = edge_url
        self.name = name
        # None keeps the capabilities the agent was registered with (the hello sends null).
        self.capabilities = list(capabilities) if capabilities is not None else None
        self.concurrency = concurrency
        self.grace_s = grace_s
        self.flush_timeout_s = flush_timeout_s
        self._api_key = api_key
        self._handler = handler
        self._on_message = on_message
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stop_early = False
        self._outbox: Outbox | None = None
        self._connection: Connection | None = None

    @property
    def agent_id(self) -> str | None:
        """The agent's id, known once the edge has welcomed this process."""
        welcome = self._connection.welcome if self._connection else None
        return welcome.agent_id if welcome else None

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (a second one stops at once, without the grace)."""
        asyncio.run(self._run_with_signals())

    def stop(self) -> None:
        """Stop taking tasks, let running ones finish (grace_s), flush reports, disconnect."""
        loop, event = self._loop, self._stop_event
        if loop is None or event is None:
            self._stop_early = True
            return
        try:
            same_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            event.set()
        else:
            loop.call_soon_threadsafe(event.set)  # stop() from another thread

    async def send(self, to_agent_id: str, body: dict[str, Any]) -> None:
        """Send a direct message to another agent; returns once the edge has accepted it.

        Raises DeliveryError when the edge refuses it (unknown agent, full mailbox) or the
        body is over 64 KiB as JSON.
        """
        if self._outbox is None:
            raise RuntimeError("send() needs a serving agent: call it while serve()/run() runs")
        if not isinstance(body, dict):
            raise TypeError(f"a message body is a dict, not {type(body).__name__}")
        size = protocol.json_size(body)  # not JSON: fail here, in the caller's code
        if size > protocol.MAX_BODY_BYTES:
            raise DeliveryError(
                f"the message body is {size} bytes as JSON, over the limit of "
                f"{protocol.MAX_BODY_BYTES} bytes"
            )
        await self._outbox.add_awaitable(protocol.send(to_agent_id, body))

    async def serve(self) -> None:
        """Connect and run tasks until ``stop()``, a replacing connection, or a refusal."""
        if self._loop is not None:
            raise RuntimeError("this agent is already serving")
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        if self._stop_early:
            self._stop_event.set()
        outbox = self._outbox = Outbox()
        runner = TaskRunner(self._handler, self.concurrency, outbox)
        inbox = Inbox(self._on_message, outbox)
        connection = self._connection = Connection(
            self.edge_url,
            self._api_key,
            outbox,
            hello=lambda: protocol.hello(
                self.name, self.capabilities, self.concurrency, runner.running_ids()
            ),
            on_frame=lambda frame: self._on_frame(frame, runner, inbox),
            running_count=runner.running_count,
        )
        log.info(
            "agent %s: capabilities %s, concurrency %d, edge %s",
            self.name,
            self.capabilities,
            self.concurrency,
            connection.url,
        )
        connected = asyncio.create_task(connection.run(), name="dafnck-connection")
        inbox_job = asyncio.create_task(inbox.run(), name="dafnck-inbox")
        stop_asked = asyncio.create_task(self._stop_event.wait())
        try:
            await asyncio.wait({connected, stop_asked}, return_when=asyncio.FIRST_COMPLETED)
            if not connected.done():
                await self._shut_down(connection, connected, runner, inbox_job, outbox)
            if connected.done() and not connected.cancelled():
                # Replaced or refused: nobody can receive the reports of what still runs.
                await runner.abandon()
                connected.result()  # a refusal raises AgentAuthError here
        finally:
            for job in (stop_asked, inbox_job, connected):
                job.cancel()
            await asyncio.gather(stop_asked, inbox_job, connected, return_exceptions=True)
            await runner.abandon()
            outbox.fail_waiters(AgentStopped("the agent stopped before the edge accepted it"))
            self._loop = self._stop_event = None
            self._outbox = None
            self._stop_early = False
        log.info("agent %s stopped", self.name)

    async def _shut_down(
        self,
        connection: Connection,
        connected: asyncio.Task[bool],
        runner: TaskRunner,
        inbox_job: asyncio.Task[None],
        outbox: Outbox,
    ) -> None:
        log.info("agent %s stopping: taking no new tasks", self.name)
        # The connection stays up (reconnecting if need be) while tasks finish and reports
        # drain; a refusal or replacement meanwhile ends the shutdown early.
        draining = asyncio.create_task(runner.drain(self.grace_s))
        await asyncio.wait({draining, connected}, return_when=asyncio.FIRST_COMPLETED)
        if not draining.done():
            draining.cancel()
            await asyncio.gather(draining, return_exceptions=True)
            return
        inbox_job.cancel()
        flushing = asyncio.create_task(outbox.wait_empty(self.flush_timeout_s))
        await asyncio.wait({flushing, connected}, return_when=asyncio.FIRST_COMPLETED)
        if not flushing.done():
            flushing.cancel()
            return
        if not flushing.result():
            log.warning(
                "stopping with %d report(s) the edge has not confirmed after %gs",
                len(outbox),
                self.flush_timeout_s,
            )
        await connection.close()
        with contextlib.suppress(asyncio.CancelledError):
            await connected

    def _on_frame(self, frame: dict[str, Any], runner: TaskRunner, inbox: Inbox) -> None:
        kind = frame["type"]
        try:
            if kind == "task":
                runner.offer(Offer.parse(frame))
            elif kind == "revoke":
                runner.revoke(str(frame.get("task_id")), int(frame.get("attempt") or 0))
            elif kind == "message":
                inbox.deliver(Message.parse(frame))
            else:
                log.debug("ignored a %s frame from the edge", kind)
        except (protocol.ProtocolError, TypeError, ValueError) as exc:
            log.warning("ignored a malformed %s frame: %s", kind, exc)

    async def _run_with_signals(self) -> None:
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        received: list[str] = []

        def on_signal(name: str) -> None:
            received.append(name)
            if len(received) == 1:
                log.info("%s: stopping gracefully (send it again to stop at once)", name)
                self.stop()
            elif main is not None:
                log.warning("%s again: stopping at once", name)
                main.cancel()

        installed = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                loop.add_signal_handler(sig, on_signal, sig.name)
                installed.append(sig)
        try:
            await self.serve()
        except asyncio.CancelledError:
            if len(received) < 2:
                raise
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
