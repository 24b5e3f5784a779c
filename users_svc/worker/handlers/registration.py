"""CreateUser in two steps: claim the email (keyed by it), then create the user (keyed by id).

1. ``claim_email`` runs on the email-claim aggregate (``email:<normalized email>``): the
   domain admits the account (every rule), a free email, or one this user id already
   holds, is claimed and a UserRegistration with the admitted (clean) fields goes to
   user-registrations keyed by the user id. No reply yet. Another holder: 409 email_taken.
2. ``register`` runs on the user aggregate: it trusts the claim step's admission (the rules
   do not run a third time), creates the user, emits UserCreated and CredentialsChanged,
   and answers the *original* CreateUser (its id travels in the data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import topics
from streams.commands import succeed
from streams.context import HandlerContext, PermanentError
from users_svc.domain.admission import Admitted
from users_svc.domain.claims import claim_email, claim_key, is_taken
from users_svc.domain.credentials import credentials_changed
from users_svc.domain.errors import DomainError
from users_svc.domain.profile import normalize_email
from users_svc.domain.sessions import Account
from users_svc.domain.users import UserDecision, register_admitted, register_user
from users_svc.worker.handlers.aggregate_state import (
    claim_state,
    load_account,
    load_claim,
    require_subject,
)
from users_svc.worker.handlers.emission import emit_all, user_view
from users_svc.worker.handlers.refusals import refuse
from users_svc.worker.handlers.worker_deps import UsersWorkerDeps

REGISTRATION = "UserRegistration"


class Registration:
    """The two steps of CreateUser."""

    def __init__(self, deps: UsersWorkerDeps) -> None:
        self.deps = deps

    async def claim_email(self, ctx: HandlerContext) -> None:
        """CreateUser on its email claim: claim and pass on, or 409 email_taken."""
        data, command, now = ctx.data, ctx.envelope, self.deps.clock()
        claim = load_claim(ctx.state)
        try:
            require_subject(ctx, claim_key(data["email"]), "email")
            # Every rule is checked here, once: an email is claimed only for an account the
            # second step then creates as admitted.
            user, _ = self._decide(data, email_taken=is_taken(claim, data["user_id"]), now=now)
        except DomainError as refused:
            refuse(ctx, refused, command_id=command.id, command_type=command.type)
            return
        claim = claim_email(claim, email=user.email, user_id=user.id, now=now)
        ctx.state = claim_state(claim)
        registration = {
            "command_id": command.id,
            "command_type": command.type,
            "user_id": claim.user_id,
            "email": user.email,
            "display_name": user.display_name,
            "password_hash": user.password_hash,
            "roles": list(user.roles),
            "created_by": user.created_by,
        }
        ctx.emit(topics.USER_REGISTRATIONS, REGISTRATION, claim.user_id, registration)

    async def register(self, ctx: HandlerContext) -> None:
        """UserRegistration on the user aggregate: create the user and answer CreateUser."""
        data = ctx.data
        answering = {"command_id": data["command_id"], "command_type": data["command_type"]}
        if ctx.envelope.subject != data["user_id"]:
            raise PermanentError("a registration is keyed by its canonical user_id")
        existing = load_account(ctx.state)
        if existing is not None:
            self._exists(ctx, existing, data["email"], answering)
            return
        now = self.deps.clock()
        # The claim step admitted these fields and holds the email for this user id.
        admitted = Admitted(
            data["user_id"], data["email"], data["display_name"], tuple(data["roles"]),
            data["created_by"],
        )
        user, events = register_admitted(admitted, password_hash=data["password_hash"], now=now)
        ctx.state = Account(user).to_dict()
        emit_all(ctx, topics.USER_EVENTS, events, now)
        emit_all(ctx, topics.USER_CREDENTIALS, [credentials_changed(user)], now)
        succeed(ctx, user_view(user), http_status=201, topic=topics.USER_REPLIES, **answering)

    def _exists(
        self, ctx: HandlerContext, account: Account, email: str, answering: dict[str, str]
    ) -> None:
        # The same user id and email again is a retried CreateUser: answer it as created.
        if account.user.email_normalized == normalize_email(email):
            view = user_view(account.user)
            succeed(ctx, view, http_status=201, topic=topics.USER_REPLIES, **answering)
            return
        refused = DomainError("user_exists", "A user with this id exists.", "user_id")
        refuse(ctx, refused, **answering)

    def _decide(self, data: dict[str, Any], *, email_taken: bool, now: datetime) -> UserDecision:
        return register_user(
            user_id=data["user_id"],
            email=data["email"],
            display_name=data["display_name"],
            password_hash=data["password_hash"],
            roles=data["roles"],
            created_by=data["created_by"],
            custom_roles=self.deps.custom_roles,
            email_taken=email_taken,
            now=now,
        )
