"""The OpenAPI 3.1 document, built from the routes the edge has mounted."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from streams import __version__

_DOCUMENTED = {
    "/health": "Liveness: the edge process answers.",
    "/ready": "Readiness: Kafka, Postgres and Redis answer.",
    "/metrics": "Prometheus metrics of the edge.",
    "/openapi.json": "This document.",
}


def openapi_document(app: web.Application) -> dict[str, Any]:
    """OpenAPI 3.1 for every GET/POST/... route with a canonical path."""
    paths: dict[str, Any] = {}
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method in ("HEAD", "*"):
            continue
        path = resource.canonical
        doc = getattr(route.handler, "__doc__", None) or _DOCUMENTED.get(path, "")
        paths.setdefault(path, {})[route.method.lower()] = {
            "summary": doc.strip().splitlines()[0] if doc else path,
            "responses": {"200": {"description": "OK"}},
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "DafnckMachine", "version": __version__},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }
