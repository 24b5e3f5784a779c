"""What any client meets first: body limits and media types, OpenAPI, /docs, CORS (no I/O)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.users_svc.users_api_app import ORIGIN, Harness, identity_app

PROBLEM = "application/problem+json"


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Harness]:
    async with identity_app(tmp_path) as harness:
        yield harness


async def test_a_body_over_the_limit_is_413_not_500(edge: Harness) -> None:
    huge = '{"email": "a@b.cd", "password": "' + "x" * 70_000 + '"}'
    response = await edge.client.post(
        "/api/auth/login", data=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status == 413 and response.content_type == PROBLEM
    assert (await response.json(content_type=None))["code"] == "body_too_large"


async def test_a_body_over_the_server_limit_is_413_too(edge: Harness) -> None:
    response = await edge.client.post(
        "/api/auth/login",
        data=b"x" * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_a_non_json_body_on_a_json_route_is_415(edge: Harness, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await edge.client.post("/api/auth/login", data=b"email=a", headers=headers)
    assert response.status == 415 and response.content_type == PROBLEM
    assert response.headers["Accept"] == "application/json"


async def test_a_vendor_json_type_is_accepted(edge: Harness) -> None:
    response = await edge.client.post(
        "/api/auth/login",
        data=b'{"email": "x@y.zz", "password": "p"}',
        headers={"Content-Type": "application/merge-patch+json; charset=utf-8"},
    )
    assert response.status == 401  # parsed and checked, just wrong credentials


async def test_broken_json_is_400(edge: Harness) -> None:
    response = await edge.client.post(
        "/api/auth/login", data=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert response.status == 400
    assert (await response.json(content_type=None))["code"] == "invalid_json"


async def test_a_json_array_is_422(edge: Harness) -> None:
    response = await edge.client.post("/api/auth/login", json=[1, 2])
    body = await response.json(content_type=None)
    assert response.status == 422 and "field" not in body


async def test_openapi_describes_security_permissions_and_bodies(edge: Harness) -> None:
    document = await (await edge.client.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    paths = document["paths"]
    login = paths["/api/auth/login"]["post"]
    assert login["security"] == []
    ref = login["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/LoginRequest"
    assert set(document["components"]["schemas"]["LoginRequest"]["required"]) == {
        "email",
        "password",
    }
    listing = paths["/api/users"]["get"]
    assert listing["security"] == [{"bearerAuth": []}]
    assert listing["x-permission"] == "users:read"
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "cursor", "email", "role"}
    assert paths["/api/users"]["post"]["x-permission"] == "users:create"
    assert paths["/api/users/{id}/deactivate"]["post"]["x-permission"] == "users:delete"
    assert paths["/api/users/{id}/roles"]["post"]["x-permission"] == "roles:assign"
    revoke = paths["/api/users/{id}/roles/{role}"]["delete"]
    assert revoke["x-permission"] == "roles:revoke"
    assert [p["name"] for p in revoke["parameters"]] == ["id", "role"]
    assert paths["/api/me"]["get"]["security"] == [{"bearerAuth": []}]
    assert "x-permission" not in paths["/api/me"]["get"]
    for public in ("/health", "/ready", "/metrics", "/openapi.json", "/.well-known/jwks.json"):
        assert paths[public]["get"]["security"] == [], public
    assert "422" in paths["/api/users"]["post"]["responses"]


async def test_docs_is_a_plain_html_page_of_every_operation(edge: Harness) -> None:
    response = await edge.client.get("/docs")
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    # Nothing fetched from elsewhere: the machine may have no internet.
    assert "<script" not in page and "<link" not in page and "cdn" not in page.lower()
    for fragment in ("/api/auth/login", "/api/users/{id}/roles/{role}", "users:create", "public"):
        assert fragment in page
    assert "CreateUserRequest" in page


async def test_cors_preflight_for_an_allowed_origin(edge: Harness) -> None:
    response = await edge.client.options(
        "/api/users",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    refused = await edge.client.options(
        "/api/users",
        headers={"Origin": "https://evil.test", "Access-Control-Request-Method": "POST"},
    )
    assert refused.status == 403


async def test_the_command_status_route_is_mounted_and_protected(edge: Harness) -> None:
    assert (await edge.client.get("/api/commands/abc")).status == 401


async def test_the_document_is_valid_openapi_3_1(edge: Harness) -> None:
    import openapi_spec_validator as validator
    document = await (await edge.client.get("/openapi.json")).json()
    validator.validate(document)  # raises, naming the offending path, when invalid
