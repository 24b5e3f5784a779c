"""Drives the scheduling shard the way its callers do: commands in, decisions out.

``SchedulerDriver`` holds one Scheduler, a clock and a project/user, and offers short builders
(agents, tasks, workflows) plus readers for what a decision sent. ``refused`` checks the
refusal contract on every use: the answer's status and code, the state exactly as before,
no changes and no outputs.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import Refusal
from agents_svc.domain.executions import STEP_NAMESPACE
from agents_svc.domain.scheduler import Scheduler, SchedulerSettings
from agents_svc.domain.state import Record, SchedulerState
from agents_svc.domain.views import iso

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
HEARTBEAT_TIMEOUT_S = 30.0


def new_id() -> str:
    """A fresh UUID (text)."""
    return str(uuid.uuid4())


def ordered_id(n: int) -> str:
    """A UUID that sorts by ``n`` (for ties broken by id)."""
    return f"00000000-0000-4000-8000-{n:012d}"


def events(dec: SchedulerDecision, type_name: str) -> list[dict[str, Any]]:
    """The data of every event of this type the decision emitted, in order."""
    return [o.data for o in dec.outputs if o.kind == "event" and o.type == type_name]


def deliveries(
    dec: SchedulerDecision, type_name: str, agent_id: str | None = None
) -> list[dict[str, Any]]:
    """The data of every delivery of this type (to this agent), in order."""
    return [
        o.data
        for o in dec.outputs
        if o.kind == "delivery"
        and o.type == type_name
        and (agent_id is None or o.subject == agent_id)
    ]


def types(dec: SchedulerDecision) -> list[str]:
    """The type of every output, in order."""
    return [o.type for o in dec.outputs]


def assignments(dec: SchedulerDecision) -> dict[str, str]:
    """task id -> agent id for every TaskAssigned of the decision."""
    return {e["task_id"]: e["agent_id"] for e in events(dec, "TaskAssigned")}


def step_task_id(execution_id: str, step_id: str) -> str:
    """The id of a step's task (deterministic per execution and step)."""
    return str(uuid.uuid5(STEP_NAMESPACE, f"{execution_id}/{step_id}"))


class SchedulerDriver:
    """One scheduler, a clock, a default project and user."""

    def __init__(self, heartbeat_timeout_s: float = HEARTBEAT_TIMEOUT_S) -> None:
        self.scheduler = Scheduler(SchedulerSettings(heartbeat_timeout_s=heartbeat_timeout_s))
        self.now = T0
        self.user = new_id()
        self.project = new_id()
        self.sessions: dict[str, str] = {}

    # -- plumbing -------------------------------------------------------------------------

    @property
    def state(self) -> SchedulerState:
        """The scheduler's state."""
        return self.scheduler.state

    def later(self, seconds: float) -> float:
        """Move the clock forward; returns the new time."""
        self.now += seconds
        return self.now

    def do(self, type_name: str, **data: Any) -> SchedulerDecision:
        """Decide one command at the current time."""
        return self.scheduler.decide(type_name, data, self.now)

    def ok(self, type_name: str, **data: Any) -> SchedulerDecision:
        """Decide a command that must not be refused."""
        dec = self.do(type_name, **data)
        if dec.answer is not None and dec.answer.refusal is not None:
            refusal = dec.answer.refusal
            raise AssertionError(f"{type_name} refused: {refusal.code}: {refusal.message}")
        return dec

    def answer(self, type_name: str, expect_status: int = 200, **data: Any) -> dict[str, Any]:
        """Decide an answered command, check its HTTP status, return its resource."""
        dec = self.ok(type_name, **data)
        assert dec.answer is not None
        assert dec.answer.http_status == expect_status
        assert dec.answer.resource is not None
        return dec.answer.resource

    def refused(self, type_name: str, expect_status: int, code: str, **data: Any) -> Refusal:
        """Decide a command that must be refused; the refusal must change nothing."""
        before = copy.deepcopy(self.state.records)
        dec = self.do(type_name, **data)
        assert dec.answer is not None and dec.answer.refusal is not None, types(dec)
        refusal = dec.answer.refusal
        got = (dec.answer.http_status, refusal.status, refusal.code)
        assert got == (expect_status, expect_status, code), f"{got}: {refusal.message}"
        assert dec.answer.resource is None
        assert self.state.records == before
        assert dec.changes() == {}
        assert dec.outputs == []
        return refusal

    # -- agents ---------------------------------------------------------------------------

    def create_agent(
        self,
        name: str | None = None,
        capabilities: Iterable[str] = (),
        capacity: int = 2,
        *,
        project_id: str | None = None,
        agent_id: str | None = None,
        labels: dict[str, Any] | None = None,
    ) -> SchedulerDecision:
        """CreateAgent (not refused)."""
        agent_id = agent_id or new_id()
        return self.ok(
            "CreateAgent",
            agent_id=agent_id,
            project_id=project_id or self.project,
            name=name or f"agent-{agent_id[:8]}",
            capabilities=list(capabilities),
            capacity=capacity,
            labels=labels or {},
            model_settings={"model": "m1"},
            created_by=self.user,
        )

    def agent(
        self,
        name: str | None = None,
        capabilities: Iterable[str] = (),
        capacity: int = 2,
        *,
        project_id: str | None = None,
        agent_id: str | None = None,
        connect: bool = True,
        concurrency: int = 100,
    ) -> str:
        """A registered agent, connected unless told otherwise; returns its id."""
        dec = self.create_agent(
            name, capabilities, capacity, project_id=project_id, agent_id=agent_id
        )
        assert dec.answer is not None and dec.answer.resource is not None
        created = str(dec.answer.resource["id"])
        if connect:
            self.connect(created, concurrency=concurrency)
        return created

    def connect(
        self,
        agent_id: str,
        *,
        concurrency: int = 100,
        capabilities: list[str] | None = None,
        running: Iterable[str] = (),
        session_id: str | None = None,
    ) -> SchedulerDecision:
        """ConnectAgent with a new session (remembered as the agent's current one)."""
        session = session_id or new_id()
        self.sessions[agent_id] = session
        return self.ok(
            "ConnectAgent",
            agent_id=agent_id,
            session_id=session,
            capabilities=capabilities,
            concurrency=concurrency,
            running=list(running),
        )

    def heartbeat(self, agent_id: str, session_id: str | None = None) -> SchedulerDecision:
        """AgentHeartbeat on the current session (or the one given)."""
        return self.ok(
            "AgentHeartbeat",
            agent_id=agent_id,
            session_id=session_id or self.sessions[agent_id],
        )

    def disconnect(self, agent_id: str, session_id: str | None = None) -> SchedulerDecision:
        """DisconnectAgent of the current session (or the one given)."""
        return self.ok(
            "DisconnectAgent",
            agent_id=agent_id,
            session_id=session_id or self.sessions[agent_id],
        )

    def tick(self) -> SchedulerDecision:
        """Tick at the current time."""
        return self.ok("Tick", now=iso(self.now))

    def agent_record(self, agent_id: str) -> Record:
        """The live agent's record."""
        rec = self.state.get("agent:" + agent_id)
        assert rec is not None, f"agent {agent_id} is gone"
        return rec

    def status(self, agent_id: str) -> str:
        """The agent's status."""
        return str(self.agent_record(agent_id)["status"])

    # -- tasks ----------------------------------------------------------------------------

    def submit_dec(
        self,
        capabilities: Iterable[str] = (),
        *,
        project_id: str | None = None,
        priority: int = 5,
        max_attempts: int = 3,
        backoff_s: float = 1,
        timeout_s: float = 60,
        task_input: dict[str, Any] | None = None,
        task_id: str | None = None,
    ) -> SchedulerDecision:
        """SubmitTask (not refused)."""
        return self.ok(
            "SubmitTask",
            **self.task_spec(
                capabilities,
                project_id=project_id,
                priority=priority,
                max_attempts=max_attempts,
                backoff_s=backoff_s,
                timeout_s=timeout_s,
                task_input=task_input,
                task_id=task_id,
            ),
        )

    def task_spec(
        self,
        capabilities: Iterable[str] = (),
        *,
        project_id: str | None = None,
        priority: int = 5,
        max_attempts: int = 3,
        backoff_s: float = 1,
        timeout_s: float = 60,
        task_input: dict[str, Any] | None = None,
        task_id: str | None = None,
    ) -> dict[str, Any]:
        """A SubmitTask command's data."""
        return {
            "task_id": task_id or new_id(),
            "project_id": project_id or self.project,
            "capabilities": list(capabilities),
            "input": task_input if task_input is not None else {"n": 1},
            "priority": priority,
            "max_attempts": max_attempts,
            "backoff_s": backoff_s,
            "timeout_s": timeout_s,
            "submitted_by": self.user,
        }

    def submit(self, capabilities: Iterable[str] = (), **options: Any) -> str:
        """Submit a task; returns its id."""
        dec = self.submit_dec(capabilities, **options)
        assert dec.answer is not None and dec.answer.resource is not None
        return str(dec.answer.resource["id"])

    def task(self, task_id: str) -> Record | None:
        """The unfinished task's record (None once finished)."""
        return self.state.get("task:" + task_id)

    def holder(self, task_id: str) -> str | None:
        """The agent holding the task (None when pending or finished)."""
        rec = self.task(task_id)
        return None if rec is None else rec.get("agent_id")

    def _report(self, task_id: str, agent_id: str | None, attempt: int | None) -> dict[str, Any]:
        rec = self.task(task_id) or {}
        if agent_id is None or attempt is None:
            assert rec, f"task {task_id} is gone"
        return {
            "task_id": task_id,
            "agent_id": agent_id if agent_id is not None else rec["agent_id"],
            "attempt": attempt if attempt is not None else rec["attempt"],
        }

    def start(
        self, task_id: str, *, agent_id: str | None = None, attempt: int | None = None
    ) -> SchedulerDecision:
        """StartTask, by default from the holder for its current attempt."""
        return self.ok("StartTask", **self._report(task_id, agent_id, attempt))

    def complete(
        self,
        task_id: str,
        output: dict[str, Any] | None = None,
        *,
        agent_id: str | None = None,
        attempt: int | None = None,
    ) -> SchedulerDecision:
        """CompleteTask, by default from the holder for its current attempt."""
        return self.ok(
            "CompleteTask",
            **self._report(task_id, agent_id, attempt),
            output=output if output is not None else {"ok": True},
        )

    def fail(
        self,
        task_id: str,
        error: str = "boom",
        *,
        retryable: bool = True,
        agent_id: str | None = None,
        attempt: int | None = None,
    ) -> SchedulerDecision:
        """FailTask, by default from the holder for its current attempt."""
        return self.ok(
            "FailTask", **self._report(task_id, agent_id, attempt), error=error, retryable=retryable
        )

    def run(self, task_id: str, output: dict[str, Any] | None = None) -> SchedulerDecision:
        """Start then complete a task on its holder; returns the completion's decision."""
        self.start(task_id)
        return self.complete(task_id, output)

    # -- workflows ------------------------------------------------------------------------

    def define_dec(
        self,
        definition: dict[str, Any],
        *,
        workflow_id: str | None = None,
        name: str = "pipeline",
        project_id: str | None = None,
    ) -> SchedulerDecision:
        """DefineWorkflow (may be refused: the caller checks)."""
        return self.do(
            "DefineWorkflow",
            workflow_id=workflow_id or new_id(),
            project_id=project_id or self.project,
            name=name,
            definition=definition,
            defined_by=self.user,
        )

    def define(self, definition: dict[str, Any], **options: Any) -> str:
        """Define a valid workflow; returns its id."""
        dec = self.define_dec(definition, **options)
        assert dec.answer is not None and dec.answer.refusal is None, dec.answer
        assert dec.answer.resource is not None
        return str(dec.answer.resource["id"])

    def execute_dec(
        self,
        workflow_id: str,
        context: dict[str, Any] | None = None,
        *,
        version: int | None = None,
        execution_id: str | None = None,
    ) -> SchedulerDecision:
        """ExecuteWorkflow (not refused)."""
        return self.ok(
            "ExecuteWorkflow",
            execution_id=execution_id or new_id(),
            workflow_id=workflow_id,
            version=version,
            context=context or {},
            started_by=self.user,
        )

    def execute(self, workflow_id: str, context: dict[str, Any] | None = None, **kw: Any) -> str:
        """Start an execution; returns its id."""
        dec = self.execute_dec(workflow_id, context, **kw)
        assert dec.answer is not None and dec.answer.resource is not None
        return str(dec.answer.resource["id"])

    def execution(self, execution_id: str) -> Record | None:
        """The active execution's record (None once finished)."""
        return self.state.get("exec:" + execution_id)

    def step_status(self, execution_id: str, step_id: str) -> str:
        """The status of a step of an active execution."""
        ex = self.execution(execution_id)
        assert ex is not None, f"execution {execution_id} is finished"
        return str(ex["steps"][step_id]["status"])

    def control(self, type_name: str, execution_id: str) -> dict[str, Any]:
        """Pause, resume or cancel an execution; returns its view."""
        return self.answer(type_name, execution_id=execution_id, by=self.user, reason=None)

    # -- messages -------------------------------------------------------------------------

    def send(self, to_agent_id: str, body: dict[str, Any] | None = None) -> SchedulerDecision:
        """SendDirectMessage from the user (not refused)."""
        return self.ok(
            "SendDirectMessage",
            message_id=new_id(),
            sender=f"user:{self.user}",
            to_agent_id=to_agent_id,
            body=body or {"text": "hi"},
        )
