"""Models of the ``data`` on ``agent-deliveries``, mirroring schemas/agent-deliveries/.

What the scheduler sends to one agent, keyed by its id: the edge replica holding the agent's
connection forwards it (``task``, ``revoke`` and ``message`` frames).
"""

from __future__ import annotations

from typing import ClassVar

from schemas.models.agent_common import (
    AgentDelivery,
    Attempt,
    FreeObject,
    ReasonCode,
    Sender,
    Seq,
    StepId,
    TimeoutS,
)
from schemas.models.common import EventData, Timestamp, UniqueTokens, Uuid


class TaskOffered(AgentDelivery):
    """An attempt of a task, for the agent to run."""

    TYPE: ClassVar[str] = "TaskOffered"

    agent_id: Uuid
    task_id: Uuid
    attempt: Attempt
    project_id: Uuid
    capabilities: UniqueTokens
    input: FreeObject
    timeout_s: TimeoutS
    execution_id: Uuid | None
    step_id: StepId | None


class TaskRevoked(AgentDelivery):
    """The agent must stop its attempt of a task."""

    TYPE: ClassVar[str] = "TaskRevoked"

    agent_id: Uuid
    task_id: Uuid
    attempt: Attempt
    reason: ReasonCode


class MessageDelivered(AgentDelivery):
    """A message for the agent, numbered per recipient."""

    TYPE: ClassVar[str] = "MessageDelivered"

    agent_id: Uuid
    message_id: Uuid
    seq: Seq
    sender: Sender
    body: FreeObject
    sent_at: Timestamp


AGENT_DELIVERY_MODELS: tuple[type[EventData], ...] = (TaskOffered, TaskRevoked, MessageDelivered)
