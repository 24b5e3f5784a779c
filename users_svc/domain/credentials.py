"""Credential commands on the User aggregate: password change/reset, rehash, login check.

Changing or resetting a password bumps ``credentials_version`` and sets
``sessions_revoked_at``: refresh-token families issued under the old version are refused
(``tokens.refresh``) and revoked (``tokens.revoke_stale``), so every session ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from users_svc.domain import events as ev
from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.passwords import (
    PasswordHashing,
    check_password,
    require_password_hash,
    same_password,
)
from users_svc.domain.profile import clean_uuid
from users_svc.domain.users import User, UserDecision, require_active

CREDENTIALS_CHANGED = "CredentialsChanged"


def _new_credentials(user: User, password_hash: str, now: datetime) -> User:
    return replace(
        user,
        password_hash=password_hash,
        credentials_version=user.credentials_version + 1,
        sessions_revoked_at=now,
        updated_at=now,
    )


def change_password(
    user: User,
    *,
    current_password: str,
    new_password: str,
    now: datetime,
    passwords: PasswordHashing,
) -> UserDecision:
    """The user changes their own password; every session (token family) is revoked."""
    require_aware(now)
    require_active(user)
    if not passwords.verify(user.password_hash, current_password):
        raise DomainError(
            "invalid_current_password", "The current password is wrong.", "current_password"
        )
    if same_password(new_password, current_password):
        raise DomainError(
            "password_unchanged", "The new password must differ from the current one.", "password"
        )
    check_password(new_password, user.email)
    # No event: credentials never travel on user-events; the version bump is the signal.
    return _new_credentials(user, passwords.hash(new_password), now), []


def reset_password(
    user: User, *, new_password: str, now: datetime, passwords: PasswordHashing
) -> UserDecision:
    """An administrator sets a new password; every session is revoked."""
    require_aware(now)
    require_active(user)
    check_password(new_password, user.email)
    return _new_credentials(user, passwords.hash(new_password), now), []


def set_password_hash(
    user: User, *, password_hash: str, changed_by: str, now: datetime
) -> UserDecision:
    """Store a new password the edge checked and hashed; every session is revoked."""
    require_aware(now)
    changed_by = clean_uuid(changed_by, "changed_by")
    require_active(user)
    require_password_hash(password_hash)
    # PasswordChanged says that it happened and who did it; the hash travels only on the
    # users context's internal user-credentials topic.
    changed = _new_credentials(user, password_hash, now)
    return changed, [ev.password_changed(user.id, changed_by)]


def rehash_password(
    user: User, *, password: str, now: datetime, passwords: PasswordHashing
) -> User:
    """After a good login, store a hash with current parameters (sessions stay valid)."""
    require_aware(now)
    return replace(user, password_hash=passwords.hash(password), updated_at=now)


@dataclass(frozen=True)
class LoginCheck:
    """Whether the credentials are good, and whether the stored hash should be renewed."""

    ok: bool
    needs_rehash: bool = False


def authenticate(user: User | None, password: str, passwords: PasswordHashing) -> LoginCheck:
    """Check a login; unknown and deactivated accounts fail exactly like a wrong password."""
    if user is None or not user.is_active:
        # Same argon2 work either way, so response time doesn't tell who has an account.
        passwords.verify_dummy(password)
        return LoginCheck(ok=False)
    if not passwords.verify(user.password_hash, password):
        return LoginCheck(ok=False)
    return LoginCheck(ok=True, needs_rehash=passwords.needs_rehash(user.password_hash))


def credentials_changed(user: User) -> ev.DomainEvent:
    """``CredentialsChanged`` for the internal user-credentials topic: sign-in data as it stands.

    The one event that carries the password hash; it never goes to user-events.
    """
    return ev.DomainEvent(
        CREDENTIALS_CHANGED,
        {
            "user_id": user.id,
            "email_normalized": user.email_normalized,
            "password_hash": user.password_hash,
            "credentials_version": user.credentials_version,
            "status": user.status,
        },
    )
