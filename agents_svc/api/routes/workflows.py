"""Workflows: define (JSON or YAML), new versions, list, read one (any version), execute."""

from __future__ import annotations

import uuid

from aiohttp import web

from agents_svc.api.deps import agents_of
from agents_svc.api.readmodel.agents_read_model import WorkflowQuery
from agents_svc.api.routes.command_sending import PENDING, run_agents_command
from agents_svc.api.routes.read_model_responses import (
    list_response,
    not_found_problem,
    view_response,
)
from agents_svc.api.routes.request_schemas import DEFINE_WORKFLOW, EXECUTE_WORKFLOW
from agents_svc.api.routes.workflow_bodies import BODY_TYPES, accepts_document, document_body
from streams.http.access import requires
from streams.http.body import accepts, json_body
from streams.http.openapi import QueryParam, documented
from streams.http.paging import PAGE_QUERY, page_params
from streams.http.principal import require_principal
from streams.http.query_params import InvalidQuery, path_id, uuid_param

_INVALID = {422: "Invalid definition (code invalid_workflow, field names the step at fault)"}


def _missing(workflow_id: str) -> web.Response:
    return not_found_problem("workflow", "workflow_not_found", workflow_id)


async def _define(request: web.Request, workflow_id: str, created_status: int) -> web.Response:
    body = document_body(request)
    data = {
        "workflow_id": workflow_id,
        "project_id": body["project_id"],
        "name": body["name"],
        "definition": body["definition"],
        "defined_by": require_principal(request).sub,
    }
    location = f"/api/workflows/{workflow_id}"
    return await run_agents_command(
        request, "DefineWorkflow", data, created_status=created_status, location=location
    )


@documented(
    tag="workflows",
    responses={201: "The workflow, version 1", **_INVALID, **PENDING},
    body_types=BODY_TYPES,
)
@requires("workflows:create")
@accepts_document(DEFINE_WORKFLOW)
async def define_workflow(request: web.Request) -> web.Response:
    """Define a workflow (JSON, or the same document as YAML)."""
    return await _define(request, str(uuid.uuid4()), 201)


@documented(
    tag="workflows",
    responses={200: "The workflow at its new version", **_INVALID, **PENDING},
    body_types=BODY_TYPES,
)
@requires("workflows:update")
@accepts_document(DEFINE_WORKFLOW)
async def define_version(request: web.Request) -> web.Response:
    """Define a new version of a workflow (same body as defining it)."""
    return await _define(request, path_id(request, "id", "workflow"), 200)


@documented(
    tag="workflows",
    responses={200: "A page of workflows (latest versions)"},
    query=(
        *PAGE_QUERY,
        QueryParam("project_id", {"type": "string", "format": "uuid"}, "of this project"),
        QueryParam("name", {"type": "string"}, "name contains (case-insensitive)"),
    ),
)
@requires("workflows:read")
async def list_workflows(request: web.Request) -> web.Response:
    """List workflows, oldest first."""
    params = request.query
    try:
        limit, cursor = page_params(params)
        query = WorkflowQuery(
            limit, cursor, uuid_param(params, "project_id"), params.get("name") or None
        )
    except InvalidQuery as exc:
        return exc.response()
    read_model = agents_of(request).read_model
    return await list_response(request, limit, lambda: read_model.workflows(query))


@documented(
    tag="workflows",
    responses={200: "The workflow", 404: "No such workflow or version"},
    query=(
        QueryParam("version", {"type": "integer", "minimum": 1}, "this version (default latest)"),
    ),
)
@requires("workflows:read")
async def get_workflow(request: web.Request) -> web.Response:
    """One workflow, at its latest version or at ?version=N."""
    workflow_id = path_id(request, "id", "workflow")
    raw = request.query.get("version")
    version = None
    if raw:
        try:
            version = int(raw)
            if version < 1:
                raise ValueError(raw)
        except ValueError:
            return InvalidQuery("version", "version must be a whole number from 1").response()
    read_model = agents_of(request).read_model
    return await view_response(
        lambda: read_model.workflow(workflow_id, version), _missing(workflow_id)
    )


@documented(
    tag="workflows",
    responses={201: "The execution", 404: "No such workflow or version", **PENDING},
)
@requires("workflows:execute")
@accepts(EXECUTE_WORKFLOW, optional=True)
async def execute_workflow(request: web.Request) -> web.Response:
    """Run a workflow (its latest version unless given) with a context."""
    body = json_body(request)
    execution_id = str(uuid.uuid4())
    data = {
        "execution_id": execution_id,
        "workflow_id": path_id(request, "id", "workflow"),
        "version": body.get("version"),
        "context": body.get("context", {}),
        "started_by": require_principal(request).sub,
    }
    location = f"/api/executions/{execution_id}"
    return await run_agents_command(
        request, "ExecuteWorkflow", data, created_status=201, location=location
    )
