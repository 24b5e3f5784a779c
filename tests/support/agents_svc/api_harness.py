"""The edge with the agents routes over the real scheduler, in-process, and an in-memory read model.

Commands go through ``InProcessScheduler`` (``agents_svc.domain``); their events reach
``FakeAgentsReadModel`` a moment after the reply, through ``InMemoryAgentsProjector``, which
counts them on the app's ``InMemoryAppliedWaiter``: a route answers a success only once the
read model shows it, exactly as over Kafka and Postgres.
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents_svc.api.deps import AgentsApiDeps
from streams.commands import Completed, Outcome, Reply
from streams.commands.caused import Caused
from streams.envelope import Envelope
from streams.http.read_your_writes import APPLIED, AppliedWaiter
from tests.support.agents_svc.applied_waiter_fake import InMemoryAppliedWaiter
from tests.support.agents_svc.fake_backends import FakeAgentsReadModel
from tests.support.agents_svc.in_memory_projector import InMemoryAgentsProjector
from tests.support.agents_svc.in_process_scheduler import InProcessScheduler
from tests.support.users_svc.users_api_app import Harness, identity_app
from topics import AGENT_COMMANDS

# Generous: a route that does not wait fails its test long before, and a waiting one
# is answered within the projection lag.
READ_YOUR_WRITES_S = 2.0


@dataclass
class AgentsHarness:
    """The running edge, the scheduler and read model behind it, and a user of each role."""

    edge: Harness
    read_model: FakeAgentsReadModel
    scheduler: InProcessScheduler
    waiter: InMemoryAppliedWaiter
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

    async def connect(self, agent_id: str, concurrency: int = 10) -> str:
        """The agent connects (ConnectAgent, as its WebSocket would send); its session id."""
        session = str(uuid.uuid4())
        await self.scheduler.run(
            "ConnectAgent",
            agent_id=agent_id,
            session_id=session,
            capabilities=None,
            concurrency=concurrency,
            running=[],
        )
        return session


@asynccontextmanager
async def agents_app(tmp: Path) -> AsyncIterator[AgentsHarness]:
    """The edge with the users fakes, and the real scheduler behind the agents routes."""
    read_model, waiter = FakeAgentsReadModel(), InMemoryAppliedWaiter()
    scheduler = InProcessScheduler(InMemoryAgentsProjector(read_model, waiter))
    deps = AgentsApiDeps(read_model=read_model, read_your_writes_s=READ_YOUR_WRITES_S)
    async with identity_app(tmp, agents=deps) as edge:
        # The shared identity app is built and started in one step: the waiter joins after.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            edge.client.app[APPLIED] = waiter  # type: ignore[index,assignment]
        caused: dict[str, Caused] = {}
        users_answer = edge.bus.answer

        def answer(env: Envelope) -> Reply | None:
            if env.type not in AGENT_COMMANDS.types:
                return users_answer(env)
            outcome = scheduler.answer(env)
            if outcome is None:
                return None
            caused[env.id] = outcome.caused
            return outcome.reply

        send = edge.bus.send

        async def send_telling_what_it_caused(*args: Any, **kw: Any) -> Outcome:
            # The bus's reply carries what the command caused, as the reply header does.
            outcome = await send(*args, **kw)
            if isinstance(outcome, Completed) and outcome.reply.command_id in caused:
                return Completed(outcome.reply, caused[outcome.reply.command_id])
            return outcome

        edge.bus.answer = answer
        edge.bus.send = send_telling_what_it_caused  # type: ignore[method-assign]
        roles = ("admin", "operator", "member", "viewer")
        users = {r: str(uuid.uuid4()) for r in roles}
        yield AgentsHarness(edge, read_model, scheduler, waiter, users)
        await scheduler.settled()


__all__ = ["AgentsHarness", "AppliedWaiter", "agents_app"]
