"""Identity settings from the environment: token lifetimes, keys, the bootstrap administrator.

``DAFNCK_ACCESS_TTL_S`` (access-token lifetime, default 86400), ``DAFNCK_REFRESH_GRACE_S``
(refresh retry window, default 10), ``DAFNCK_KEYS_DIR`` (signing keys, default
``$DAFNCK_STATE_DIR/keys``), ``DAFNCK_BOOTSTRAP_ADMIN_EMAIL`` / ``_PASSWORD``,
``DAFNCK_READ_YOUR_WRITES_S`` (how long a write waits for the read model, default 3),
``DAFNCK_SERVICE_TOKEN_TTL_S`` (lifetime of tokens exchanged for API keys, default 900),
``DAFNCK_ROLES_CACHE_S`` (how long custom role definitions are cached, default 5),
``DAFNCK_SELF_SIGNUP`` (``true`` opens ``POST /api/auth/signup``, default off) and
``DAFNCK_KEYS_RELOAD_S`` (how often the signing keys' files are checked for a rotation,
default 5).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.state_dir import default_state_dir

DEFAULT_ADMIN_EMAIL = "admin@dafnck.local"
SERVICE_TOKEN_TTL_ENV = "DAFNCK_SERVICE_TOKEN_TTL_S"
PRODUCTION = "production"


@dataclass(frozen=True)
class IdentitySettings:
    """How the edge signs, refreshes and revokes tokens, and who the first administrator is."""

    issuer: str = "dafnck-users"
    audience: str = "dafnck-api"
    access_ttl_s: int = 86400
    refresh_grace_s: int = 10
    keys_dir: Path = Path(".dafnck/keys")
    state_dir: Path = Path(".dafnck")
    environment: str = "development"
    bootstrap_email: str = DEFAULT_ADMIN_EMAIL
    bootstrap_password: str | None = None
    read_your_writes_s: float = 3.0
    trusted_proxy_hops: int = 0
    service_token_ttl_s: int = 900
    roles_cache_s: float = 5.0
    self_signup: bool = False
    keys_reload_s: float = 5.0

    @property
    def max_token_lifetime_s(self) -> int:
        """The longest-lived token the edge signs: what a retired key must outlive."""
        return max(self.access_ttl_s, self.service_token_ttl_s)

    @property
    def production(self) -> bool:
        """True when ``DAFNCK_ENV=production``: no generated secrets, no defaults."""
        return self.environment == PRODUCTION

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] = os.environ, *, issuer: str, audience: str
    ) -> IdentitySettings:
        """Settings from the ``DAFNCK_*`` variables in the module docstring."""
        state_dir = state_dir_from_env(env)
        settings = cls(
            issuer=issuer,
            audience=audience,
            access_ttl_s=int(env.get("DAFNCK_ACCESS_TTL_S", "86400")),
            refresh_grace_s=int(env.get("DAFNCK_REFRESH_GRACE_S", "10")),
            keys_dir=keys_dir_from_env(env),
            state_dir=state_dir,
            environment=env.get("DAFNCK_ENV", "development"),
            bootstrap_email=env.get("DAFNCK_BOOTSTRAP_ADMIN_EMAIL", "").strip()
            or DEFAULT_ADMIN_EMAIL,
            bootstrap_password=env.get("DAFNCK_BOOTSTRAP_ADMIN_PASSWORD") or None,
            read_your_writes_s=float(env.get("DAFNCK_READ_YOUR_WRITES_S", "3")),
            trusted_proxy_hops=int(env.get("DAFNCK_TRUSTED_PROXY_HOPS", "0")),
            service_token_ttl_s=int(env.get(SERVICE_TOKEN_TTL_ENV, "900")),
            roles_cache_s=float(env.get("DAFNCK_ROLES_CACHE_S", "5")),
            self_signup=flag(env, "DAFNCK_SELF_SIGNUP"),
            keys_reload_s=float(env.get("DAFNCK_KEYS_RELOAD_S", "5")),
        )
        if settings.access_ttl_s < 1 or settings.refresh_grace_s < 0:
            raise ValueError("DAFNCK_ACCESS_TTL_S must be >= 1 and DAFNCK_REFRESH_GRACE_S >= 0")
        if settings.service_token_ttl_s < 1:
            raise ValueError(f"{SERVICE_TOKEN_TTL_ENV} must be >= 1")
        if settings.roles_cache_s < 0 or settings.keys_reload_s < 0:
            raise ValueError("DAFNCK_ROLES_CACHE_S and DAFNCK_KEYS_RELOAD_S must be >= 0")
        return settings


def state_dir_from_env(env: Mapping[str, str] = os.environ) -> Path:
    """``$DAFNCK_STATE_DIR``, or the platform's default state directory."""
    state = Path(env["DAFNCK_STATE_DIR"]) if env.get("DAFNCK_STATE_DIR") else None
    return (state or default_state_dir()).expanduser().resolve()


def keys_dir_from_env(env: Mapping[str, str] = os.environ) -> Path:
    """Where the signing keys live: ``$DAFNCK_KEYS_DIR``, else ``<state dir>/keys``."""
    keys = env.get("DAFNCK_KEYS_DIR", "").strip()
    return Path(keys).expanduser().resolve() if keys else state_dir_from_env(env) / "keys"


def flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no variable: true, 1, yes or on (any case) is yes; unset or empty is no."""
    value = env.get(name, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{name} must be true or false, got {value!r}")
