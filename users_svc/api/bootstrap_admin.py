"""The first administrator: created at edge start through the ordinary CreateUser command.

Its user id derives from its email, so every start (and every edge replica) sends the same
command and the users worker's email claim makes it happen once. In development a missing
``DAFNCK_BOOTSTRAP_ADMIN_PASSWORD`` gets a generated one, written to
``$DAFNCK_STATE_DIR/bootstrap-admin.txt`` (mode 600); in production it is an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from streams.commands import CommandBus, Completed, Pending
from streams.readmodel_pool import ReadModelUnavailable
from streams.registry import SchemaViolation
from users_svc.api.command_sending import USER_COMMANDS, email_subject
from users_svc.api.deps import UsersApiDeps, in_thread
from users_svc.api.settings import IdentitySettings
from users_svc.domain.errors import DomainError
from users_svc.domain.passwords import check_password
from users_svc.domain.profile import clean_email, normalize_email

log = logging.getLogger("dafnck.users.bootstrap")
# Fixed forever: changing it would make a restart create a second administrator.
NAMESPACE = uuid.UUID("5b0c5a1e-3f7d-4f0a-9a43-2d1f0e6b8c55")
PASSWORD_FILE = "bootstrap-admin.txt"
ACTOR = "edge"
DISPLAY_NAME = "Administrator"
WAIT_S = 30.0
MAX_BACKOFF_S = 30.0


class BootstrapError(Exception):
    """The administrator cannot be created as configured."""


def admin_user_id(email: str) -> str:
    """The administrator's id: the same for the same email on every start."""
    return str(uuid.uuid5(NAMESPACE, normalize_email(email)))


def _generated_password() -> str:
    # token_urlsafe may lack a class by chance; the fixed tail guarantees four of them.
    return f"{secrets.token_urlsafe(18)}-Dk7"


def _read_file(path: Path) -> str | None:
    for line in path.read_text("utf-8").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "password" and value.strip():
            return value.strip()
    return None


def _write_file(path: Path, email: str, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"email: {email}\npassword: {password}\n")
    os.replace(tmp, path)


def admin_password(settings: IdentitySettings) -> str:
    """The configured password, the one generated earlier, or (development) a new one."""
    email = settings.bootstrap_email
    if settings.bootstrap_password:
        password = settings.bootstrap_password
    elif settings.production:
        raise BootstrapError(
            f"no administrator {email} exists and DAFNCK_BOOTSTRAP_ADMIN_PASSWORD is not set "
            "(required in production: there is no default password)"
        )
    else:
        path = settings.state_dir / PASSWORD_FILE
        kept = _read_file(path) if path.exists() else None
        password = kept or _generated_password()
        if kept is None:
            _write_file(path, email, password)
        log.warning("bootstrap administrator password is in %s", path, extra={"email": email})
    try:
        check_password(password, email)
    except DomainError as exc:
        raise BootstrapError(f"DAFNCK_BOOTSTRAP_ADMIN_PASSWORD: {exc.message}") from None
    return password


@dataclass
class BootstrapAdmin:
    """Makes sure the configured administrator exists."""

    deps: UsersApiDeps
    bus: CommandBus
    first_backoff_s: float = 1.0

    @property
    def email(self) -> str:
        """The administrator's email."""
        return self.deps.settings.bootstrap_email

    async def exists(self) -> bool | None:
        """Whether the read model shows the account; None when it cannot say."""
        try:
            found = await self.deps.read_model.user_by_email(normalize_email(self.email))
        except ReadModelUnavailable:
            return None
        return found is not None

    async def prepare(self) -> str | None:
        """At start: None when nothing is to do, else the password to create it with."""
        try:
            clean_email(self.email)
        except DomainError as exc:
            raise BootstrapError(f"DAFNCK_BOOTSTRAP_ADMIN_EMAIL: {exc.message}") from None
        try:
            present = await asyncio.wait_for(self.exists(), 5.0)
        except TimeoutError:
            present = None
        if present:
            log.info("bootstrap administrator exists", extra={"email": self.email})
            return None
        return admin_password(self.deps.settings)

    async def create(self, password: str) -> None:
        """Send CreateUser and wait for the worker, retrying while it cannot be reached."""
        user_id = admin_user_id(self.email)
        data = {
            "user_id": user_id,
            "email": self.email,
            "display_name": DISPLAY_NAME,
            "password_hash": await in_thread(self.deps.passwords.hash, password),
            "roles": ["admin"],
            "created_by": None,
        }
        backoff = self.first_backoff_s
        while not await self.exists():
            try:
                if await self._send(data):
                    return
            except SchemaViolation as exc:
                log.error("cannot send CreateUser", extra={"error": exc.detail})
            except (KafkaError, RedisError, OSError) as exc:
                log.warning("bootstrap administrator not sent yet", extra={"error": str(exc)})
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    async def _send(self, data: dict[str, object]) -> bool:
        """True once the worker answered (created, or the email belongs to someone else)."""
        envelope = self.bus.build(
            USER_COMMANDS, "CreateUser", email_subject(self.email), dict(data), actor=ACTOR
        )
        outcome = await self.bus.send(USER_COMMANDS, envelope, timeout_s=WAIT_S)
        while isinstance(outcome, Pending):
            log.info("waiting for the users worker to create the administrator")
            deadline = asyncio.get_running_loop().time() + WAIT_S
            outcome = await self.bus.wait(outcome.command_id, deadline=deadline)
        assert isinstance(outcome, Completed)
        reply = outcome.reply
        if reply.status == "succeeded":
            log.info("bootstrap administrator created", extra={"email": self.email})
        else:
            error = reply.error.message if reply.error else reply.status
            log.error("bootstrap administrator refused", extra={"error": error})
        return True


Context = Callable[[web.Application], AsyncIterator[None]]


def bootstrap_contexts(deps: UsersApiDeps, bus: CommandBus) -> tuple[Context, Context]:
    """aiohttp cleanup contexts: a check to run before the bus starts, creation after it.

    The check fails the start (production without a password) before anything else has
    connected; the creation runs in the background once the bus is up.
    """
    admin = BootstrapAdmin(deps, bus)
    password: list[str] = []

    async def check(_app: web.Application) -> AsyncIterator[None]:
        try:
            wanted = await admin.prepare()
        except BootstrapError:
            await deps.close()  # nothing after this context will run to close it
            raise
        password.extend([wanted] if wanted is not None else [])
        yield

    async def create(_app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(admin.create(password[0])) if password else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return check, create
