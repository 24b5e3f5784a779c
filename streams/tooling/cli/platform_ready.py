"""Whether ``dafnck up``'s processes are ready, and where a running platform can be found."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PLATFORM_FILE = "platform.json"
PROBE_TIMEOUT_S = 2.0


def probe_ready(url: str, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, Any]:
    """GET a ``/ready`` URL: (True, body) on 200, else (False, body or the error text)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status == 200, _json(answer.read())
    except urllib.error.HTTPError as exc:
        return False, _json(exc.read())
    except (OSError, ValueError) as exc:
        return False, f"not answering ({type(exc).__name__})"


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:300]


def why_not(body: Any) -> str:
    """A short reason from a ``/ready`` answer."""
    if isinstance(body, dict):
        problems = body.get("problems")
        if problems:
            return "; ".join(str(p) for p in problems)
        checks = body.get("checks") or {}
        failed = [f"{name}: {c.get('error')}" for name, c in checks.items() if not c.get("ok")]
        if failed:
            return "; ".join(failed)
    return str(body)[:200]


def worker_urls_env(workers: Mapping[str, int]) -> str:
    """``DAFNCK_WORKER_URLS`` for the edge: ``name=http://host:port`` pairs, comma-separated."""
    return ",".join(f"{name}=http://127.0.0.1:{port}" for name, port in workers.items())


def write_platform_file(state_dir: Path, edge_url: str, workers: Mapping[str, int]) -> Path:
    """Record where this platform's edge and workers answer, for ``dafnck status``."""
    path = state_dir / PLATFORM_FILE
    path.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "edge": edge_url,
                "workers": {n: f"http://127.0.0.1:{p}" for n, p in workers.items()},
            },
            indent=2,
        )
    )
    return path


def read_platform_file(state_dir: Path) -> dict[str, Any] | None:
    """The running platform's addresses, or None when ``dafnck up`` is not running there."""
    path = state_dir / PLATFORM_FILE
    try:
        found: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(found["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return found
