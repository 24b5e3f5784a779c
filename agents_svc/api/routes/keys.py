"""Agent connection keys: issue (shown once), list (never a secret), revoke; and checking one.

A key is minted here, in the edge; only the SHA-256 of its secret goes to the scheduler (and
from its AgentKeyIssued event into the read model, where ``authenticate`` finds it when the
agent connects).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from agents_svc.api.deps import AgentsApiDeps, agents_of
from agents_svc.api.readmodel.agents_read_model import AgentKeyRecord, AgentsReadModel
from agents_svc.api.routes.agents import agent_missing, agent_param
from agents_svc.api.routes.command_sending import PENDING, run_agents_command
from agents_svc.api.routes.read_model_responses import not_found_problem
from agents_svc.domain.agent_keys import (
    MalformedAgentKey,
    MintedAgentKey,
    is_key_id,
    mint_agent_key,
    parse_agent_key,
    secret_matches,
)
from streams.commands import Completed, Outcome, Pending
from streams.http.access import requires
from streams.http.commands import COMMAND_ID_HEADER, outcome_response, status_url
from streams.http.openapi import documented
from streams.http.principal import require_principal
from streams.http.problem import problem, read_model_unavailable
from streams.readmodel_pool import ReadModelUnavailable

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_MINT_ATTEMPTS = 3


async def authenticate(read_model: AgentsReadModel, presented: str) -> AgentKeyRecord | None:
    """The usable key a presented ``dka_...`` key is, or None (malformed, wrong, revoked...)."""
    try:
        key_id, secret = parse_agent_key(presented)
    except MalformedAgentKey:
        return None
    record = await read_model.agent_key(key_id)  # ReadModelUnavailable propagates: 503
    if not secret_matches(secret, record.secret_hash if record is not None else None):
        return None
    return record if record is not None and record.usable else None


async def _mint(agents: AgentsApiDeps) -> MintedAgentKey:
    for _ in range(_MINT_ATTEMPTS):
        minted = mint_agent_key()
        # Key ids are 32 random bits: a clash is rare, but the id is the lookup key.
        if await agents.read_model.agent_key(minted.key_id) is None:
            return minted
    raise RuntimeError("no free agent key id after several attempts")


def _shown(resource: dict[str, Any], minted: MintedAgentKey) -> dict[str, Any]:
    body = {k: resource.get(k) for k in ("key_id", "agent_id", "created_at")}
    # An Idempotency-Key retry is answered with the first request's key, whose secret was
    # shown then and is known to nobody now.
    body["api_key"] = minted.api_key if resource.get("key_id") == minted.key_id else None
    return body


def _pending_with_key(outcome: Pending, minted: MintedAgentKey) -> web.Response:
    # The scheduler may still store the key: its secret must not be lost meanwhile.
    accepted = outcome_response(outcome)
    body = {
        "command_id": outcome.command_id,
        "status": "pending",
        "status_url": status_url(outcome.command_id),
        "key_id": minted.key_id,
        "api_key": minted.api_key,
    }
    response = web.json_response(body, status=202, headers=_NO_STORE)
    for name in ("Location", "Retry-After", COMMAND_ID_HEADER):
        response.headers[name] = accepted.headers[name]
    return response


@documented(
    tag="agents",
    responses={
        201: "{key_id, agent_id, api_key, created_at}: api_key is shown this once; store it",
        404: "No such agent",
        409: "The agent has 10 live keys",
        **PENDING,
    },
)
@requires("agents:update")
async def issue_agent_key(request: web.Request) -> web.Response:
    """Issue a connection key for an agent (``Authorization: AgentKey <key>`` on connect)."""
    agents, agent_id = agents_of(request), agent_param(request)
    try:
        minted = await _mint(agents)
    except ReadModelUnavailable:
        return read_model_unavailable("agents")
    data = {
        "agent_id": agent_id,
        "key_id": minted.key_id,
        "secret_hash": minted.secret_hash,
        "issued_by": require_principal(request).sub,
    }

    def answer(outcome: Outcome) -> web.Response:
        # Looked at after the wait: the secret is shown once, with the key usable by then.
        if isinstance(outcome, Pending):
            return _pending_with_key(outcome, minted)
        reply = outcome.reply if isinstance(outcome, Completed) else None
        if reply is None or reply.status != "succeeded" or reply.resource is None:
            return outcome_response(outcome, created_status=200)
        body = _shown(reply.resource, minted)
        response = web.json_response(body, status=201, headers=_NO_STORE)
        response.headers["Location"] = f"/api/agents/{agent_id}/keys/{minted.key_id}"
        response.headers[COMMAND_ID_HEADER] = reply.command_id
        return response

    return await run_agents_command(request, "IssueAgentKey", data, answer=answer)


@documented(
    tag="agents", responses={200: "The agent's keys, without secrets", 404: "No such agent"}
)
@requires("agents:read")
async def list_agent_keys(request: web.Request) -> web.Response:
    """An agent's keys (id and times, revoked ones too); never a secret."""
    agents, agent_id = agents_of(request), agent_param(request)
    try:
        if await agents.read_model.agent(agent_id) is None:
            return agent_missing(agent_id)
        keys = await agents.read_model.agent_keys(agent_id)
    except ReadModelUnavailable:
        return read_model_unavailable("agents")
    return web.json_response({"items": keys})


@documented(
    tag="agents", responses={200: "The revoked key", 404: "No such agent or key", **PENDING}
)
@requires("agents:update")
async def revoke_agent_key(request: web.Request) -> web.Response:
    """Revoke an agent key: new connections with it are refused."""
    agent_id = agent_param(request)
    key_id = request.match_info["key_id"]
    if not is_key_id(key_id):
        return not_found_problem("agent key", "key_not_found", key_id)
    data = {"agent_id": agent_id, "key_id": key_id, "revoked_by": require_principal(request).sub}
    return await run_agents_command(request, "RevokeAgentKey", data)


def key_problem(detail: str) -> web.Response:
    """401 for a connection whose key does not authenticate (before any upgrade)."""
    response = problem(401, "Unauthorized", detail, code="invalid_agent_key")
    response.headers["WWW-Authenticate"] = "AgentKey"
    return response
