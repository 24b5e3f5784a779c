"""An in-memory agents read model and a scheduler stand-in answering the HTTP commands."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from agents_svc.api.readmodel.agents_read_model import (
    AgentKeyRecord,
    AgentQuery,
    ExecutionQuery,
    TaskQuery,
    WorkflowQuery,
)
from agents_svc.api.readmodel.paging import Page, encode_cursor
from streams.commands import Reply, ReplyError
from streams.envelope import Envelope
from streams.readmodel_pool import ReadModelUnavailable

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _page(items: list[dict[str, Any]], limit: int, after: tuple[str, str] | None) -> Page:
    ordered = sorted(items, key=lambda v: (v["created_at"], v["id"]))
    if after is not None:
        ordered = [v for v in ordered if (v["created_at"], v["id"]) > (after[0], after[1])]
    shown = ordered[:limit]
    if len(ordered) <= limit:
        return Page(shown, None)
    last = shown[-1]
    return Page(shown, encode_cursor(datetime.fromisoformat(last["created_at"]), last["id"]))


@dataclass
class FakeAgentsReadModel:
    """The read model as dicts of views; ``unavailable`` makes every query fail."""

    agents_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, AgentKeyRecord] = field(default_factory=dict)
    workflows_by_id: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    executions_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks_by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    unavailable: bool = False

    def _check(self) -> None:
        if self.unavailable:
            raise ReadModelUnavailable("down")

    async def agents(self, query: AgentQuery) -> Page:
        self._check()
        found = [
            a
            for a in self.agents_by_id.values()
            if query.project_id in (None, a["project_id"]) and query.status in (None, a["status"])
        ]
        return _page(found, query.limit, query.after)

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        self._check()
        return self.agents_by_id.get(agent_id)

    async def agent_key(self, key_id: str) -> AgentKeyRecord | None:
        self._check()
        return self.keys.get(key_id)

    async def agent_keys(self, agent_id: str) -> list[dict[str, Any]]:
        self._check()
        return [k.view() for k in self.keys.values() if k.agent_id == agent_id]

    async def workflows(self, query: WorkflowQuery) -> Page:
        self._check()
        return _page([v[-1] for v in self.workflows_by_id.values()], query.limit, query.after)

    async def workflow(self, workflow_id: str, version: int | None = None) -> dict[str, Any] | None:
        self._check()
        versions = self.workflows_by_id.get(workflow_id, [])
        if version is None:
            return versions[-1] if versions else None
        return next((v for v in versions if v["version"] == version), None)

    async def executions(self, query: ExecutionQuery) -> Page:
        self._check()
        return _page(list(self.executions_by_id.values()), query.limit, query.after)

    async def execution(self, execution_id: str) -> dict[str, Any] | None:
        self._check()
        return self.executions_by_id.get(execution_id)

    async def tasks(self, query: TaskQuery) -> Page:
        self._check()
        found = [t for t in self.tasks_by_id.values() if query.status in (None, t["status"])]
        return _page(found, query.limit, query.after)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        self._check()
        return self.tasks_by_id.get(task_id)


class FakeScheduler:
    """Answers agents commands as the design says (the happy paths and a few refusals)."""

    def __init__(self, read_model: FakeAgentsReadModel) -> None:
        self.rm = read_model
        self.clock = 0

    def _now(self) -> str:
        self.clock += 1
        return T0.replace(second=self.clock % 60, minute=self.clock // 60).isoformat()

    def answer(self, env: Envelope) -> Reply | None:
        """The reply to a command (None for unknown types: left pending)."""
        handler = getattr(self, f"_{env.type}", None)
        if handler is None:
            return None
        out = handler(env.data)
        if isinstance(out, Reply):
            return Reply(env.id, env.type, out.status, out.http_status, out.resource, out.error)
        status, resource = out
        return Reply(env.id, env.type, "succeeded", status, resource)

    @staticmethod
    def _no(status: int, code: str, field: str | None = None) -> Reply:
        return Reply("x", "x", "rejected", status, None, ReplyError(code, code, field))

    def _CreateAgent(self, d: dict[str, Any]) -> Any:
        taken = any(
            a["project_id"] == d["project_id"] and a["name"].lower() == d["name"].lower()
            for a in self.rm.agents_by_id.values()
        )
        if taken:
            return self._no(409, "agent_name_taken", "name")
        now = self._now()
        view = {
            "id": d["agent_id"],
            **{
                k: d[k]
                for k in (
                    "project_id",
                    "name",
                    "capabilities",
                    "capacity",
                    "labels",
                    "model_settings",
                )
            },
            "status": "registered",
            "in_flight": 0,
            "created_by": d["created_by"],
            "created_at": now,
            "updated_at": now,
            "last_seen_at": None,
        }
        self.rm.agents_by_id[d["agent_id"]] = view
        return 201, view

    def _UpdateAgent(self, d: dict[str, Any]) -> Any:
        agent = self.rm.agents_by_id.get(d["agent_id"])
        if agent is None:
            return self._no(404, "agent_not_found")
        agent.update(d["changes"], updated_at=self._now())
        return 200, agent

    def _DeleteAgent(self, d: dict[str, Any]) -> Any:
        if self.rm.agents_by_id.pop(d["agent_id"], None) is None:
            return self._no(404, "agent_not_found")
        return 200, {"agent_id": d["agent_id"], "deleted": True, "moved_tasks": []}

    def _DrainAgent(self, d: dict[str, Any]) -> Any:
        agent = self.rm.agents_by_id.get(d["agent_id"])
        if agent is None:
            return self._no(404, "agent_not_found")
        agent.update(status="draining", updated_at=self._now())
        return 200, agent

    def _IssueAgentKey(self, d: dict[str, Any]) -> Any:
        agent = self.rm.agents_by_id.get(d["agent_id"])
        if agent is None:
            return self._no(404, "agent_not_found")
        record = AgentKeyRecord(
            d["key_id"],
            d["agent_id"],
            d["secret_hash"],
            T0,
            None,
            agent["name"],
            agent["project_id"],
            False,
        )
        self.rm.keys[d["key_id"]] = record
        return 201, {**record.view()}

    def _RevokeAgentKey(self, d: dict[str, Any]) -> Any:
        key = self.rm.keys.get(d["key_id"])
        if key is None or key.agent_id != d["agent_id"]:
            return self._no(404, "key_not_found")
        self.rm.keys[d["key_id"]] = replace(key, revoked_at=T0)
        return 200, self.rm.keys[d["key_id"]].view()

    def _SubmitTask(self, d: dict[str, Any]) -> Any:
        if "nothing-offers-this" in d["capabilities"]:
            return self._no(422, "unsatisfiable_capabilities", "capabilities")
        view = {
            "id": d["task_id"],
            "project_id": d["project_id"],
            "capabilities": d["capabilities"],
            "input": d["input"],
            "priority": d["priority"],
            "status": "pending",
            "agent_id": None,
            "attempt": 0,
            "failures": 0,
            "max_attempts": d["max_attempts"],
            "created_at": self._now(),
        }
        self.rm.tasks_by_id[d["task_id"]] = view
        return 201, view

    def _AssignTask(self, d: dict[str, Any]) -> Any:
        task = self.rm.tasks_by_id.get(d["task_id"])
        if task is None:
            return self._no(404, "task_not_found")
        task.update(status="assigned", agent_id=d["agent_id"], attempt=task["attempt"] + 1)
        return 200, task

    def _CancelTask(self, d: dict[str, Any]) -> Any:
        task = self.rm.tasks_by_id.get(d["task_id"])
        if task is None:
            return self._no(404, "task_not_found")
        task.update(status="cancelled")
        return 200, task

    def _RedistributeTasks(self, d: dict[str, Any]) -> Any:
        return 200, {
            "assignments": [
                {"task_id": t, "from_agent_id": None, "to_agent_id": None}
                for t in self.rm.tasks_by_id
            ]
        }

    def _DefineWorkflow(self, d: dict[str, Any]) -> Any:
        versions = self.rm.workflows_by_id.setdefault(d["workflow_id"], [])
        now = self._now()
        view = {
            "id": d["workflow_id"],
            "project_id": d["project_id"],
            "name": d["name"],
            "version": len(versions) + 1,
            "definition": d["definition"],
            "defined_by": d["defined_by"],
            "created_at": versions[0]["created_at"] if versions else now,
            "updated_at": now,
        }
        versions.append(view)
        return (201 if view["version"] == 1 else 200), view

    def _ExecuteWorkflow(self, d: dict[str, Any]) -> Any:
        if d["workflow_id"] not in self.rm.workflows_by_id:
            return self._no(404, "workflow_not_found")
        now = self._now()
        view = {
            "id": d["execution_id"],
            "workflow_id": d["workflow_id"],
            "status": "running",
            "context": d["context"],
            "created_at": now,
            "updated_at": now,
        }
        self.rm.executions_by_id[d["execution_id"]] = view
        return 201, view

    def _control(self, d: dict[str, Any], status: str) -> Any:
        execution = self.rm.executions_by_id.get(d["execution_id"])
        # Like the scheduler, which forgets an execution once it has finished.
        if execution is None or execution["status"] in ("completed", "failed", "cancelled"):
            return self._no(404, "execution_not_found")
        execution.update(status=status, updated_at=self._now())
        return 200, execution

    def _PauseExecution(self, d: dict[str, Any]) -> Any:
        return self._control(d, "paused")

    def _ResumeExecution(self, d: dict[str, Any]) -> Any:
        return self._control(d, "running")

    def _CancelExecution(self, d: dict[str, Any]) -> Any:
        return self._control(d, "cancelled")

    def _BroadcastMessage(self, d: dict[str, Any]) -> Any:
        return 201, {"message_id": d["message_id"], "recipients": list(self.rm.agents_by_id)}

    def _SendDirectMessage(self, d: dict[str, Any]) -> Any:
        if d["to_agent_id"] not in self.rm.agents_by_id:
            return self._no(404, "agent_not_found")
        return 201, {"message_id": d["message_id"], "recipients": [d["to_agent_id"]]}
