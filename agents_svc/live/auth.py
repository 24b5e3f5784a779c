"""Who is connecting: an agent key in the ``Authorization: AgentKey <key>`` header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from agents_svc.domain.agent_keys import MalformedAgentKey, parse_agent_key, secret_matches

SCHEME = "AgentKey"


@dataclass(frozen=True)
class KeyHolder:
    """What the read model knows of a key and its agent."""

    key_id: str
    agent_id: str
    agent_name: str
    secret_hash: str
    revoked: bool
    agent_deleted: bool


class KeyDirectory(Protocol):
    """Looks agent keys up (the agents read model)."""

    async def key_holder(self, key_id: str) -> KeyHolder | None:
        """The key and its agent, or None when unknown."""
        ...


class AgentAuthError(Exception):
    """The connection is refused, with a reason fit to show the caller."""


async def authenticate(request: web.Request, keys: KeyDirectory) -> KeyHolder:
    """The key holder of a connection request, or AgentAuthError saying why not."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme != SCHEME or not credentials.strip():
        raise AgentAuthError(f"send the agent's key as 'Authorization: {SCHEME} dka_...'")
    try:
        key_id, secret = parse_agent_key(credentials.strip())
    except MalformedAgentKey as exc:
        raise AgentAuthError(str(exc)) from None
    holder = await keys.key_holder(key_id)
    # A miss still compares, so timing does not tell unknown keys from wrong secrets.
    if not secret_matches(secret, holder.secret_hash if holder else None) or holder is None:
        raise AgentAuthError("unknown agent key")
    if holder.revoked:
        raise AgentAuthError("this agent key was revoked")
    if holder.agent_deleted:
        raise AgentAuthError("this key's agent was deleted")
    return holder
