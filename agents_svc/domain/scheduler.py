"""The scheduling shard's decision function: one command in, one decision out.

Pure: no I/O, time is the command's. Every command that may free capacity or queue work
ends with a dispatch round, so work moves as soon as it can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents_svc.domain import (
    agents,
    execution_control,
    executions,
    messages,
    task_commands,
    workflows,
)
from agents_svc.domain.decision import Answer, SchedulerDecision
from agents_svc.domain.dispatch import dispatch
from agents_svc.domain.errors import Refusal
from agents_svc.domain.state import SchedulerState
from agents_svc.domain.tasks import settle_statuses

Step = Callable[[SchedulerDecision, dict[str, Any]], None]

ANSWERED: dict[str, Step] = {
    "CreateAgent": agents.create,
    "UpdateAgent": agents.update,
    "DeleteAgent": agents.delete,
    "DrainAgent": agents.drain,
    "IssueAgentKey": agents.issue_key,
    "RevokeAgentKey": agents.revoke_key,
    "SubmitTask": task_commands.submit,
    "AssignTask": task_commands.assign_explicitly,
    "RedistributeTasks": task_commands.redistribute,
    "CancelTask": task_commands.cancel,
    "DefineWorkflow": workflows.define,
    "ExecuteWorkflow": executions.execute,
    "PauseExecution": execution_control.pause,
    "ResumeExecution": execution_control.resume,
    "CancelExecution": execution_control.cancel,
    "BroadcastMessage": messages.broadcast,
    "SendDirectMessage": messages.direct,
}
UNANSWERED: dict[str, Step] = {
    "ConnectAgent": agents.connect,
    "AgentHeartbeat": agents.heartbeat,
    "DisconnectAgent": agents.disconnect,
    "StartTask": task_commands.started,
    "ReportProgress": task_commands.progressed,
    "CompleteTask": task_commands.completed,
    "FailTask": task_commands.failed,
    "AckMessage": messages.acknowledge,
}
NO_DISPATCH = frozenset({"AgentHeartbeat", "ReportProgress", "AckMessage", "StartTask"})


@dataclass
class SchedulerSettings:
    """Liveness: an agent silent longer than this is offline and loses its tasks."""

    heartbeat_timeout_s: float = 15.0


class Scheduler:
    """Decides commands against the shard's state (which it changes as it decides)."""

    def __init__(
        self, settings: SchedulerSettings | None = None, state: SchedulerState | None = None
    ) -> None:
        self.settings = settings or SchedulerSettings()
        self.state = state or SchedulerState()

    def handles(self, type_name: str) -> bool:
        """True for every command type of the shard (and Tick)."""
        return type_name in ANSWERED or type_name in UNANSWERED or type_name == "Tick"

    def expects_reply(self, type_name: str) -> bool:
        """True for commands a caller waits on."""
        return type_name in ANSWERED

    def decide(self, type_name: str, data: dict[str, Any], now: float) -> SchedulerDecision:
        """Apply one command; a refusal leaves the state untouched and carries the answer."""
        dec = SchedulerDecision(self.state, now)
        try:
            if type_name == "Tick":
                agents.expire(dec, self.settings.heartbeat_timeout_s)
                task_commands.time_out(dec)
            else:
                step = ANSWERED.get(type_name) or UNANSWERED[type_name]
                step(dec, data)
            if type_name not in NO_DISPATCH:
                dispatch(dec)
            settle_statuses(dec)
        except Refusal as refusal:
            dec.rollback()
            dec.answer = Answer(refusal.status, refusal=refusal)
        except BaseException:
            dec.rollback()
            raise
        return dec
