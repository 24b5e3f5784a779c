"""The users worker's command side in memory: its real handlers and pipelines, no Kafka.

Commands go through the same EventPipeline the worker runs (schema checks, the shared
aggregate table, outboxes), with a recording sender instead of Kafka and a clock tests
move by hand. UserRegistrations the claim step emits are fed to the registration pipeline
as the worker's second agent would.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import topics
from streams.aggregates import AggregateStore
from streams.envelope import Envelope, decode, encode, new_envelope
from streams.pipeline import EventPipeline, Outcome
from streams.records import Headers, Record
from streams.registry import default_registry
from streams.settings import RetryPolicy
from users_svc.domain.claims import claim_key
from users_svc.domain.token_family import TokenPolicy, format_token, hash_token
from users_svc.worker.app import command_handlers, registration_handlers
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
ADMIN = "6a0d7c3b-5e2f-4b8a-9c1d-7e6f5a4b3c2d"
# argon2id hashes (t=1, m=8 KiB) of "Velvet-Harbor-42" and "Copper-Lantern-77", as the edge
# would send them; the service itself never sees a password.
HASH = (
    "$argon2id$v=19$m=8,t=1,p=1$Cy9BEMSyLe9rMxWriGGYsw$ihgM0qRnaTvfT/fhF6iObFPrviliLFF5oDJX+1XjeB4"
)
OTHER_HASH = (
    "$argon2id$v=19$m=8,t=1,p=1$gxdZ0xVqp2E6jCA2odBgTA$rQ5pNXtJSisCAI2C2b71x9XJXmDIBhkjkiMp+WSj9Fk"
)


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Sent:
    topic: str
    key: bytes | None
    value: bytes

    @property
    def envelope(self) -> Envelope:
        return decode(self.value)


@dataclass
class RecordingSender:
    sent: list[Sent] = field(default_factory=list)

    async def send(self, topic: str, key: bytes | None, value: bytes, headers: Headers) -> None:
        self.sent.append(Sent(topic, key, value))


def token(user_id: str, family_id: str) -> str:
    """A refresh token as the edge mints it."""
    return format_token(user_id, family_id, secrets.token_urlsafe(32))


def email_hash(email: str) -> str:
    """What RecordLoginFailure carries for an email."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


class UsersWorld:
    """Send commands, read what went out."""

    def __init__(self, *, ttl: timedelta = timedelta(days=7)) -> None:
        self.clock = Clock()
        deps = UsersWorkerDeps(clock=self.clock, policy=TokenPolicy(ttl=ttl))
        self.table: dict[str, Any] = {}
        self.sender = RecordingSender()
        self.registry = default_registry()
        self._fed = 0

        def pipeline(spec: topics.TopicSpec, handlers: dict[str, Any]) -> EventPipeline:
            return EventPipeline(
                service=topics.USERS_SERVICE,
                topic=spec,
                handlers=handlers,
                registry=self.registry,
                sender=self.sender,
                retry=RetryPolicy(attempts=1),
                aggregates=AggregateStore(self.table),
            )

        self.commands = pipeline(topics.USER_COMMANDS, command_handlers(deps))
        self.registrations = pipeline(topics.USER_REGISTRATIONS, registration_handlers(deps))

    # --- sending --------------------------------------------------------------------------

    def command(self, type_name: str, subject: str, data: dict[str, Any]) -> Envelope:
        """A command envelope as the edge's CommandBus builds it (schema-checked)."""
        entry = self.registry.latest(topics.USER_COMMANDS.name, type_name)
        envelope = new_envelope(
            source="/dafnck/edge", type=type_name, subject=subject, dataschema=entry.id,
            data=data, actor="edge-user",
        )
        self.registry.check(topics.USER_COMMANDS, envelope)
        return envelope

    async def deliver(self, envelope: Envelope) -> Outcome:
        """Process one command, then every registration it caused."""
        record = Record(
            topics.USER_COMMANDS.name, 0, 0, envelope.subject.encode(), encode(envelope), []
        )
        outcome = await self.commands.process(record)
        await self._feed_registrations()
        return outcome

    async def send(self, type_name: str, subject: str, data: dict[str, Any]) -> Envelope:
        """Build and deliver a command; returns it (its id is what replies answer)."""
        envelope = self.command(type_name, subject, data)
        await self.deliver(envelope)
        return envelope

    async def _feed_registrations(self) -> None:
        while self._fed < len(self.sender.sent):
            sent = self.sender.sent[self._fed]
            self._fed += 1
            if sent.topic == topics.USER_REGISTRATIONS.name:
                record = Record(sent.topic, 0, 0, sent.key, sent.value, [])
                await self.registrations.process(record)

    # --- the users context's commands ------------------------------------------------------

    async def create_user(
        self, email: str, *, user_id: str | None = None, roles: list[str] | None = None,
        subject: str | None = None,
    ) -> tuple[Envelope, str]:
        """CreateUser; returns the command and the user id."""
        user_id = user_id or str(uuid.uuid4())
        data = {
            "user_id": user_id, "email": email, "display_name": "Ada Lovelace",
            "password_hash": HASH, "roles": ["member"] if roles is None else roles,
            "created_by": ADMIN,
        }
        return await self.send("CreateUser", subject or claim_key(email), data), user_id

    async def start_session(
        self, user_id: str, *, version: int = 1, family_id: str | None = None
    ) -> tuple[Envelope, str, str]:
        """StartSession; returns the command, the family id and the first token."""
        family_id = family_id or str(uuid.uuid4())
        first = token(user_id, family_id)
        data = {
            "user_id": user_id, "family_id": family_id, "refresh_token_hash": hash_token(first),
            "credentials_version": version, "client_ip": "203.0.113.7", "user_agent": "pytest",
        }
        return await self.send("StartSession", user_id, data), family_id, first

    async def refresh(
        self, user_id: str, family_id: str, presented: str
    ) -> tuple[Envelope, str]:
        """RefreshSession from ``presented`` to a fresh token; returns the command and it."""
        successor = token(user_id, family_id)
        data = {
            "user_id": user_id, "family_id": family_id,
            "presented_token_hash": hash_token(presented),
            "new_token_hash": hash_token(successor),
        }
        return await self.send("RefreshSession", user_id, data), successor

    # --- reading --------------------------------------------------------------------------

    def on(self, topic: topics.TopicSpec, type_name: str | None = None) -> list[Envelope]:
        """Everything sent to ``topic`` (of ``type_name``), in order."""
        found = [s.envelope for s in self.sender.sent if s.topic == topic.name]
        return [e for e in found if type_name is None or e.type == type_name]

    def replies(self, command: Envelope) -> list[dict[str, Any]]:
        """The data of every reply to ``command``."""
        return [
            e.data for e in self.on(topics.USER_REPLIES) if e.data["command_id"] == command.id
        ]

    def reply(self, command: Envelope) -> dict[str, Any]:
        """The one reply to ``command``."""
        [answer] = self.replies(command)
        return answer
