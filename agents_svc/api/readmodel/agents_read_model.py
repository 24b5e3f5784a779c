"""Queries of the agents read model (Postgres schema ``agents``, written by agents-svc).

The edge's agents routes list and read through ``PgAgentsReadModel``; its WebSocket hub
authenticates agent keys with ``agent_key`` (see ``agents_svc.api.routes.keys.authenticate``).
Deleted agents are gone for every query but ``agent_key``, which says the agent is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from agents_svc.api.readmodel.row_views import (
    AGENT_COLUMNS,
    KEY_COLUMNS,
    agent_from_row,
    key_from_row,
)
from agents_svc.api.readmodel.sql_filters import Where, after, like
from agents_svc.api.readmodel.work_queries import (
    ExecutionQuery,
    TaskQuery,
    WorkflowQuery,
    WorkQueries,
)
from streams.http.paging import Page, page_of
from streams.readmodel_pool import LazyPgPool

__all__ = [
    "AgentKeyRecord",
    "AgentQuery",
    "AgentsReadModel",
    "ExecutionQuery",
    "Page",
    "PgAgentsReadModel",
    "TaskQuery",
    "WorkflowQuery",
]


@dataclass(frozen=True)
class AgentQuery:
    """A page of (live) agents: filters, size, and where the previous page ended."""

    limit: int = 50
    after: tuple[str, str] | None = None  # (created_at ISO, id) of the last row seen
    project_id: str | None = None
    status: str | None = None
    capability: str | None = None  # agents offering this capability (among others)
    name: str | None = None  # substring, case-insensitive


@dataclass(frozen=True)
class AgentKeyRecord:
    """An agent key's stored half, with what a connection check needs of its agent."""

    key_id: str
    agent_id: str
    secret_hash: str
    created_at: datetime
    revoked_at: datetime | None
    agent_name: str | None  # None while the agent is not in the read model (yet)
    project_id: str | None
    agent_deleted: bool

    @property
    def usable(self) -> bool:
        """Not revoked, and its agent exists and is not deleted."""
        return self.revoked_at is None and self.agent_name is not None and not self.agent_deleted

    def view(self) -> dict[str, Any]:
        """The API's key view (never the hash)."""
        return key_from_row((self.key_id, self.agent_id, None, self.created_at, self.revoked_at))


class AgentsReadModel(Protocol):
    """What the agents routes (and the edge's WebSocket hub) ask of the read model."""

    async def agents(self, query: AgentQuery) -> Page:
        """A page of live agents."""

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        """A live agent's view (with in_flight)."""

    async def agent_key(self, key_id: str) -> AgentKeyRecord | None:
        """A key and its agent, by key id."""

    async def agent_keys(self, agent_id: str) -> list[dict[str, Any]]:
        """An agent's keys (views, oldest first)."""

    async def workflows(self, query: WorkflowQuery) -> Page:
        """A page of workflows."""

    async def workflow(self, workflow_id: str, version: int | None = None) -> dict[str, Any] | None:
        """A workflow at its latest version, or at ``version``."""

    async def executions(self, query: ExecutionQuery) -> Page:
        """A page of executions."""

    async def execution(self, execution_id: str) -> dict[str, Any] | None:
        """One execution."""

    async def tasks(self, query: TaskQuery) -> Page:
        """A page of tasks."""

    async def task(self, task_id: str) -> dict[str, Any] | None:
        """One task."""


def _agent_key(row: Sequence[Any]) -> tuple[datetime, str]:
    return row[10], str(row[0])


class PgAgentsReadModel(LazyPgPool, WorkQueries):
    """The read model over an aiopg pool, opened on first use (Postgres may start later)."""

    async def agents(self, query: AgentQuery) -> Page:
        """Live agents in creation order, keyset-paged."""
        where = Where(["a.deleted_at IS NULL"])
        after(where, "a", query.after)
        if query.project_id:
            where.add("a.project_id = %(project)s", project=query.project_id)
        if query.status:
            where.add("a.status = %(status)s", status=query.status)
        if query.capability:
            where.add(
                "a.capabilities @> ARRAY[%(capability)s]::text[]", capability=query.capability
            )
        if query.name:
            where.add("lower(a.name) LIKE %(name)s", name=like(query.name.strip().lower()))
        rows = await self._fetch(
            f"SELECT {AGENT_COLUMNS} FROM agents.agents a {where.sql()}"
            " ORDER BY a.created_at, a.id LIMIT %(limit)s",
            {**where.params, "limit": query.limit + 1},
        )
        return page_of(rows, query.limit, agent_from_row, _agent_key)

    async def agent(self, agent_id: str) -> dict[str, Any] | None:
        """A live agent's view; None when unknown or deleted."""
        rows = await self._fetch(
            f"SELECT {AGENT_COLUMNS} FROM agents.agents a"
            " WHERE a.id = %(id)s AND a.deleted_at IS NULL",
            {"id": agent_id},
        )
        return agent_from_row(rows[0]) if rows else None

    async def agent_key(self, key_id: str) -> AgentKeyRecord | None:
        """A key by id, joined with its agent (name, project, deleted or not)."""
        rows = await self._fetch(
            f"SELECT {KEY_COLUMNS}, a.name, a.project_id, a.deleted_at IS NOT NULL"
            " FROM agents.agent_keys k LEFT JOIN agents.agents a ON a.id = k.agent_id"
            " WHERE k.key_id = %(id)s",
            {"id": key_id},
        )
        if not rows:
            return None
        key, agent_id, secret_hash, created_at, revoked_at, name, project_id, deleted = rows[0]
        return AgentKeyRecord(
            key_id=key,
            agent_id=str(agent_id),
            secret_hash=secret_hash,
            created_at=created_at,
            revoked_at=revoked_at,
            agent_name=name,
            project_id=str(project_id) if project_id is not None else None,
            agent_deleted=bool(deleted),
        )

    async def agent_keys(self, agent_id: str) -> list[dict[str, Any]]:
        """An agent's keys, oldest first (revoked ones too)."""
        rows = await self._fetch(
            f"SELECT {KEY_COLUMNS} FROM agents.agent_keys k WHERE k.agent_id = %(id)s"
            " ORDER BY k.created_at, k.key_id",
            {"id": agent_id},
        )
        return [key_from_row(row) for row in rows]
