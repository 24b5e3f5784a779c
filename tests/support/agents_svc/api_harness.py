"""The edge with the agents routes over fakes: FakeAgentsReadModel and FakeScheduler."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents_svc.api.deps import AgentsApiDeps
from streams.commands import Reply
from streams.envelope import Envelope
from tests.support.agents_svc.fake_backends import FakeAgentsReadModel, FakeScheduler
from tests.support.users_svc.users_api_app import Harness, identity_app
from topics import AGENT_COMMANDS


@dataclass
class AgentsHarness:
    """The running edge, its fakes, and tokens for a user of each built-in role."""

    edge: Harness
    read_model: FakeAgentsReadModel
    scheduler: FakeScheduler
    users: dict[str, str]  # role → user id

    def auth(self, role: str = "admin") -> dict[str, str]:
        """An Authorization header for the user holding ``role``."""
        return self.edge.sign(self.users[role], [role])

    async def call(
        self, method: str, path: str, role: str | None = "admin", **kw: Any
    ) -> tuple[int, Any]:
        """Status and JSON body (None when empty) of one request."""
        headers = {**(self.auth(role) if role else {}), **kw.pop("headers", {})}
        response = await self.edge.client.request(method, path, headers=headers, **kw)
        text = await response.text()
        return response.status, json.loads(text) if text else None

    def sent(self, type_name: str) -> list[Envelope]:
        """The commands of a type sent so far."""
        return self.edge.bus.of_type(type_name)


@asynccontextmanager
async def agents_app(tmp: Path) -> AsyncIterator[AgentsHarness]:
    """The edge with fakes behind both the users and the agents routes."""
    read_model = FakeAgentsReadModel()
    scheduler = FakeScheduler(read_model)
    deps = AgentsApiDeps(read_model=read_model, read_your_writes_s=0.2)
    async with identity_app(tmp, agents=deps) as edge:
        users_answer = edge.bus.answer

        def answer(env: Envelope) -> Reply | None:
            if env.type in AGENT_COMMANDS.types:
                return scheduler.answer(env)
            return users_answer(env)

        edge.bus.answer = answer
        roles = ("admin", "operator", "member", "viewer")
        yield AgentsHarness(edge, read_model, scheduler, {r: str(uuid.uuid4()) for r in roles})
