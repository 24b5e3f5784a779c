"""What the agents routes depend on: the read model and how long to wait for it to catch up."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from agents_svc.api.readmodel.agents_read_model import AgentsReadModel

READ_YOUR_WRITES_ENV = "DAFNCK_READ_YOUR_WRITES_S"


@dataclass
class AgentsApiDeps:
    """The agents routes' dependencies (real ones in the edge, fakes in unit tests)."""

    read_model: AgentsReadModel
    # After a change succeeds, how long a route waits for the read model to show it, so a
    # GET right after the answer sees the change (as the users routes do).
    read_your_writes_s: float = 3.0
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

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
