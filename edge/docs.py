"""``GET /docs``: the OpenAPI document as a plain HTML page, rendered here (no CDN, no script)."""

from __future__ import annotations

import html
import json
from typing import Any

from aiohttp import web

from streams.http.access import public
from streams.http.openapi import openapi_document

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;
text-align:left;vertical-align:top}code{background:#f4f4f4;padding:0 .2rem}
.m{font-weight:bold;font-family:monospace}.pub{color:#2a7}.auth{color:#a52}
details pre{background:#f8f8f8;padding:.5rem;overflow:auto;font-size:13px}
"""


def _auth(op: dict[str, Any]) -> str:
    if not op.get("security"):
        return '<span class="pub">public</span>'
    permission = op.get("x-permission")
    needs = f"<code>{html.escape(permission)}</code>" if permission else "any signed-in user"
    return f'<span class="auth">bearer token</span>, {needs}'


def _body(op: dict[str, Any], schemas: dict[str, Any]) -> str:
    ref = (
        op.get("requestBody", {})
        .get("content", {})
        .get("application/json", {})
        .get("schema", {})
        .get("$ref")
    )
    if not ref:
        return ""
    name = ref.rsplit("/", 1)[-1]
    schema = json.dumps(schemas.get(name, {}), indent=2)
    return (
        f"<details><summary>{html.escape(name)}</summary><pre>{html.escape(schema)}</pre></details>"
    )


def render_docs(document: dict[str, Any]) -> str:
    """An HTML page listing every operation: method, path, summary, authorization, body."""
    schemas = document.get("components", {}).get("schemas", {})
    rows = []
    for path, operations in sorted(document["paths"].items()):
        for method, op in operations.items():
            statuses = ", ".join(op.get("responses", {}))
            rows.append(
                "<tr>"
                f'<td class="m">{html.escape(method.upper())}</td>'
                f"<td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(op.get('summary', ''))}</td>"
                f"<td>{_auth(op)}</td>"
                f"<td>{_body(op, schemas)}</td>"
                f"<td>{html.escape(statuses)}</td>"
                "</tr>"
            )
    info = document["info"]
    title = html.escape(f"{info['title']} API {info['version']}")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{title}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). '
        "Protected operations take <code>Authorization: Bearer &lt;access token&gt;</code> "
        "from <code>POST /api/auth/login</code>; errors are "
        "<code>application/problem+json</code>.</p>"
        "<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Authorization</th>"
        "<th>Request body</th><th>Responses</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )


@public
async def docs(request: web.Request) -> web.Response:
    """Browsable API documentation (HTML)."""
    page = render_docs(openapi_document(request.app))
    return web.Response(text=page, content_type="text/html")
