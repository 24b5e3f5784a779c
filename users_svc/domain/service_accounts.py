"""Service accounts: principals for machines, with roles, without email or password.

A service account is a ``User`` of kind ``service``: it has no credentials, so it can never
sign in with a password; it proves itself with an API key, which the edge exchanges for a
short-lived access token. Keys are minted at the edge (``api_keys.issue_api_key``), which
sends only the secret's hash; the account keeps the keys it issued, revoked ones too, so a
revoked key id is still known as revoked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from users_svc.domain import events as ev
from users_svc.domain.admission import MAX_ROLES
from users_svc.domain.api_keys import ApiKey, is_usable, revoke_api_key, stored_api_key
from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.profile import clean_display_name, clean_uuid
from users_svc.domain.rbac import require_role
from users_svc.domain.sessions import Account
from users_svc.domain.users import ACTIVE, SERVICE, User, UserDecision, require_active

MAX_ACTIVE_KEYS = 20
# Revoked and expired keys are kept for their ids' sake, but not forever: the state is bounded.
MAX_KEPT_KEYS = 100
API_KEY_CHANGED = "ApiKeyChanged"
KeyDecision = tuple[Account, ApiKey, list[ev.DomainEvent]]


def _clean_name(name: str) -> str:
    try:
        return clean_display_name(name)
    except DomainError as exc:
        # The API calls it name; the rule is the display name's.
        message = exc.message.replace("Display name", "Name")
        raise DomainError(exc.code.replace("display_name", "name"), message, "name") from None


def create_service_account(
    *, user_id: str, name: str, roles: Iterable[str], created_by: str, now: datetime
) -> UserDecision:
    """A new active service account with built-in roles (custom ones are assigned later)."""
    require_aware(now)
    user_id = clean_uuid(user_id, "user_id")
    created_by = clean_uuid(created_by, "created_by")
    name = _clean_name(name)
    # The creating aggregate cannot see custom roles (they live on role:<name> aggregates).
    wanted = tuple(dict.fromkeys(roles))
    for role in wanted:
        require_role(role, {}, "roles")
    if len(wanted) > MAX_ROLES:
        raise DomainError("too_many_roles", f"At most {MAX_ROLES} roles per account.", "roles")
    user = User(
        id=user_id,
        email="",
        email_normalized="",
        display_name=name,
        roles=tuple(sorted(wanted)),
        status=ACTIVE,
        password_hash="",
        created_at=now,
        updated_at=now,
        created_by=created_by,
        kind=SERVICE,
    )
    return user, [ev.service_account_created(user_id, name, user.roles, created_by)]


def require_service_account(user: User) -> None:
    """Refuse API keys for people: they sign in with their password."""
    if user.kind != SERVICE:
        raise DomainError(
            "not_a_service_account", "Only service accounts have API keys.", "user_id"
        )


def _bounded(keys: tuple[ApiKey, ...], now: datetime) -> tuple[ApiKey, ...]:
    spare = len(keys) - MAX_KEPT_KEYS
    if spare <= 0:
        return keys
    # The oldest unusable keys go first; usable ones are never dropped.
    dead = [k.prefix for k in keys if not is_usable(k, now=now)][:spare]
    return tuple(k for k in keys if k.prefix not in dead)


def add_api_key(
    account: Account,
    *,
    key_id: str,
    name: str,
    scopes: Iterable[str],
    secret_hash: str,
    expires_at: datetime | None,
    issued_by: str,
    now: datetime,
) -> KeyDecision:
    """Keep a key the edge minted; the same key sent again (a retry) changes nothing."""
    require_aware(now)
    issued_by = clean_uuid(issued_by, "issued_by")
    require_service_account(account.user)
    require_active(account.user)
    record = stored_api_key(
        prefix=key_id,
        owner_id=account.user.id,
        name=name,
        scopes=scopes,
        secret_hash=secret_hash,
        now=now,
        expires_at=expires_at,
    )
    existing = account.api_key(key_id)
    if existing is not None:
        if existing.secret_hash == record.secret_hash:
            return account, existing, []
        raise DomainError("api_key_exists", "This account has a key with this id.", "key_id")
    if sum(is_usable(k, now=now) for k in account.api_keys) >= MAX_ACTIVE_KEYS:
        raise DomainError(
            "too_many_api_keys",
            f"At most {MAX_ACTIVE_KEYS} usable keys per account; revoke one first.",
            "key_id",
        )
    added = account.with_api_key(record)
    expiry = record.expires_at.isoformat() if record.expires_at else None
    event = ev.api_key_issued(
        account.user.id, record.prefix, record.name, record.scopes, expiry, issued_by
    )
    return Account(added.user, added.families, _bounded(added.api_keys, now)), record, [event]


def revoke_key(account: Account, *, key_id: str, revoked_by: str, now: datetime) -> KeyDecision:
    """Revoke a key; revoking it again changes nothing (no event)."""
    require_aware(now)
    revoked_by = clean_uuid(revoked_by, "revoked_by")
    key = account.api_key(key_id)
    if key is None:
        raise DomainError("api_key_not_found", "This account has no key with this id.", "key_id")
    if key.revoked_at is not None:
        return account, key, []
    revoked = revoke_api_key(key, now=now)
    event = ev.api_key_revoked(account.user.id, key_id, revoked_by)
    return account.with_api_key(revoked), revoked, [event]


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def api_key_changed(key: ApiKey) -> ev.DomainEvent:
    """``ApiKeyChanged`` for the internal user-credentials topic, about ``apikey:<key_id>``."""
    data = {
        "key_id": key.prefix,
        "user_id": key.owner_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "secret_hash": key.secret_hash,
        "created_at": key.created_at.isoformat(),
        "expires_at": _when(key.expires_at),
        "revoked_at": _when(key.revoked_at),
    }
    return ev.DomainEvent(API_KEY_CHANGED, data, aggregate=f"apikey:{key.prefix}")


def key_status(key: ApiKey, now: datetime) -> str:
    """active, revoked or expired."""
    if key.revoked_at is not None:
        return "revoked"
    return "active" if is_usable(key, now=now) else "expired"


def key_view(key: ApiKey, now: datetime) -> dict[str, Any]:
    """An API key as the API shows it: never the secret, nor its hash."""
    return {
        "id": key.prefix,
        "service_account_id": key.owner_id,
        "name": key.name,
        "scopes": list(key.scopes),
        "status": key_status(key, now),
        "created_at": key.created_at.isoformat(),
        "expires_at": _when(key.expires_at),
        "revoked_at": _when(key.revoked_at),
    }
