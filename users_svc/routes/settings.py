"""Identity settings from the environment: token lifetimes, keys, the bootstrap administrator.

``DAFNCK_ACCESS_TTL_S`` (access-token lifetime, default 86400), ``DAFNCK_REFRESH_GRACE_S``
(refresh retry window, default 10), ``DAFNCK_KEYS_DIR`` (signing keys, default
``$DAFNCK_STATE_DIR/keys``), ``DAFNCK_BOOTSTRAP_ADMIN_EMAIL`` / ``_PASSWORD``,
``DAFNCK_READ_YOUR_WRITES_S`` (how long a write waits for the read model, default 3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from streams.stack.paths import default_state_dir

DEFAULT_ADMIN_EMAIL = "admin@dafnck.local"
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

    @property
    def production(self) -> bool:
        """True when ``DAFNCK_ENV=production``: no generated secrets, no defaults."""
        return self.environment == PRODUCTION

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] = os.environ, *, issuer: str, audience: str
    ) -> IdentitySettings:
        """Settings from the ``DAFNCK_*`` variables in the module docstring."""
        state = Path(env["DAFNCK_STATE_DIR"]) if env.get("DAFNCK_STATE_DIR") else None
        state_dir = (state or default_state_dir()).expanduser().resolve()
        keys = env.get("DAFNCK_KEYS_DIR", "").strip()
        settings = cls(
            issuer=issuer,
            audience=audience,
            access_ttl_s=int(env.get("DAFNCK_ACCESS_TTL_S", "86400")),
            refresh_grace_s=int(env.get("DAFNCK_REFRESH_GRACE_S", "10")),
            keys_dir=Path(keys).expanduser().resolve() if keys else state_dir / "keys",
            state_dir=state_dir,
            environment=env.get("DAFNCK_ENV", "development"),
            bootstrap_email=env.get("DAFNCK_BOOTSTRAP_ADMIN_EMAIL", "").strip()
            or DEFAULT_ADMIN_EMAIL,
            bootstrap_password=env.get("DAFNCK_BOOTSTRAP_ADMIN_PASSWORD") or None,
            read_your_writes_s=float(env.get("DAFNCK_READ_YOUR_WRITES_S", "3")),
            trusted_proxy_hops=int(env.get("DAFNCK_TRUSTED_PROXY_HOPS", "0")),
        )
        if settings.access_ttl_s < 1 or settings.refresh_grace_s < 0:
            raise ValueError("DAFNCK_ACCESS_TTL_S must be >= 1 and DAFNCK_REFRESH_GRACE_S >= 0")
        return settings
