"""The agents read model's schema in Postgres (``agents``), created idempotently.

Applied by the agents projector at start (and usable by tests): every statement is
``IF NOT EXISTS``, and an advisory lock keeps two processes starting at once from racing on
the catalog. Only the projector writes these tables; the edge reads them (and waits on
``agents.applied_commands``, the count of each command's events applied so far).
"""

from __future__ import annotations

from typing import Any

from streams.readmodel_applied import applied_commands_ddl

SCHEMA = "agents"
# Any constant shared by every process that migrates this schema.
_LOCK_ID = 0x6167656E7473  # "agents"

_TABLES: tuple[str, ...] = (
    "CREATE SCHEMA IF NOT EXISTS agents",
    """
    CREATE TABLE IF NOT EXISTS agents.agents (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL,
        capabilities text[] NOT NULL DEFAULT '{}',
        capacity integer NOT NULL,
        labels jsonb NOT NULL DEFAULT '{}',
        model_settings jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_seen_at timestamptz,
        deleted_at timestamptz
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.agent_keys (
        key_id text PRIMARY KEY,
        agent_id uuid NOT NULL,
        secret_hash text NOT NULL,
        issued_by text,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.workflows (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        name text NOT NULL,
        version integer NOT NULL,
        definition jsonb NOT NULL,
        defined_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.workflow_versions (
        workflow_id uuid NOT NULL,
        version integer NOT NULL,
        name text NOT NULL,
        definition jsonb NOT NULL,
        defined_by text NOT NULL,
        defined_at timestamptz NOT NULL,
        PRIMARY KEY (workflow_id, version)
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.executions (
        id uuid PRIMARY KEY,
        workflow_id uuid NOT NULL,
        workflow_version integer NOT NULL,
        project_id uuid NOT NULL,
        status text NOT NULL,
        context jsonb NOT NULL,
        steps jsonb NOT NULL,
        outputs jsonb,
        started_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        finished_at timestamptz
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.tasks (
        id uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        capabilities text[] NOT NULL DEFAULT '{}',
        input jsonb NOT NULL,
        priority integer NOT NULL,
        max_attempts integer NOT NULL,
        backoff_s double precision NOT NULL,
        timeout_s double precision NOT NULL,
        status text NOT NULL,
        agent_id uuid,
        attempt integer NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        progress double precision,
        output jsonb,
        error text,
        execution_id uuid,
        step_id text,
        submitted_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        assigned_at timestamptz,
        started_at timestamptz,
        finished_at timestamptz,
        retry_at timestamptz
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.messages (
        message_id uuid PRIMARY KEY,
        sender text NOT NULL,
        recipients uuid[] NOT NULL,
        body jsonb NOT NULL,
        broadcast boolean NOT NULL,
        acknowledged_by uuid[] NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS agents.processed_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
    )
    """,
)

# Every list pages in (created_at, id) order; each filter leads an index of its own. Tasks
# are the hot table (several updates per task), so they get only what the lists need.
_INDEXES: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS agents_created ON agents.agents (created_at, id)",
    "CREATE INDEX IF NOT EXISTS agents_project ON agents.agents (project_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS agents_status ON agents.agents (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS agent_keys_agent ON agents.agent_keys (agent_id, created_at)",
    "CREATE INDEX IF NOT EXISTS workflows_created ON agents.workflows (created_at, id)",
    "CREATE INDEX IF NOT EXISTS workflows_project ON agents.workflows (project_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS executions_created ON agents.executions (created_at, id)",
    "CREATE INDEX IF NOT EXISTS executions_workflow"
    " ON agents.executions (workflow_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS executions_status ON agents.executions (status, created_at, id)",
    "CREATE INDEX IF NOT EXISTS executions_project"
    " ON agents.executions (project_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS tasks_created ON agents.tasks (created_at, id)",
    "CREATE INDEX IF NOT EXISTS tasks_status ON agents.tasks (status, created_at, id)",
    # Also what an agent's in_flight count reads (its assigned and running tasks).
    "CREATE INDEX IF NOT EXISTS tasks_agent ON agents.tasks (agent_id, status)"
    " WHERE agent_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS tasks_project ON agents.tasks (project_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS tasks_execution ON agents.tasks (execution_id)"
    " WHERE execution_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS messages_created ON agents.messages (created_at)",
)

# Which commands' events the projector has applied (the edge's read-your-writes waits on it).
_APPLIED = (applied_commands_ddl(SCHEMA),)

STATEMENTS: tuple[str, ...] = (*_TABLES, *_INDEXES, *_APPLIED)


async def migrate(pool: Any) -> None:
    """Create the ``agents`` schema, its tables and indexes if missing (an aiopg pool)."""
    async with pool.acquire() as conn, conn.cursor() as cur, cur.begin():
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        for statement in STATEMENTS:
            await cur.execute(statement)
