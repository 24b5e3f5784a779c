"""The users read model's schema in Postgres (``users``), created idempotently.

Applied by the users worker at start (and usable by tests): every statement is
``IF NOT EXISTS``, and an advisory lock keeps two processes starting at once from racing on
the catalog (concurrent ``CREATE SCHEMA IF NOT EXISTS`` can still collide).
"""

from __future__ import annotations

from typing import Any

from streams.readmodel_applied import applied_commands_ddl

SCHEMA = "users"
# Any constant shared by every process that migrates this schema.
_LOCK_ID = 0x7573657273  # "users"

STATEMENTS: tuple[str, ...] = (
    "CREATE SCHEMA IF NOT EXISTS users",
    """
    CREATE TABLE IF NOT EXISTS users.users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        email_normalized text NOT NULL UNIQUE,
        display_name text NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        status text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )
    """,
    # Lists page in creation order (keyset pagination on (created_at, id)).
    "CREATE INDEX IF NOT EXISTS users_created_at_id ON users.users (created_at, id)",
    """
    CREATE TABLE IF NOT EXISTS users.credentials (
        user_id uuid PRIMARY KEY,
        email_normalized text NOT NULL UNIQUE,
        password_hash text NOT NULL,
        credentials_version integer NOT NULL,
        status text NOT NULL
    )
    """,
    # Service accounts (kind 'service') have no email.
    "ALTER TABLE users.users ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'user'",
    "ALTER TABLE users.users ALTER COLUMN email DROP NOT NULL",
    "ALTER TABLE users.users ALTER COLUMN email_normalized DROP NOT NULL",
    """
    CREATE TABLE IF NOT EXISTS users.api_keys (
        key_id text PRIMARY KEY,
        owner_id uuid NOT NULL,
        name text NOT NULL,
        scopes text[] NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        revoked_at timestamptz
    )
    """,
    "CREATE INDEX IF NOT EXISTS api_keys_owner ON users.api_keys (owner_id, created_at)",
    """
    CREATE TABLE IF NOT EXISTS users.roles (
        name text PRIMARY KEY,
        permissions text[] NOT NULL,
        description text NOT NULL,
        defined_by uuid,
        created_at timestamptz NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS users.processed_events (
        event_id text PRIMARY KEY,
        topic text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # Events applied per causationid: what the edge's read-your-writes waits on.
    applied_commands_ddl(SCHEMA),
)


async def migrate(pool: Any) -> None:
    """Create the ``users`` schema and its tables if missing (an aiopg pool or engine)."""
    async with pool.acquire() as conn, conn.cursor() as cur, cur.begin():
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        for statement in STATEMENTS:
            await cur.execute(statement)
