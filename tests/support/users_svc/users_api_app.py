"""The edge app with the users routes over fakes: FakeBus + FakeUsersService, memory stores.

With ``projection_lag_s`` the real users domain decides instead (``DomainBus``), its events
reach the read model through the in-memory projector that late, and the routes wait on the
in-memory ``AppliedWaiter`` stand-in it notifies.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import jwt
from aiohttp.test_utils import TestClient, TestServer

from agents_svc.api.deps import AgentsApiDeps as Agents
from edge.app import EdgeConfig, build_app
from edge.auth.wiring import EdgeSecurity, SecuritySettings
from edge.cors import CorsPolicy
from edge.services import EdgeServices
from streams.http.denylist import MemoryDenyList
from streams.http.jwks import StaticJwksProvider
from streams.http.read_your_writes import APPLIED, AppliedWaiter
from tests.support.streams.fake_bus import FakeBus
from tests.support.users_svc.applied_waiter_fake import InMemoryAppliedWaiter
from tests.support.users_svc.domain_bus import DomainBus
from tests.support.users_svc.fake_users_service import FakeReadModel, FakeUsersService
from tests.support.users_svc.projector_in_memory import InMemoryUsersProjector
from tests.support.users_svc.worker_in_memory import UsersWorld
from topics import USER_COMMANDS
from users_svc.api.command_sending import email_subject
from users_svc.api.deps import UsersApiDeps
from users_svc.api.permissions import RbacPermissions
from users_svc.api.redis_stores import MemoryLoginThrottle, MemoryRefreshGrace
from users_svc.api.settings import IdentitySettings
from users_svc.api.signing.ring import KeyRing
from users_svc.domain.passwords import Argon2Params, Argon2Passwords

ISSUER = "dafnck-users"
AUDIENCE = "dafnck-api"
ORIGIN = "https://app.dafnck.test"
CONFIG = EdgeConfig("kafka.test:9092", "postgresql://db.test/dafnck", "redis://redis.test:6379/0")
# Real argon2id, cheap parameters: unit tests hash a lot.
FAST = Argon2Passwords(Argon2Params(time_cost=1, memory_cost_kib=1024))
PASSWORD = "Correct-Horse-42"


@dataclass
class Harness:
    """A running test client and every fake behind it."""

    client: TestClient
    bus: FakeBus
    service: FakeUsersService
    read_model: FakeReadModel
    deny: MemoryDenyList
    throttle: MemoryLoginThrottle
    grace: MemoryRefreshGrace
    identity: UsersApiDeps
    ring: KeyRing
    waiter: InMemoryAppliedWaiter | None = None

    def add_user(
        self, email: str, roles: list[str], password: str = PASSWORD, name: str = "Someone"
    ) -> str:
        """A user straight in the fake service (no HTTP), returning its id."""
        user_id = str(uuid.uuid4())
        data = {
            "user_id": user_id,
            "email": email,
            "display_name": name,
            "password_hash": FAST.hash(password),
            "roles": roles,
            "created_by": None,
        }
        envelope = self.bus.build(USER_COMMANDS, "CreateUser", email_subject(email), data)
        reply = self.service.answer(envelope)
        assert reply is not None and reply.status == "succeeded"
        return user_id

    async def login(self, email: str, password: str = PASSWORD) -> dict[str, Any]:
        """Sign in; the token response body (asserts 200)."""
        response = await self.client.post(
            "/api/auth/login", json={"email": email, "password": password}
        )
        body = await response.json(content_type=None)
        assert response.status == 200, body
        return dict(body)

    async def bearer(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        """The Authorization header of a fresh sign-in."""
        return {"Authorization": f"Bearer {(await self.login(email, password))['access_token']}"}

    def sign(self, sub: str, roles: list[str], **claims: Any) -> dict[str, str]:
        """A header with a token signed directly by the ring (no session)."""
        token = self.ring.sign(sub, audience=AUDIENCE, roles=roles, extra_claims=claims or None)
        return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, unverified (the tests check them)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


@asynccontextmanager
async def identity_app(
    tmp: Path,
    *,
    agents: Agents | None = None,
    projection_lag_s: float | None = None,
    **settings: Any,
) -> AsyncIterator[Harness]:
    """The edge with fakes behind the users routes (and the agents routes, given ``agents``)."""
    ring = KeyRing.generate(ISSUER, max_token_lifetime_s=3600)
    deny, read_model = MemoryDenyList(), FakeReadModel()
    service = FakeUsersService(read_model)
    bus = FakeBus(service.answer)
    waiter = None
    if projection_lag_s is not None:
        waiter = InMemoryAppliedWaiter()
        projector = InMemoryUsersProjector(read_model, waiter)
        bus = DomainBus(UsersWorld(), projector, projection_lag_s)
    throttle, grace = MemoryLoginThrottle(), MemoryRefreshGrace()
    options = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "access_ttl_s": 900,
        "state_dir": tmp,
        "keys_dir": tmp / "keys",
        "read_your_writes_s": 0.2,
        **settings,
    }
    identity = UsersApiDeps(
        IdentitySettings(**options), ring, read_model, throttle, grace, deny, FAST
    )
    gate = EdgeSecurity.gate_for(
        SecuritySettings(issuer=ISSUER, audience=AUDIENCE),
        RbacPermissions(identity.custom_roles),
        StaticJwksProvider(ring.jwks),
        deny,
    )
    security = EdgeSecurity(gate, CorsPolicy.from_origins([ORIGIN]))
    services = EdgeServices(security, bus, identity, bootstrap_admin=False, agents=agents)  # type: ignore[arg-type]
    app = build_app(CONFIG, services)
    if waiter is not None:
        app[APPLIED] = cast(AppliedWaiter, waiter)  # the same wait, notified in memory
    async with TestClient(TestServer(app)) as client:
        yield Harness(
            client, bus, service, read_model, deny, throttle, grace, identity, ring, waiter
        )
