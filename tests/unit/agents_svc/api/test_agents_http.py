"""The agents routes over fakes: agents, keys and messages (commands, bodies, permissions)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agents_svc.api.routes.keys import authenticate
from agents_svc.domain.agent_keys import hash_secret, parse_agent_key
from tests.support.agents_svc.api_harness import AgentsHarness, agents_app
from topics import AGENT_COMMANDS

PROJECT = str(uuid.uuid4())
PROBLEM = "application/problem+json"


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[AgentsHarness]:
    async with agents_app(tmp_path) as harness:
        yield harness


async def _agent(api: AgentsHarness, name: str = "Crawler", **body: object) -> dict[str, object]:
    status, view = await api.call(
        "POST", "/api/agents", json={"project_id": PROJECT, "name": name, **body}
    )
    assert status == 201, view
    return dict(view)


async def test_creating_an_agent_sends_create_agent_with_defaults(api: AgentsHarness) -> None:
    response = await api.edge.client.post(
        "/api/agents", json={"project_id": PROJECT, "name": "Crawler"}, headers=api.auth("member")
    )
    view = await response.json()
    assert response.status == 201 and response.headers["Location"] == f"/api/agents/{view['id']}"
    (command,) = api.sent("CreateAgent")
    assert command.subject == "scheduler"
    assert command.dataschema.startswith(f"urn:dafnck:schema:{AGENT_COMMANDS.name}/")
    assert command.data == {
        "agent_id": view["id"],
        "project_id": PROJECT,
        "name": "Crawler",
        "capabilities": [],
        "capacity": 1,
        "labels": {},
        "model_settings": {},
        "created_by": api.users["member"],
    }
    status, shown = await api.call("GET", f"/api/agents/{view['id']}", role="viewer")
    assert (status, shown["name"], shown["in_flight"]) == (200, "Crawler", 0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "project_id"),
        ({"project_id": "not-a-uuid", "name": "x"}, "project_id"),
        ({"project_id": PROJECT, "name": "   "}, "name"),
        ({"project_id": PROJECT, "name": "x", "capacity": 0}, "capacity"),
        ({"project_id": PROJECT, "name": "x", "capabilities": ["Bad Cap"]}, "capabilities.0"),
        ({"project_id": PROJECT, "name": "x", "capabilities": ["a", "a"]}, "capabilities"),
        ({"project_id": PROJECT, "name": "x", "labels": {"k": 1}}, "labels.k"),
        ({"project_id": PROJECT, "name": "x", "colour": "red"}, "colour"),
    ],
)
async def test_invalid_agent_bodies_are_422_naming_the_field(
    api: AgentsHarness, body: dict[str, object], field: str
) -> None:
    response = await api.edge.client.post("/api/agents", json=body, headers=api.auth())
    problem = await response.json(content_type=None)
    assert response.status == 422 and response.content_type == PROBLEM
    assert problem["field"] == field
    assert api.sent("CreateAgent") == []


async def test_a_refusal_is_the_services_status_and_code(api: AgentsHarness) -> None:
    await _agent(api, "Crawler")
    status, problem = await api.call(
        "POST", "/api/agents", json={"project_id": PROJECT, "name": "CRAWLER"}
    )
    assert (status, problem["code"], problem["field"]) == (409, "agent_name_taken", "name")


async def test_permissions_are_enforced(api: AgentsHarness) -> None:
    body = {"project_id": PROJECT, "name": "x"}
    assert (await api.call("POST", "/api/agents", role="viewer", json=body))[0] == 403
    assert (await api.call("POST", "/api/agents", role=None, json=body))[0] == 401
    agent = await _agent(api)
    assert (await api.call("DELETE", f"/api/agents/{agent['id']}", role="operator"))[0] == 403
    assert (await api.call("GET", "/api/agents", role="viewer"))[0] == 200
    broadcast = {"body": {"hello": 1}}
    assert (await api.call("POST", "/api/messages/broadcast", role="member", json=broadcast))[
        0
    ] == 403
    assert (await api.call("POST", "/api/messages/broadcast", role="operator", json=broadcast))[
        0
    ] == 201


async def test_update_drain_and_delete(api: AgentsHarness) -> None:
    agent = await _agent(api)
    path = f"/api/agents/{agent['id']}"
    status, view = await api.call("PATCH", path, role="operator", json={"capacity": 4})
    assert (status, view["capacity"]) == (200, 4)
    (update,) = api.sent("UpdateAgent")
    assert update.data["changes"] == {"capacity": 4}
    assert (await api.call("PATCH", path, json={}))[0] == 422  # nothing to change
    status, view = await api.call("POST", f"{path}/drain", role="operator")
    assert (status, view["status"]) == (200, "draining")
    status, body = await api.call("DELETE", f"{path}?reason=replaced")
    assert (status, body["deleted"]) == (200, True)
    assert api.sent("DeleteAgent")[0].data["reason"] == "replaced"
    status, problem = await api.call("GET", path)
    assert (status, problem["code"]) == (404, "agent_not_found")
    assert (await api.call("GET", "/api/agents/not-a-uuid"))[0] == 404


async def test_agents_page_like_users(api: AgentsHarness) -> None:
    ids = [(await _agent(api, f"a{n}"))["id"] for n in range(3)]
    response = await api.edge.client.get("/api/agents?limit=2", headers=api.auth())
    page = await response.json()
    assert [a["id"] for a in page["items"]] == ids[:2] and page["limit"] == 2
    assert response.headers["Link"] == f'<{page["next"]}>; rel="next"'
    status, rest = await api.call("GET", page["next"])
    assert [a["id"] for a in rest["items"]] == ids[2:] and rest["next"] is None
    for query, field in (
        ("limit=0", "limit"),
        ("cursor=zzz", "cursor"),
        ("status=asleep", "status"),
        ("project_id=nope", "project_id"),
        ("capability=Not%20One", "capability"),
    ):
        status, problem = await api.call("GET", f"/api/agents?{query}")
        assert (status, problem["code"], problem["field"]) == (422, "invalid_query", field), query


async def test_a_key_is_shown_once_and_only_its_hash_is_sent(api: AgentsHarness) -> None:
    agent = await _agent(api)
    response = await api.edge.client.post(
        f"/api/agents/{agent['id']}/keys", headers=api.auth("operator")
    )
    shown = await response.json()
    assert response.status == 201 and response.headers["Cache-Control"] == "no-store"
    assert set(shown) == {"key_id", "agent_id", "api_key", "created_at"}
    key_id, secret = parse_agent_key(shown["api_key"])
    (issue,) = api.sent("IssueAgentKey")
    assert issue.data["key_id"] == key_id == shown["key_id"]
    assert issue.data["secret_hash"] == hash_secret(secret) and secret not in str(issue.data)
    record = await authenticate(api.read_model, shown["api_key"])
    assert record is not None and record.agent_id == agent["id"]
    status, listed = await api.call("GET", f"/api/agents/{agent['id']}/keys", role="viewer")
    assert status == 200 and [k["key_id"] for k in listed["items"]] == [key_id]
    assert "api_key" not in listed["items"][0] and "secret_hash" not in listed["items"][0]
    status, revoked = await api.call("DELETE", f"/api/agents/{agent['id']}/keys/{key_id}")
    assert status == 200 and revoked["revoked_at"] is not None
    assert await authenticate(api.read_model, shown["api_key"]) is None
    assert (await api.call("DELETE", f"/api/agents/{agent['id']}/keys/NOPE"))[0] == 404


async def test_a_key_for_an_unknown_agent_is_404(api: AgentsHarness) -> None:
    status, problem = await api.call("POST", f"/api/agents/{uuid.uuid4()}/keys")
    assert (status, problem["code"]) == (404, "agent_not_found")


async def test_an_unanswered_key_issue_is_202_with_the_key(api: AgentsHarness) -> None:
    agent = await _agent(api)
    api.edge.bus.answer = lambda env: None  # the scheduler does not answer in time
    status, body = await api.call("POST", f"/api/agents/{agent['id']}/keys")
    assert status == 202 and body["status"] == "pending" and body["api_key"].startswith("dka_")
    assert body["status_url"] == f"/api/commands/{body['command_id']}"


async def test_messages_are_sent_by_the_user(api: AgentsHarness) -> None:
    agent = await _agent(api)
    status, sent = await api.call(
        "POST", f"/api/agents/{agent['id']}/messages", json={"body": {"do": "it"}}
    )
    assert (status, sent["recipients"]) == (201, [agent["id"]])
    (direct,) = api.sent("SendDirectMessage")
    assert direct.data["sender"] == f"user:{api.users['admin']}" and direct.subject == "scheduler"
    status, _ = await api.call(
        "POST", "/api/messages/broadcast", json={"body": {}, "capability": "http"}
    )
    (broadcast,) = api.sent("BroadcastMessage")
    assert status == 201 and broadcast.data["capability"] == "http"
    assert broadcast.data["project_id"] is None
    assert (await api.call("POST", "/api/messages/broadcast", json={"body": "hi"}))[0] == 422


async def test_the_read_model_down_is_503(api: AgentsHarness) -> None:
    api.read_model.unavailable = True
    status, problem = await api.call("GET", "/api/agents")
    assert (status, problem["code"]) == (503, "read_model_unavailable")
