"""The account aggregate, keyed by user id: the user and their sessions (token families).

A session starts after the edge verified a password against the credentials version it
read; the account refuses it when that version is no longer current (the password changed
meanwhile) or the user is deactivated. Families are kept until their newest token would
have expired, so a late reuse of a revoked family's token is still told "revoked".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from users_svc.domain import tokens
from users_svc.domain.api_keys import ApiKey
from users_svc.domain.errors import DomainError, require_aware
from users_svc.domain.token_family import DEFAULT_POLICY, TokenFamily, TokenPolicy
from users_svc.domain.users import User

MAX_FAMILIES = 100  # sessions kept per user; the oldest go first


@dataclass(frozen=True)
class Account:
    """A user, their refresh-token families (oldest first) and, for a machine, its API keys."""

    user: User
    families: tuple[TokenFamily, ...] = ()
    api_keys: tuple[ApiKey, ...] = ()

    def family(self, family_id: str) -> TokenFamily | None:
        """The family with this id, if the account still keeps it."""
        return next((f for f in self.families if f.id == family_id), None)

    def with_user(self, user: User) -> Account:
        """The account with its user changed (sessions as they were)."""
        return replace(self, user=user)

    def with_family(self, family: TokenFamily) -> Account:
        """The account with ``family`` added, or replacing the one with its id."""
        if self.family(family.id) is None:
            return replace(self, families=(*self.families, family)[-MAX_FAMILIES:])
        kept = tuple(family if f.id == family.id else f for f in self.families)
        return replace(self, families=kept)

    def pruned(self, now: datetime) -> Account:
        """Without the families whose newest token expired."""
        return replace(self, families=tuple(tokens.prune(self.families, now=now)))

    def api_key(self, key_id: str) -> ApiKey | None:
        """The API key with this id, if the account has it."""
        return next((k for k in self.api_keys if k.prefix == key_id), None)

    def with_api_key(self, key: ApiKey) -> Account:
        """The account with ``key`` added, or replacing the one with its id."""
        if self.api_key(key.prefix) is None:
            return replace(self, api_keys=(*self.api_keys, key))
        kept = tuple(key if k.prefix == key.prefix else k for k in self.api_keys)
        return replace(self, api_keys=kept)

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the Faust table."""
        state: dict[str, Any] = {
            "user": self.user.to_dict(),
            "families": [f.to_dict() for f in self.families],
        }
        if self.api_keys:
            state["api_keys"] = [k.to_dict() for k in self.api_keys]
        return state

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Account:
        """Read back ``to_dict``'s form."""
        families = tuple(TokenFamily.from_dict(f) for f in raw.get("families", ()))
        keys = tuple(ApiKey.from_dict(k) for k in raw.get("api_keys", ()))
        return cls(User.from_dict(raw["user"]), families, keys)


def _invalid_credentials() -> DomainError:
    # One answer for unknown, deactivated and stale: the caller learns nothing more.
    return DomainError("invalid_credentials", "Wrong email or password.", None)


def start_session(
    account: Account | None,
    *,
    family_id: str,
    token_hash: str,
    credentials_version: int,
    now: datetime,
    policy: TokenPolicy = DEFAULT_POLICY,
) -> tuple[Account, TokenFamily]:
    """Open a family for a password checked under ``credentials_version``."""
    require_aware(now)
    if account is None or not account.user.is_active:
        raise _invalid_credentials()
    if credentials_version != account.user.credentials_version:
        raise _invalid_credentials()
    if account.family(family_id) is not None:
        raise DomainError("session_exists", "A session with this id exists.", "family_id")
    family = tokens.start_family(
        account.user.id,
        family_id,
        token_hash,
        now=now,
        credentials_version=account.user.credentials_version,
        policy=policy,
    )
    return account.pruned(now).with_family(family), family


def refresh_session(
    account: Account | None,
    *,
    family_id: str,
    presented_hash: str,
    new_hash: str,
    now: datetime,
    policy: TokenPolicy = DEFAULT_POLICY,
) -> tuple[Account | None, tokens.RefreshOutcome]:
    """Rotate the family's token (see ``tokens.refresh`` for every outcome)."""
    require_aware(now)
    if account is None:
        return None, tokens.Unknown()
    outcome = tokens.refresh(
        account.family(family_id),
        presented_hash,
        new_hash,
        now=now,
        credentials_version=account.user.credentials_version,
        policy=policy,
    )
    if outcome.family is not None:
        account = account.with_family(outcome.family)
    return account.pruned(now), outcome


def end_session(account: Account, *, family_id: str, now: datetime) -> tuple[Account, list[str]]:
    """Revoke one family; the ids it actually ended (none when unknown or already ended)."""
    family = account.family(family_id)
    if family is None or family.is_revoked:
        return account, []
    return account.with_family(tokens.logout(family, now=now)), [family_id]


def end_all_sessions(
    account: Account, *, now: datetime, reason: str = tokens.LOGOUT_EVERYWHERE
) -> tuple[Account, list[str]]:
    """Revoke every family; the ids of those that were still open."""
    ended = [f.id for f in account.families if not f.is_revoked]
    revoked = tokens.revoke_all(account.families, now=now, reason=reason)
    return replace(account, families=tuple(revoked)), ended


def after_credentials_change(account: Account, user: User, *, now: datetime) -> Account:
    """The account once ``user`` (password changed, or deactivated) replaced its user.

    Every family predates the new credentials version, so every one of them ends.
    """
    updated = account.with_user(user)
    if user.credentials_version == account.user.credentials_version:
        return updated
    families = tokens.revoke_stale(
        account.families, credentials_version=user.credentials_version, now=now
    )
    return replace(updated, families=tuple(families))
