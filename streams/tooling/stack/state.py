"""The persisted record of the local stack (ports, pids, ids) and the lock around changing it."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from streams.tooling.stack.errors import StackError
from streams.tooling.stack.paths import StackPaths

FORMAT_VERSION = 1


@dataclass
class ComponentState:
    """What we know about one local server: its ports, the pid we started, other ids."""

    ports: dict[str, int] = field(default_factory=dict)
    pid: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"ports": dict(self.ports), "pid": self.pid, "extra": dict(self.extra)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ComponentState:
        """Parse the JSON form (unknown keys ignored)."""
        pid = raw.get("pid")
        return cls(
            ports={str(k): int(v) for k, v in (raw.get("ports") or {}).items()},
            pid=int(pid) if pid is not None else None,
            extra={str(k): str(v) for k, v in (raw.get("extra") or {}).items()},
        )


@dataclass
class StackState:
    """Per-component state of one local stack."""

    components: dict[str, ComponentState] = field(default_factory=dict)

    def component(self, name: str) -> ComponentState:
        """The state of one component, created empty on first use."""
        return self.components.setdefault(name, ComponentState())

    def ports_in_use(self, *, except_component: str | None = None) -> set[int]:
        """Every port recorded for the stack, optionally leaving one component out."""
        return {
            port
            for name, comp in self.components.items()
            if name != except_component
            for port in comp.ports.values()
        }

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "version": FORMAT_VERSION,
            "components": {name: comp.to_json() for name, comp in self.components.items()},
        }


def load_state(paths: StackPaths) -> StackState | None:
    """The state file's content, or None when the stack has never been started here."""
    try:
        raw = json.loads(paths.state_file.read_text())
        components = raw.get("components") or {}
        return StackState(
            {str(name): ComponentState.from_json(comp) for name, comp in components.items()}
        )
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, AttributeError) as exc:
        raise StackError(
            f"the stack state file {paths.state_file} is unreadable ({exc}); "
            "stop any servers it started and delete it"
        ) from exc


def save_state(paths: StackPaths, state: StackState) -> None:
    """Write the state file atomically (readers never see half a file)."""
    paths.ensure_root()
    tmp = paths.state_file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, paths.state_file)


@contextmanager
def state_lock(paths: StackPaths, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the stack's lock so two `up`/`down` runs never start the same server twice."""
    paths.ensure_root()
    with paths.lock_file.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
