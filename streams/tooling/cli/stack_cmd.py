"""`dafnck stack up|down|status|logs`: the embedded Kafka/Postgres/Redis stack, no Docker."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from streams.tooling.stack import (
    StackError,
    ensure_stack,
    stack_status,
    stderr_progress,
    stop_stack,
)
from streams.tooling.stack.endpoints import ENV_VARS, external_from_env, redact
from streams.tooling.stack.logs import follow, tail_lines
from streams.tooling.stack.paths import StackPaths, resolve_state_dir

COMPONENTS = ("kafka", "postgres", "redis")


def register(subparsers: Any) -> None:
    """Add the `stack` command and its actions to the dafnck parser."""
    stack = subparsers.add_parser(
        "stack",
        help="start, stop and inspect the local Kafka/Postgres/Redis (no Docker)",
        description=(
            "The embedded local stack: single-node Kafka (KRaft), PostgreSQL and Redis on "
            "free loopback ports, state under .dafnck/ (or $DAFNCK_STATE_DIR). "
            "KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and REDIS_URL select external servers."
        ),
    )
    _add_state_dir(stack, None)
    stack.set_defaults(func=lambda _args: _help(stack))
    actions = stack.add_subparsers(dest="stack_action", metavar="ACTION")

    up = actions.add_parser("up", help="start what is not running and wait until it answers")
    up.set_defaults(func=cmd_up)
    down = actions.add_parser("down", help="stop the servers `up` started")
    down.set_defaults(func=cmd_down)
    status = actions.add_parser("status", help="show each server and whether it answers")
    status.set_defaults(func=cmd_status)
    logs = actions.add_parser("logs", help="show the end of the servers' logs")
    logs.add_argument("component", nargs="?", choices=COMPONENTS, help="one server (default all)")
    logs.add_argument("-n", "--lines", type=int, default=50, help="lines to show (default 50)")
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    logs.set_defaults(func=cmd_logs)
    for action in (up, down, status, logs):
        # SUPPRESS: `dafnck stack --state-dir X up` keeps X unless `up` gets its own.
        _add_state_dir(action, argparse.SUPPRESS)


def _add_state_dir(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=default,
        help="state directory (default: $DAFNCK_STATE_DIR or ./.dafnck)",
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def cmd_up(args: argparse.Namespace) -> int:
    """Start the stack and print the endpoints as environment variables."""
    started = time.monotonic()
    try:
        endpoints = ensure_stack(args.state_dir, progress=stderr_progress)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stderr_progress(f"stack ready in {time.monotonic() - started:.1f} s")
    for name, value in endpoints.as_env().items():
        print(f"{name}={value}")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    """Stop what `up` started."""
    try:
        stop_stack(args.state_dir, progress=stderr_progress)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """One line per server; exit 0 only when all of them answer."""
    try:
        statuses = stack_status(args.state_dir)
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"state directory: {resolve_state_dir(args.state_dir)}")
    for st in statuses:
        address = redact(st.address) if st.address else "-"
        pid = f"pid {st.pid}" if st.pid else "not running" if st.mode == "local" else ""
        verdict = "answering" if st.answering else "NOT answering"
        print(f"  {st.name:<9} {st.mode:<13} {address:<46} {pid:<12} {verdict}")
    if any(st.mode != "external" and not st.answering for st in statuses):
        print("start the local servers with: dafnck stack up", file=sys.stderr)
    return 0 if all(st.answering for st in statuses) else 1


def cmd_logs(args: argparse.Namespace) -> int:
    """Print the last lines of the chosen logs, then follow them with -f."""
    paths = StackPaths(resolve_state_dir(args.state_dir))
    external = external_from_env()
    names = [args.component] if args.component else list(COMPONENTS)
    for name in [n for n in names if n in external]:
        print(f"{name} is external ({ENV_VARS[name]}); its logs are not here", file=sys.stderr)
    names = [n for n in names if n not in external]
    if not names:
        return 1
    files = {name: paths.log_file(name) for name in names}
    existing = {name: path for name, path in files.items() if path.exists()}
    if not existing:
        where = ", ".join(str(p) for p in files.values())
        print(f"no log yet ({where}); has `dafnck stack up` run here?", file=sys.stderr)
        return 1
    try:
        for name, path in existing.items():
            if len(files) > 1:
                print(f"==> {name}: {path} <==")
            for line in tail_lines(path, args.lines):
                print(line)
        sys.stdout.flush()
        if args.follow:
            follow(files, lambda line: print(line, flush=True))
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        # Piped into head & co.: stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
