"""Frames of the agent connection (agents_svc/DESIGN.md, "Agent connection"): build and parse.

Frames are JSON text. Builders return plain dicts; the outbox stamps ``ref`` on the reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CONNECT_PATH = "/api/agents/connect"
CLOSE_REPLACED = 4001  # a newer connection of the same agent took over
CLOSE_REJECTED = 4003  # the hello was refused (e.g. the name is not the key's agent's)

# Report frames carry a ref and stay in the outbox until the edge answers {"type": "ok"}.
TASK_REPORTS = frozenset({"started", "progress", "result", "failure"})
TERMINAL_REPORTS = frozenset({"result", "failure"})
MAX_ERROR_CHARS = 2000
MAX_PROGRESS_MESSAGE_CHARS = 1000
# What the edge accepts (agents_svc/domain/sizes.py), measured as compact UTF-8 JSON: a result's
# output, and a direct message's body. The SDK refuses more before sending.
MAX_RESULT_BYTES = 256 * 1024
MAX_BODY_BYTES = 64 * 1024
# The code of an error frame refusing a frame for a field's size: sending it again is useless.
TOO_LARGE = "too_large"


class ProtocolError(ValueError):
    """A frame from the edge that is not JSON or lacks what its type needs."""


def encode(frame: dict[str, Any]) -> str:
    """The frame as the JSON text sent on the socket."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def decode(text: str | bytes) -> dict[str, Any]:
    """A frame from the edge; raises ProtocolError when it is not a JSON object with a type."""
    try:
        frame = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"not JSON: {exc}") from exc
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError("not a JSON object with a string 'type'")
    return frame


def hello(
    name: str, capabilities: list[str] | None, concurrency: int, running: list[str]
) -> dict[str, Any]:
    """The first frame of every connection."""
    return {
        "type": "hello",
        "name": name,
        "capabilities": capabilities,
        "concurrency": concurrency,
        "running": running,
    }


def heartbeat() -> dict[str, Any]:
    """The keep-alive frame sent every ``heartbeat_interval_s``."""
    return {"type": "heartbeat"}


def started(task_id: str, attempt: int) -> dict[str, Any]:
    """The handler of this attempt has begun."""
    return {"type": "started", "task_id": task_id, "attempt": attempt}


def progress(task_id: str, attempt: int, fraction: float, message: str | None) -> dict[str, Any]:
    """How far the handler is, 0..1."""
    return {
        "type": "progress",
        "task_id": task_id,
        "attempt": attempt,
        "progress": fraction,
        "message": None if message is None else message[:MAX_PROGRESS_MESSAGE_CHARS],
    }


def json_size(value: Any) -> int:
    """Bytes of the value as compact UTF-8 JSON, as the edge measures it."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def result(task_id: str, attempt: int, output: dict[str, Any]) -> dict[str, Any]:
    """The attempt succeeded with this output."""
    return {"type": "result", "task_id": task_id, "attempt": attempt, "output": output}


def failure(task_id: str, attempt: int, error: str, retryable: bool) -> dict[str, Any]:
    """The attempt failed; the error is cut to what the scheduler accepts (1..2000 chars)."""
    return {
        "type": "failure",
        "task_id": task_id,
        "attempt": attempt,
        "error": (error or "error")[:MAX_ERROR_CHARS],
        "retryable": retryable,
    }


def message_ack(message_id: str) -> dict[str, Any]:
    """This agent has handled the message: the edge stops redelivering it."""
    return {"type": "message_ack", "message_id": message_id}


def send(to_agent_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """A direct message from this agent to another."""
    return {"type": "send", "to": to_agent_id, "body": body}


def task_key(frame: dict[str, Any]) -> tuple[str, int] | None:
    """(task_id, attempt) of a task report, None for other frames."""
    if frame.get("type") not in TASK_REPORTS:
        return None
    return str(frame["task_id"]), int(frame["attempt"])


@dataclass(frozen=True)
class Welcome:
    """The edge accepted the hello."""

    agent_id: str
    session_id: str
    heartbeat_interval_s: float

    @classmethod
    def parse(cls, frame: dict[str, Any], default_interval_s: float) -> Welcome:
        """Read a welcome frame; a missing or silly interval falls back to the default."""
        interval = frame.get("heartbeat_interval_s")
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
            interval = default_interval_s
        return cls(str(frame.get("agent_id", "")), str(frame.get("session_id", "")), interval)


@dataclass(frozen=True)
class Offer:
    """A ``task`` frame: the scheduler gives this attempt of a task to this agent."""

    task_id: str
    attempt: int
    input: dict[str, Any]
    project_id: str | None
    capabilities: list[str]
    timeout_s: float | None
    execution_id: str | None
    step_id: str | None

    @property
    def key(self) -> tuple[str, int]:
        """What identifies one attempt: offers are deduplicated by it."""
        return self.task_id, self.attempt

    @classmethod
    def parse(cls, frame: dict[str, Any]) -> Offer:
        """Read a task frame; raises ProtocolError without task_id and attempt."""
        try:
            task_id, attempt = str(frame["task_id"]), int(frame["attempt"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError(f"task frame without task_id/attempt: {exc}") from exc
        raw_input = frame.get("input")
        timeout = frame.get("timeout_s")
        return cls(
            task_id=task_id,
            attempt=attempt,
            input=raw_input if isinstance(raw_input, dict) else {},
            project_id=frame.get("project_id"),
            capabilities=list(frame.get("capabilities") or []),
            timeout_s=float(timeout) if isinstance(timeout, int | float) and timeout > 0 else None,
            execution_id=frame.get("execution_id"),
            step_id=frame.get("step_id"),
        )


@dataclass(frozen=True)
class Message:
    """A message delivered to this agent (a direct one or a broadcast)."""

    message_id: str
    seq: int
    sender: str
    body: dict[str, Any]
    sent_at: str | None = None

    @classmethod
    def parse(cls, frame: dict[str, Any]) -> Message:
        """Read a message frame; raises ProtocolError without a message_id."""
        message_id = frame.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise ProtocolError("message frame without message_id")
        body = frame.get("body")
        return cls(
            message_id=message_id,
            seq=int(frame.get("seq") or 0),
            sender=str(frame.get("sender", "")),
            body=body if isinstance(body, dict) else {},
            sent_at=frame.get("sent_at"),
        )
