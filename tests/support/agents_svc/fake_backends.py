"""An in-memory agents read model: the projector's tables as dicts, queried like Postgres.

Rows hold what ``agents_svc/worker/migrations.py`` stores (datetimes, parsed JSON); the
queries filter and order them as ``PgAgentsReadModel`` does and map them to views with the
same ``row_views`` mappers and ``page_of``, so both answer alike (the contract suite in
tests/integration/test_agents_readmodel_contract.py holds them to it). Rows are written by
``InMemoryAgentsProjector`` from agent-events, as the real projector writes Postgres.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents_svc.api.readmodel.agents_read_model import (
    AgentKeyRecord,
    AgentQuery,
    ExecutionQuery,
    TaskQuery,
    WorkflowQuery,
)
from agents_svc.api.readmodel.row_views import (
    agent_from_row,
    execution_from_row,
    key_from_row,
    task_from_row,
    workflow_from_row,
)
from streams.http.paging import Page, page_of
from streams.readmodel_pool import ReadModelUnavailable

Row = dict[str, Any]
# Each view's columns, in the order of row_views' *_COLUMNS (in_flight is derived).
_AGENT = [
    "id",
    "project_id",
    "name",
    "capabilities",
    "capacity",
    "labels",
    "model_settings",
    "status",
    "in_flight",
    "created_by",
    "created_at",
    "updated_at",
    "last_seen_at",
]
_WORKFLOW = [
    "id",
    "project_id",
    "name",
    "version",
    "definition",
    "defined_by",
    "created_at",
    "updated_at",
]
_EXECUTION = [
    "id",
    "workflow_id",
    "workflow_version",
    "project_id",
    "status",
    "context",
    "steps",
    "started_by",
    "created_at",
    "updated_at",
    "finished_at",
]
_TASK = [
    "id",
    "project_id",
    "capabilities",
    "input",
    "priority",
    "status",
    "agent_id",
    "attempt",
    "failures",
    "max_attempts",
    "progress",
    "output",
    "error",
    "execution_id",
    "step_id",
    "submitted_by",
    "created_at",
    "assigned_at",
    "started_at",
    "finished_at",
]
_KEY = ["key_id", "agent_id", "secret_hash", "created_at", "revoked_at"]


def _row(row: Row, columns: list[str]) -> tuple[Any, ...]:
    return tuple(row[c] for c in columns)


def _ordered(
    rows: Iterable[Row], after: tuple[str, str] | None, keep: Callable[[Row], bool]
) -> list[Row]:
    """Rows ``keep`` accepts, past the cursor, in (created_at, id) order."""
    chosen = [r for r in rows if keep(r)]
    if after is not None:
        at, row_id = datetime.fromisoformat(after[0]), after[1]
        chosen = [r for r in chosen if (r["created_at"], str(r["id"])) > (at, row_id)]
    return sorted(chosen, key=lambda r: (r["created_at"], str(r["id"])))


def _page(rows: list[Row], limit: int, columns: list[str], view: Callable[..., Any]) -> Page:
    at = columns.index("created_at")
    tuples = [_row(r, columns) for r in rows[: limit + 1]]
    return page_of(tuples, limit, view, lambda t: (t[at], str(t[0])))


def _contains(text: str, query: str | None) -> bool:
    return query is None or query.strip().lower() in text.lower()


@dataclass
class FakeAgentsReadModel:
    """The read model's tables as dicts of rows; ``unavailable`` makes every query fail."""

    agents_by_id: dict[str, Row] = field(default_factory=dict)
    keys: dict[str, Row] = field(default_factory=dict)
    workflows_by_id: dict[str, Row] = field(default_factory=dict)
    workflow_versions: dict[tuple[str, int], Row] = field(default_factory=dict)
    executions_by_id: dict[str, Row] = field(default_factory=dict)
    tasks_by_id: dict[str, Row] = field(default_factory=dict)
    messages_by_id: dict[str, Row] = field(default_factory=dict)
    unavailable: bool = False

    def _check(self) -> None:
        if self.unavailable:
            raise ReadModelUnavailable("down")

    def _agent_row(self, agent: Row) -> Row:
        busy = sum(
            1
            for t in self.tasks_by_id.values()
            if t["agent_id"] == agent["id"] and t["status"] in ("assigned", "running")
        )
        return {**agent, "in_flight": busy}

    async def agents(self, query: AgentQuery) -> Page:
        """Live agents in creation order, keyset-paged."""
        self._check()

        def keep(a: Row) -> bool:
            return (
                a["deleted_at"] is None
                and query.project_id in (None, a["project_id"])
                and query.status in (None, a["status"])
                and (query.capability is None or query.capability in a["capabilities"])
                and _contains(a["name"], query.name)
            )

        rows = _ordered(self.agents_by_id.values(), query.after, keep)
        return _page([self._agent_row(a) for a in rows], query.limit, _AGENT, agent_from_row)

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        """A live agent's view; None when unknown or deleted."""
        self._check()
        agent = self.agents_by_id.get(agent_id)
        if agent is None or agent["deleted_at"] is not None:
            return None
        return agent_from_row(_row(self._agent_row(agent), _AGENT))

    async def agent_key(self, key_id: str) -> AgentKeyRecord | None:
        """A key by id, with its agent (name, project, deleted or not)."""
        self._check()
        key = self.keys.get(key_id)
        if key is None:
            return None
        agent = self.agents_by_id.get(key["agent_id"])
        return AgentKeyRecord(
            key_id=key["key_id"],
            agent_id=key["agent_id"],
            secret_hash=key["secret_hash"],
            created_at=key["created_at"],
            revoked_at=key["revoked_at"],
            agent_name=agent["name"] if agent else None,
            project_id=agent["project_id"] if agent else None,
            agent_deleted=bool(agent and agent["deleted_at"] is not None),
        )

    async def agent_keys(self, agent_id: str) -> list[dict[str, Any]]:
        """An agent's keys, oldest first (revoked ones too)."""
        self._check()
        mine = [k for k in self.keys.values() if k["agent_id"] == agent_id]
        mine.sort(key=lambda k: (k["created_at"], k["key_id"]))
        return [key_from_row(_row(k, _KEY)) for k in mine]

    async def workflows(self, query: WorkflowQuery) -> Page:
        """Workflows (latest versions) in creation order."""
        self._check()

        def keep(w: Row) -> bool:
            return query.project_id in (None, w["project_id"]) and _contains(w["name"], query.name)

        rows = _ordered(self.workflows_by_id.values(), query.after, keep)
        return _page(rows, query.limit, _WORKFLOW, workflow_from_row)

    async def workflow(self, workflow_id: str, version: int | None = None) -> dict[str, Any] | None:
        """A workflow at its latest version, or at ``version``."""
        self._check()
        latest = self.workflows_by_id.get(workflow_id)
        if latest is None:
            return None
        if version is None:
            return workflow_from_row(_row(latest, _WORKFLOW))
        kept = self.workflow_versions.get((workflow_id, version))
        if kept is None:
            return None
        return workflow_from_row(
            (
                latest["id"],
                latest["project_id"],
                kept["name"],
                version,
                kept["definition"],
                kept["defined_by"],
                latest["created_at"],
                kept["defined_at"],
            )
        )

    async def executions(self, query: ExecutionQuery) -> Page:
        """Executions in creation order."""
        self._check()

        def keep(e: Row) -> bool:
            return (
                query.workflow_id in (None, e["workflow_id"])
                and query.status in (None, e["status"])
                and query.project_id in (None, e["project_id"])
            )

        rows = _ordered(self.executions_by_id.values(), query.after, keep)
        return _page(rows, query.limit, _EXECUTION, execution_from_row)

    async def execution(self, execution_id: str) -> dict[str, Any] | None:
        """One execution with its steps."""
        self._check()
        found = self.executions_by_id.get(execution_id)
        return execution_from_row(_row(found, _EXECUTION)) if found else None

    async def tasks(self, query: TaskQuery) -> Page:
        """Tasks in creation order."""
        self._check()

        def keep(t: Row) -> bool:
            before, since = query.created_before, query.created_after
            return (
                query.status in (None, t["status"])
                and query.agent_id in (None, t["agent_id"])
                and query.project_id in (None, t["project_id"])
                and query.execution_id in (None, t["execution_id"])
                and (query.capability is None or query.capability in t["capabilities"])
                and (before is None or t["created_at"] < before)
                and (since is None or t["created_at"] > since)
            )

        rows = _ordered(self.tasks_by_id.values(), query.after, keep)
        return _page(rows, query.limit, _TASK, task_from_row)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        """One task."""
        self._check()
        found = self.tasks_by_id.get(task_id)
        return task_from_row(_row(found, _TASK)) if found else None
