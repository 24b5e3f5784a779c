"""What the agents routes depend on: the read model, and how long a command waits for it."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from agents_svc.api.readmodel.agents_read_model import AgentsReadModel
from agents_svc.worker.migrations import SCHEMA
from agents_svc.worker.projector.event_writer import APPLIES
from streams.http.command_route import ReadModelView

READ_YOUR_WRITES_ENV = "DAFNCK_READ_YOUR_WRITES_S"


@dataclass
class AgentsApiDeps:
    """The agents routes' dependencies (real ones in the edge, fakes in unit tests)."""

    read_model: AgentsReadModel
    # After a change succeeds, how long a route waits for the read model to show it, so a
    # GET right after the answer sees the change (as the users routes do).
    read_your_writes_s: float = 3.0
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # The read model as command routes wait on it: schema ``agents``, the projector's types.
    read_model_view: ReadModelView = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.read_model_view = ReadModelView(SCHEMA, APPLIES, wait_s=self.read_your_writes_s)

    @staticmethod
    def read_your_writes_from_env(env: Mapping[str, str] = os.environ) -> float:
        """``DAFNCK_READ_YOUR_WRITES_S`` (default 3), shared with the users routes."""
        return float(env.get(READ_YOUR_WRITES_ENV, "3"))

    async def close(self) -> None:
        """Release what was opened (the read model's pool)."""
        for close in self.closers:
            await close()


AGENTS = web.AppKey("agents", AgentsApiDeps)


def agents_of(request: web.Request) -> AgentsApiDeps:
    """The app's agents dependencies."""
    return request.app[AGENTS]
