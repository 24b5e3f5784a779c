"""One agent's WebSocket connection: its frames become commands, deliveries become frames.

The protocol is in agents_svc/DESIGN.md ("Agent connection"). A report frame is answered
``ok`` once its command is on Kafka, so the agent can drop it from its outbox; until then it
keeps it and sends it again after a reconnect (the scheduler ignores duplicates).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import WSMsgType, web

import topics
from agents_svc.api.live.hub import AgentHub, Outbound
from agents_svc.api.readmodel.agents_read_model import AgentKeyRecord
from agents_svc.domain.sizes import INPUT_MAX_BYTES, RESULT_MAX_BYTES, TooLarge, check_size
from streams.producer import EventPublisher
from streams.registry import SchemaViolation

log = logging.getLogger("agents_svc.api.live")

SHARD = "scheduler"
HELLO_TIMEOUT_S = 10.0
CLOSE_REPLACED, CLOSE_REFUSED = 4001, 4003
TOO_LARGE = "too_large"  # the code of an error frame refusing a frame for a field's size


@dataclass
class LiveSettings:
    """How often connected agents should beat (the scheduler's timeout is three of these)."""

    heartbeat_interval_s: float = 5.0


class AgentFrameError(Exception):
    """A frame that does not follow the protocol."""


def _report(holder: AgentKeyRecord, frame: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The command a report frame stands for."""
    kind = frame.get("type")
    try:
        base = {
            "task_id": frame["task_id"],
            "agent_id": holder.agent_id,
            "attempt": frame["attempt"],
        }
        if kind == "started":
            return "StartTask", base
        if kind == "progress":
            return "ReportProgress", {
                **base,
                "progress": frame["progress"],
                "message": frame.get("message"),
            }
        if kind == "result":
            check_size("output", frame["output"], RESULT_MAX_BYTES)
            return "CompleteTask", {**base, "output": frame["output"]}
        if kind == "failure":
            return "FailTask", {
                **base,
                "error": frame["error"],
                "retryable": frame.get("retryable", True),
            }
    except KeyError as exc:
        raise AgentFrameError(f"a {kind} frame needs {exc.args[0]!r}") from None
    raise AgentFrameError(f"unknown frame type {kind!r}")


class AgentSession:
    """Serves one connection of one agent."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        holder: AgentKeyRecord,
        hub: AgentHub,
        publisher: EventPublisher,
        settings: LiveSettings,
    ) -> None:
        self.ws = ws
        self.holder = holder
        self.hub = hub
        self.publisher = publisher
        self.settings = settings
        self.out = Outbound(holder.agent_id, str(uuid.uuid4()))
        self._last_beat = 0.0
        self._acks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Run the connection until either side closes it."""
        hello = await self._hello()
        if hello is None:
            return
        writer = asyncio.create_task(self._write())
        self.out.push(
            {
                "type": "welcome",
                "agent_id": self.holder.agent_id,
                "session_id": self.out.session_id,
                "heartbeat_interval_s": self.settings.heartbeat_interval_s,
            }
        )
        self.hub.register(self.out)
        log.info(
            "agent connected",
            extra={"agent_id": self.holder.agent_id, "session_id": self.out.session_id},
        )
        try:
            await self._command(
                "ConnectAgent",
                {
                    "agent_id": self.holder.agent_id,
                    "session_id": self.out.session_id,
                    "capabilities": hello.get("capabilities"),
                    "concurrency": int(hello.get("concurrency") or 1),
                    "running": list(hello.get("running") or []),
                },
            )
            self._last_beat = time.monotonic()
            await self._read()
        finally:
            self.hub.unregister(self.out)
            if not self.out.replaced:
                await self._command(
                    "DisconnectAgent",
                    {"agent_id": self.holder.agent_id, "session_id": self.out.session_id},
                )
            self.out.close()
            await asyncio.gather(writer, *self._acks, return_exceptions=True)
            log.info(
                "agent disconnected",
                extra={"agent_id": self.holder.agent_id, "replaced": self.out.replaced},
            )

    async def _hello(self) -> dict[str, Any] | None:
        try:
            msg = await self.ws.receive(timeout=HELLO_TIMEOUT_S)
            hello = orjson.loads(msg.data) if msg.type == WSMsgType.TEXT else None
        except (TimeoutError, orjson.JSONDecodeError):
            hello = None
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            await self._refuse("the first frame must be a hello")
            return None
        if hello.get("name") != self.holder.agent_name:
            await self._refuse(
                f"this key belongs to agent {self.holder.agent_name!r}, not {hello.get('name')!r}"
            )
            return None
        return hello

    async def _refuse(self, detail: str) -> None:
        await self.ws.send_str(
            orjson.dumps({"type": "error", "detail": detail, "ref": None}).decode()
        )
        await self.ws.close(code=CLOSE_REFUSED, message=detail[:120].encode())

    async def _write(self) -> None:
        while True:
            frame = await self.out.queue.get()
            if frame is None or self.ws.closed:
                if not self.ws.closed and self.out.replaced:
                    # 4001 tells the agent not to reconnect: a newer connection took over.
                    await self.ws.close(code=CLOSE_REPLACED, message=b"replaced")
                elif not self.ws.closed:
                    await self.ws.close()
                return
            await self.ws.send_str(frame.decode())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame: Any = None
            try:
                frame = orjson.loads(msg.data)
                if not isinstance(frame, dict):
                    raise AgentFrameError("a frame is a JSON object")
                await self._frame(frame)
            except TooLarge as exc:
                await self._too_large(frame, exc)
            except (AgentFrameError, SchemaViolation, orjson.JSONDecodeError, ValueError) as exc:
                ref = frame.get("ref") if isinstance(frame, dict) else None
                self.out.push({"type": "error", "detail": str(exc), "ref": ref})

    async def _too_large(self, frame: dict[str, Any], exc: TooLarge) -> None:
        """Refuse the frame, saying which field is too large; a result fails its task."""
        detail = f"{frame.get('type')} frame refused: {exc}"
        if frame.get("type") == "result":
            # Failed for good now, rather than left running until its timeout.
            failure = {**frame, "type": "failure", "error": detail[:2000], "retryable": False}
            await self._command(*_report(self.holder, failure))
        log.warning("agent frame refused", extra={"agent_id": self.holder.agent_id})
        self.out.push(
            {"type": "error", "detail": detail, "ref": frame.get("ref"), "code": TOO_LARGE}
        )

    async def _frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "heartbeat":
            now = time.monotonic()
            if now - self._last_beat >= self.settings.heartbeat_interval_s / 2:
                self._last_beat = now
                await self._command(
                    "AgentHeartbeat",
                    {"agent_id": self.holder.agent_id, "session_id": self.out.session_id},
                )
            return
        if kind == "message_ack":
            type_name, data = (
                "AckMessage",
                {"agent_id": self.holder.agent_id, "message_id": frame.get("message_id")},
            )
        elif kind == "send":
            check_size("body", frame.get("body"), INPUT_MAX_BYTES)
            type_name, data = (
                "SendDirectMessage",
                {
                    "message_id": str(uuid.uuid4()),
                    "sender": f"agent:{self.holder.agent_id}",
                    "to_agent_id": frame.get("to"),
                    "body": frame.get("body"),
                },
            )
        else:
            type_name, data = _report(self.holder, frame)
        await self._command(type_name, data, ref=frame.get("ref"))

    async def _command(self, type_name: str, data: dict[str, Any], ref: Any = None) -> None:
        envelope = self.publisher.build(topics.AGENT_COMMANDS, type_name, data, subject=SHARD)
        sent = await self.publisher.send_soon(topics.AGENT_COMMANDS, envelope)
        if ref is not None:
            task = asyncio.create_task(self._ack(sent, ref))
            self._acks.add(task)
            task.add_done_callback(self._acks.discard)

    async def _ack(self, sent: asyncio.Future[Any], ref: Any) -> None:
        try:
            await sent
        except Exception as exc:
            self.out.push({"type": "error", "detail": f"not recorded: {exc}", "ref": ref})
            return
        self.out.push({"type": "ok", "ref": ref})
