"""``dafnck status``: whether the running platform's edge and each worker are ready."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.tooling.cli.platform_ready import probe_ready, read_platform_file, why_not
from streams.tooling.stack import default_state_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``status``."""
    status = subparsers.add_parser(
        "status",
        help="is the platform `dafnck up` runs ready? (edge, its dependencies, each worker)",
        description=(
            "Ask the edge of the platform `dafnck up` runs from this state directory for "
            "/ready?deep=1 and print each part: Kafka, Postgres, Redis and every context "
            "worker. Exit status 0 when every part is ready, 1 when one is not, 3 when no "
            "platform runs there."
        ),
    )
    status.add_argument("--state-dir", type=Path, help="state directory (default .dafnck)")
    status.set_defaults(func=_status)


def _line(name: str, ready: bool, detail: str = "") -> str:
    return f"  {name:<10} {'ready' if ready else 'NOT READY'}" + (f"  {detail}" if detail else "")


def _status(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or default_state_dir()
    platform = read_platform_file(state_dir)
    if platform is None:
        print(f"no platform running from {state_dir} (start one with `dafnck up`)", file=sys.stderr)
        return 3
    ok, body = probe_ready(f"{platform['edge']}/ready?deep=1", timeout=8.0)
    lines = [f"edge {platform['edge']}: {'ready' if ok else 'NOT READY'}"]
    if isinstance(body, dict) and "checks" in body:
        lines += _from_edge(body)
    else:
        # The edge does not answer: ask the workers ourselves.
        lines.append(_line("edge", False, why_not(body)))
        for name, url in platform.get("workers", {}).items():
            ready, answer = probe_ready(f"{url}/ready")
            ok = ok and ready
            lines.append(_line(name, ready, "" if ready else why_not(answer)))
    print("\n".join(lines))
    return 0 if ok else 1


def _from_edge(body: dict[str, Any]) -> list[str]:
    lines = [
        _line(name, bool(check.get("ok")), "" if check.get("ok") else str(check.get("error")))
        for name, check in body.get("checks", {}).items()
    ]
    for name, worker in body.get("workers", {}).items():
        ready = bool(worker.get("ready"))
        lines.append(_line(name, ready, "; ".join(worker.get("problems", []))))
    return lines
