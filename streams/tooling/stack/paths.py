"""Layout of the state directory that holds the local stack's config, data, logs and pids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from streams.state_dir import default_state_dir


def resolve_state_dir(state_dir: Path | str | None) -> Path:
    """An absolute state directory; the default when none is given."""
    # Absolute and symlink-free, because process command lines are matched against these paths.
    return default_state_dir() if state_dir is None else Path(state_dir).expanduser().resolve()


@dataclass(frozen=True)
class StackPaths:
    """Every file and directory of one local stack, relative to its state directory."""

    root: Path

    @property
    def state_file(self) -> Path:
        """JSON record of ports, pids and ids."""
        return self.root / "stack.json"

    @property
    def lock_file(self) -> Path:
        """Serialises concurrent `up`/`down` on one state directory."""
        return self.root / "stack.lock"

    def component_dir(self, component: str) -> Path:
        """Directory owned by one component (kafka, postgres, redis)."""
        return self.root / component

    def log_file(self, component: str) -> Path:
        """The log a component's server writes."""
        return self.component_dir(component) / f"{component}.log"

    @property
    def kafka_jars(self) -> Path:
        """Cached Kafka runtime classpath."""
        return self.component_dir("kafka") / "jars"

    @property
    def kafka_data(self) -> Path:
        """KRaft metadata and topic partitions."""
        return self.component_dir("kafka") / "data"

    @property
    def kafka_config(self) -> Path:
        """Rendered server.properties."""
        return self.component_dir("kafka") / "server.properties"

    @property
    def pg_data(self) -> Path:
        """The Postgres cluster directory (PGDATA)."""
        return self.component_dir("postgres") / "data"

    @property
    def redis_pidfile(self) -> Path:
        """Pid file the daemonized redis-server writes."""
        return self.component_dir("redis") / "redis.pid"

    def ensure_root(self) -> None:
        """Create the state directory, ignored by git wherever it lives."""
        self.root.mkdir(parents=True, exist_ok=True)
        ignore = self.root / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# dafnck local stack state\n*\n")
