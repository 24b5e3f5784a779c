"""The User aggregate and its commands: pure functions returning ``(new_user, events)``.

Email uniqueness cannot be decided inside one aggregate (the users table is keyed by user
id), so commands that set an email take ``email_taken``: the caller's answer from an email
index keyed by ``normalize_email(email)``. To make that answer race-free the caller must
serialise claims per normalized email, e.g. a claim message keyed by the normalized email
that reserves it in the index (one partition owns each key, so two claims on one email are
processed in order), then the create/update keyed by user id (``users_svc`` does exactly
this: see its DESIGN.md). A normalized email equal to the user's own is never "taken".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from users_svc.domain import events as ev
from users_svc.domain.admission import DEFAULT_ROLES as DEFAULT_ROLES  # re-exported
from users_svc.domain.admission import MAX_ROLES, Admitted, admit
from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.passwords import PasswordHashing, check_password, require_password_hash
from users_svc.domain.profile import (
    clean_display_name,
    clean_email,
    clean_reason,
    clean_uuid,
    normalize_email,
)
from users_svc.domain.rbac import CustomRole, require_role, validate_role_name

Status = Literal["active", "deactivated"]
ACTIVE: Status = "active"
DEACTIVATED: Status = "deactivated"
# A person signs in with email and password; a service account (a machine) with API keys.
Kind = Literal["user", "service"]
PERSON: Kind = "user"
SERVICE: Kind = "service"
UserDecision = tuple["User", list[ev.DomainEvent]]


@dataclass(frozen=True)
class User:
    """A user account: profile, roles, status and credentials."""

    id: str
    email: str
    email_normalized: str
    display_name: str
    roles: tuple[str, ...]
    status: Status
    password_hash: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    # Bumped by every password change/reset and deactivation: refresh-token families and
    # access tokens minted under an older version are dead.
    credentials_version: int = 1
    sessions_revoked_at: datetime | None = None
    kind: Kind = PERSON

    @property
    def is_active(self) -> bool:
        """True unless the account was deactivated."""
        return self.status == ACTIVE

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the Faust table (never put this in an event: it holds the hash)."""
        revoked = self.sessions_revoked_at
        return {
            "id": self.id,
            "email": self.email,
            "email_normalized": self.email_normalized,
            "display_name": self.display_name,
            "roles": list(self.roles),
            "status": self.status,
            "password_hash": self.password_hash,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "created_by": self.created_by,
            "credentials_version": self.credentials_version,
            "sessions_revoked_at": revoked.isoformat() if revoked else None,
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> User:
        """Read back ``to_dict``'s form."""
        revoked = raw.get("sessions_revoked_at")
        return cls(
            id=raw["id"],
            email=raw["email"],
            email_normalized=raw["email_normalized"],
            display_name=raw["display_name"],
            roles=tuple(raw["roles"]),
            status=raw["status"],
            password_hash=raw["password_hash"],
            created_at=datetime.fromisoformat(raw["created_at"]),
            updated_at=datetime.fromisoformat(raw["updated_at"]),
            created_by=raw.get("created_by"),
            credentials_version=int(raw.get("credentials_version", 1)),
            sessions_revoked_at=datetime.fromisoformat(revoked) if revoked else None,
            kind=raw.get("kind", PERSON),
        )


def require_active(user: User) -> None:
    """Refuse a change to a deactivated account."""
    if not user.is_active:
        raise DomainError("user_deactivated", "This account is deactivated.", None)


def _email_taken_error() -> DomainError:
    return DomainError("email_taken", "An account with this email already exists.", "email")


def _created(admitted: Admitted, password_hash: str, now: datetime) -> UserDecision:
    user = User(
        id=admitted.user_id,
        email=admitted.email,
        email_normalized=normalize_email(admitted.email),
        display_name=admitted.display_name,
        roles=admitted.roles,
        status=ACTIVE,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
        created_by=admitted.created_by,
    )
    event = ev.user_created(
        user.id, user.email, user.display_name, user.roles, admitted.created_by
    )
    return user, [event]


def create_user(
    *,
    user_id: str,
    email: str,
    display_name: str,
    password: str,
    now: datetime,
    email_taken: bool,
    passwords: PasswordHashing,
    roles: Iterable[str] | None = None,
    custom_roles: Mapping[str, CustomRole] | None = None,
    created_by: str | None = None,
) -> UserDecision:
    """Create an active account (``email_taken``: the caller's lookup of the normalized email)."""
    require_aware(now)
    admitted = admit(user_id, email, display_name, roles, custom_roles, created_by)
    check_password(password, admitted.email)
    if email_taken:
        raise _email_taken_error()
    # Hash last: it is the expensive step and every cheap rule has passed by now.
    return _created(admitted, passwords.hash(password), now)


def register_user(
    *,
    user_id: str,
    email: str,
    display_name: str,
    password_hash: str,
    now: datetime,
    email_taken: bool,
    roles: Iterable[str] | None = None,
    custom_roles: Mapping[str, CustomRole] | None = None,
    created_by: str | None = None,
) -> UserDecision:
    """``create_user`` for a password the edge already checked against the policy and hashed."""
    require_aware(now)
    admitted = admit(user_id, email, display_name, roles, custom_roles, created_by)
    require_password_hash(password_hash)
    if email_taken:
        raise _email_taken_error()
    return _created(admitted, password_hash, now)


def register_admitted(admitted: Admitted, *, password_hash: str, now: datetime) -> UserDecision:
    """The account ``register_user`` already admitted (the email claim's step): no rule again."""
    require_aware(now)
    return _created(admitted, password_hash, now)


def update_profile(
    user: User,
    *,
    updated_by: str,
    now: datetime,
    email: str | None = None,
    display_name: str | None = None,
    email_taken: bool = False,
) -> UserDecision:
    """Change email and/or display name; nothing changed means no event."""
    require_aware(now)
    updated_by = clean_uuid(updated_by, "updated_by")
    require_active(user)
    changes: dict[str, str] = {}
    if email is not None:
        new_email = clean_email(email)
        if normalize_email(new_email) != user.email_normalized and email_taken:
            raise _email_taken_error()
        if new_email != user.email:
            changes["email"] = new_email
    if display_name is not None:
        new_name = clean_display_name(display_name)
        if new_name != user.display_name:
            changes["display_name"] = new_name
    if not changes:
        return user, []
    updated = replace(
        user,
        email=changes.get("email", user.email),
        email_normalized=normalize_email(changes.get("email", user.email)),
        display_name=changes.get("display_name", user.display_name),
        updated_at=now,
    )
    return updated, [ev.user_updated(user.id, changes, updated_by)]


def deactivate_user(
    user: User, *, deactivated_by: str, reason: str, now: datetime
) -> UserDecision:
    """Deactivate the account and end its sessions; already deactivated means no event."""
    require_aware(now)
    deactivated_by = clean_uuid(deactivated_by, "deactivated_by")
    reason = clean_reason(reason)
    if not user.is_active:
        return user, []
    updated = replace(
        user,
        status=DEACTIVATED,
        credentials_version=user.credentials_version + 1,
        sessions_revoked_at=now,
        updated_at=now,
    )
    return updated, [ev.user_deactivated(user.id, deactivated_by, reason)]


def assign_role(
    user: User,
    *,
    role: str,
    assigned_by: str,
    now: datetime,
    custom_roles: Mapping[str, CustomRole] | None = None,
) -> UserDecision:
    """Grant a role; granting one already held is a no-op with no event."""
    require_aware(now)
    assigned_by = clean_uuid(assigned_by, "assigned_by")
    require_role(role, custom_roles or {}, "role")
    require_active(user)
    if role in user.roles:
        return user, []
    if len(user.roles) >= MAX_ROLES:
        raise DomainError("too_many_roles", f"At most {MAX_ROLES} roles per user.", "role")
    updated = replace(user, roles=tuple(sorted((*user.roles, role))), updated_at=now)
    return updated, [ev.role_assigned(user.id, role, assigned_by)]


def revoke_role(user: User, *, role: str, revoked_by: str, now: datetime) -> UserDecision:
    """Take a role away; revoking one not held is a no-op with no event."""
    require_aware(now)
    revoked_by = clean_uuid(revoked_by, "revoked_by")
    validate_role_name(role, "role")
    if role not in user.roles:
        return user, []
    # Allowed on deactivated accounts too: removing privilege is always safe.
    updated = replace(user, roles=tuple(r for r in user.roles if r != role), updated_at=now)
    return updated, [ev.role_revoked(user.id, role, revoked_by)]
