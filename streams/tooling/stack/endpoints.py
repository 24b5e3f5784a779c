"""Where Kafka, Postgres and Redis are: the Endpoints value and the external-mode env vars."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
DATABASE_ENV = "DATABASE_URL"
REDIS_ENV = "REDIS_URL"

# Component name -> the environment variable that points it at external infrastructure.
ENV_VARS: dict[str, str] = {"kafka": KAFKA_ENV, "postgres": DATABASE_ENV, "redis": REDIS_ENV}

PG_USER = "dafnck"
PG_DATABASE = "dafnck"


@dataclass(frozen=True)
class Endpoints:
    """Addresses of the three servers every service needs."""

    kafka_bootstrap: str  # "127.0.0.1:PORT"
    database_url: str  # "postgresql://dafnck@127.0.0.1:PORT/dafnck"
    redis_url: str  # "redis://127.0.0.1:PORT/0"

    def as_env(self) -> dict[str, str]:
        """The endpoints as the environment variables services read."""
        return {
            KAFKA_ENV: self.kafka_bootstrap,
            DATABASE_ENV: self.database_url,
            REDIS_ENV: self.redis_url,
        }

    @classmethod
    def from_components(cls, addresses: Mapping[str, str]) -> Endpoints:
        """Build from a component-name -> address mapping (kafka, postgres, redis)."""
        return cls(
            kafka_bootstrap=addresses["kafka"],
            database_url=addresses["postgres"],
            redis_url=addresses["redis"],
        )


def external_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Components configured externally: component name -> address from its env var."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for component, var in ENV_VARS.items():
        value = env.get(var, "").strip()
        if value:
            found[component] = value
    return found


def kafka_address(port: int) -> str:
    """Bootstrap address of a local broker."""
    return f"127.0.0.1:{port}"


def postgres_url(port: int, database: str = PG_DATABASE) -> str:
    """DATABASE_URL of the local Postgres cluster (trust auth, no password)."""
    return f"postgresql://{PG_USER}@127.0.0.1:{port}/{database}"


def redis_url(port: int) -> str:
    """REDIS_URL of the local Redis."""
    return f"redis://127.0.0.1:{port}/0"


def redact(address: str) -> str:
    """The address with any password replaced by ***, for printing."""
    if "://" not in address:
        return address
    parts = urlsplit(address)
    if parts.password is None:
        return address
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
