"""Read-model queries of the work side: workflows (any version), executions and tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agents_svc.api.readmodel.row_views import (
    EXECUTION_COLUMNS,
    TASK_COLUMNS,
    WORKFLOW_COLUMNS,
    WORKFLOW_VERSION_COLUMNS,
    execution_from_row,
    task_from_row,
    workflow_from_row,
)
from agents_svc.api.readmodel.sql_filters import Where, after, like
from streams.http.paging import Page, page_of


@dataclass(frozen=True)
class WorkflowQuery:
    """A page of workflows (latest versions)."""

    limit: int = 50
    after: tuple[str, str] | None = None  # (created_at ISO, id) of the last row seen
    project_id: str | None = None
    name: str | None = None  # substring, case-insensitive


@dataclass(frozen=True)
class ExecutionQuery:
    """A page of executions."""

    limit: int = 50
    after: tuple[str, str] | None = None
    workflow_id: str | None = None
    status: str | None = None
    project_id: str | None = None


@dataclass(frozen=True)
class TaskQuery:
    """A page of tasks."""

    limit: int = 50
    after: tuple[str, str] | None = None
    status: str | None = None
    agent_id: str | None = None
    project_id: str | None = None
    execution_id: str | None = None
    capability: str | None = None  # tasks that need this capability (among others)
    created_before: datetime | None = None
    created_after: datetime | None = None


def _key(created_at_index: int) -> Any:
    return lambda row: (row[created_at_index], str(row[0]))


class WorkQueries:
    """The workflow, execution and task queries ``PgAgentsReadModel`` answers."""

    async def _fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    async def workflows(self, query: WorkflowQuery) -> Page:
        """Workflows (their latest versions) in creation order."""
        where = Where()
        after(where, "w", query.after)
        if query.project_id:
            where.add("w.project_id = %(project)s", project=query.project_id)
        if query.name:
            where.add("lower(w.name) LIKE %(name)s", name=like(query.name.strip().lower()))
        rows = await self._fetch(
            f"SELECT {WORKFLOW_COLUMNS} FROM agents.workflows w {where.sql()}"
            " ORDER BY w.created_at, w.id LIMIT %(limit)s",
            {**where.params, "limit": query.limit + 1},
        )
        return page_of(rows, query.limit, workflow_from_row, _key(6))

    async def workflow(self, workflow_id: str, version: int | None = None) -> dict[str, Any] | None:
        """A workflow at its latest version, or at ``version``."""
        if version is None:
            sql = f"SELECT {WORKFLOW_COLUMNS} FROM agents.workflows w WHERE w.id = %(id)s"
        else:
            sql = (
                f"SELECT {WORKFLOW_VERSION_COLUMNS} FROM agents.workflows w"
                " JOIN agents.workflow_versions v ON v.workflow_id = w.id"
                " WHERE w.id = %(id)s AND v.version = %(version)s"
            )
        rows = await self._fetch(sql, {"id": workflow_id, "version": version})
        return workflow_from_row(rows[0]) if rows else None

    async def executions(self, query: ExecutionQuery) -> Page:
        """Executions in creation order."""
        where = Where()
        after(where, "e", query.after)
        if query.workflow_id:
            where.add("e.workflow_id = %(workflow)s", workflow=query.workflow_id)
        if query.status:
            where.add("e.status = %(status)s", status=query.status)
        if query.project_id:
            where.add("e.project_id = %(project)s", project=query.project_id)
        rows = await self._fetch(
            f"SELECT {EXECUTION_COLUMNS} FROM agents.executions e {where.sql()}"
            " ORDER BY e.created_at, e.id LIMIT %(limit)s",
            {**where.params, "limit": query.limit + 1},
        )
        return page_of(rows, query.limit, execution_from_row, _key(8))

    async def execution(self, execution_id: str) -> dict[str, Any] | None:
        """One execution with its steps."""
        rows = await self._fetch(
            f"SELECT {EXECUTION_COLUMNS} FROM agents.executions e WHERE e.id = %(id)s",
            {"id": execution_id},
        )
        return execution_from_row(rows[0]) if rows else None

    async def tasks(self, query: TaskQuery) -> Page:
        """Tasks in creation order."""
        where = Where()
        after(where, "t", query.after)
        if query.status:
            where.add("t.status = %(status)s", status=query.status)
        if query.agent_id:
            where.add("t.agent_id = %(agent)s", agent=query.agent_id)
        if query.project_id:
            where.add("t.project_id = %(project)s", project=query.project_id)
        if query.execution_id:
            where.add("t.execution_id = %(execution)s", execution=query.execution_id)
        if query.capability:
            where.add(
                "t.capabilities @> ARRAY[%(capability)s]::text[]", capability=query.capability
            )
        if query.created_before is not None:
            where.add("t.created_at < %(before)s", before=query.created_before)
        if query.created_after is not None:
            where.add("t.created_at > %(since)s", since=query.created_after)
        rows = await self._fetch(
            f"SELECT {TASK_COLUMNS} FROM agents.tasks t {where.sql()}"
            " ORDER BY t.created_at, t.id LIMIT %(limit)s",
            {**where.params, "limit": query.limit + 1},
        )
        return page_of(rows, query.limit, task_from_row, _key(16))

    async def task(self, task_id: str) -> dict[str, Any] | None:
        """One task."""
        rows = await self._fetch(
            f"SELECT {TASK_COLUMNS} FROM agents.tasks t WHERE t.id = %(id)s", {"id": task_id}
        )
        return task_from_row(rows[0]) if rows else None
