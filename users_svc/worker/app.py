"""The users worker: commands → decisions → events, replies and the read model.

Wiring lives here and only here. Flow:

    user-commands (CreateUser keyed email:<norm>; DefineRole, DeleteRole and AssignRole of a
      custom role keyed role:<name>; the rest keyed by user id)
      → handlers (registration, profile, sessions, machines, roles) on one shared table
      → user-registrations → registration.register / roles.grant (same table)
      → user-events, user-credentials, user-replies
    user-events, user-credentials → projector → Postgres (users.users, users.credentials)
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import faust

import topics
from streams.app import create_app
from streams.commands import replying
from streams.context import HandlerContext
from streams.pipeline import Handler
from streams.settings import WorkerSettings
from streams.worker import aggregate_table, consume
from users_svc.domain.roles import ROLE_PREFIX
from users_svc.domain.token_family import DEFAULT_POLICY, TokenPolicy
from users_svc.worker.handlers.machines import Machines
from users_svc.worker.handlers.profile import Profile
from users_svc.worker.handlers.refusals import deciding
from users_svc.worker.handlers.registration import Registration
from users_svc.worker.handlers.roles import Roles
from users_svc.worker.handlers.sessions import Sessions
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps
from users_svc.worker.projector import READ_MODEL_APPLIES, UsersProjector

REFRESH_TTL_ENV = "DAFNCK_REFRESH_TTL_S"


def token_policy_from_env() -> TokenPolicy:
    """The refresh-token policy; ``DAFNCK_REFRESH_TTL_S`` sets the lifetime (default 7 days)."""
    raw = os.environ.get(REFRESH_TTL_ENV, "").strip()
    if not raw:
        return DEFAULT_POLICY
    try:
        seconds = int(raw)
    except ValueError:
        message = f"{REFRESH_TTL_ENV} must be a whole number of seconds, got {raw!r}"
        raise ValueError(message) from None
    if seconds <= 0:
        raise ValueError(f"{REFRESH_TTL_ENV} must be positive, got {seconds}")
    return TokenPolicy(ttl=timedelta(seconds=seconds))


def database_url_from_env() -> str:
    """Where the read model lives: ``DATABASE_URL``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        raise ValueError("no Postgres: set DATABASE_URL or start the local stack (dafnck up)")
    return url


def command(handler: Handler) -> Handler:
    """A user command handler: domain refusals become replies, and it must always answer."""
    return replying(deciding(handler), topic=topics.USER_REPLIES)


def command_handlers(deps: UsersWorkerDeps) -> dict[str, Handler]:
    """The handler of every type on user-commands."""
    registration, profile, sessions = Registration(deps), Profile(deps), Sessions(deps)
    machines, roles = Machines(deps), Roles(deps)
    return {
        # Answered by the registration step, or by the claim step itself when refused.
        "CreateUser": registration.claim_email,
        "UpdateUser": command(profile.update_user),
        "DeactivateUser": command(profile.deactivate_user),
        # Keyed by the user for a built-in role, by role:<name> for a custom one.
        "AssignRole": by_subject(roles.grant_step, command(profile.assign_role)),
        "RevokeRole": command(profile.revoke_role),
        "ChangePassword": command(profile.change_password),
        "StartSession": command(sessions.start_session),
        "RefreshSession": command(sessions.refresh_session),
        "EndSession": command(sessions.end_session),
        "EndAllSessions": command(sessions.end_all_sessions),
        "RecordLoginFailure": command(sessions.record_login_failure),
        "CreateServiceAccount": command(machines.create_service_account),
        "IssueApiKey": command(machines.issue_api_key),
        "RevokeApiKey": command(machines.revoke_api_key),
        "DefineRole": command(roles.define_role),
        "DeleteRole": command(roles.delete_role),
    }


def by_subject(on_role: Handler, on_user: Handler) -> Handler:
    """One handler for commands keyed ``role:<name>``, another for those keyed by user."""

    async def run(ctx: HandlerContext) -> None:
        if ctx.envelope.subject.startswith(ROLE_PREFIX):
            await on_role(ctx)  # answers only a refusal: the grant step answers the rest
        else:
            await on_user(ctx)

    return run


def registration_handlers(deps: UsersWorkerDeps) -> dict[str, Handler]:
    """The second steps: UserRegistration (answers CreateUser), CustomRoleGrant (AssignRole)."""
    return {
        "UserRegistration": Registration(deps).register,
        "CustomRoleGrant": Roles(deps).grant,
    }


def build_app(
    settings: WorkerSettings | None = None,
    *,
    deps: UsersWorkerDeps | None = None,
    database_url: str | None = None,
    **overrides: Any,
) -> faust.App:
    """The users Faust app: command agents on a shared table, and the projector's agents."""
    settings = settings or WorkerSettings.from_env(topics.USERS_SERVICE)
    deps = deps or UsersWorkerDeps(policy=token_policy_from_env())
    projector = UsersProjector(database_url or database_url_from_env())
    app = create_app(settings, **overrides)

    # Co-partitioned and keyed by user id: a registration lands on the aggregate that the
    # user's later commands find.
    aggregates = aggregate_table(app, topics.USER_COMMANDS)
    consume(app, topics.USER_COMMANDS, command_handlers(deps), table=aggregates)
    consume(app, topics.USER_REGISTRATIONS, registration_handlers(deps), table=aggregates)

    project = projector.project
    user_events = dict.fromkeys(READ_MODEL_APPLIES[topics.USER_EVENTS.name], project)
    credentials = dict.fromkeys(READ_MODEL_APPLIES[topics.USER_CREDENTIALS.name], project)
    consume(app, topics.USER_EVENTS, user_events, stateful=False, owner_only=True)
    consume(app, topics.USER_CREDENTIALS, credentials, stateful=False, owner_only=True)

    @app.task
    async def migrate_read_model() -> None:
        # At start, so the tables exist before the first event; project() waits for it too.
        await projector.start()

    async def close_read_model(sender: Any, *args: Any, **kwargs: Any) -> None:
        await projector.stop()

    # After the consumer stopped, so no projection is cut off. (mode's handler type is
    # stricter than what it calls handlers with, hence the Any.)
    receiver: Any = close_read_model
    app.on_before_shutdown.connect(receiver)

    return app
