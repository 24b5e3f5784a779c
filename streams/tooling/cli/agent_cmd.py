"""``dafnck agent run``: connect a handler function to the platform as an agent process."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

DEFAULT_EDGE_URL = "http://127.0.0.1:8080"
EDGE_ENV = "DAFNCK_EDGE_URL"
KEY_ENV = "DAFNCK_AGENT_KEY"
NAME_ENV = "DAFNCK_AGENT_NAME"
HANDLER_EXAMPLE = "dafnck_sdk.examples.summarizer:summarize"

EPILOG = f"""\
examples:
  # the example summariser, two tasks at a time, key from the environment
  export {KEY_ENV}=dka_...
  dafnck agent run --name summarizer --capabilities summarize --concurrency 2 \\
      --handler {HANDLER_EXAMPLE}

  # your own function: my_agent.py in the current directory, `async def handle(task)`
  dafnck agent run --name reviewer --capabilities review,code --handler my_agent:handle

The key belongs to one agent: issue it with POST /api/agents/{{agent_id}}/keys (it is shown
once) and pass the agent's name with --name. A handler takes a dafnck_sdk.Task and returns a
dict (the task's output); raising dafnck_sdk.PermanentFailure fails the task without retries,
any other exception fails this attempt (retried). Ctrl-C or SIGTERM stops taking tasks, lets
running ones finish (--grace) and exits 0; a refused key exits 1.
"""


class HandlerError(Exception):
    """``--handler`` does not name an importable function."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``agent run``."""
    agent = subparsers.add_parser("agent", help="run a worker process as an agent")
    agent.set_defaults(func=lambda _args: _usage(agent))
    commands = agent.add_subparsers(dest="agent_command", metavar="SUBCOMMAND")
    run = commands.add_parser(
        "run",
        help="connect to the edge and run a handler function on this agent's tasks",
        description=(
            "Connect to the edge as the agent NAME (authenticated by its agent key) and call\n"
            "the handler on every task offered to it, at most --concurrency at once. The\n"
            "process reconnects by itself when the edge goes away; results computed\n"
            "meanwhile are reported once it is back."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--name", required=True, help="the agent's name (the key's agent)")
    run.add_argument(
        "--handler",
        required=True,
        metavar="MODULE:FUNCTION",
        help=f"the function called per task, e.g. {HANDLER_EXAMPLE} "
        "(the current directory is importable)",
    )
    run.add_argument(
        "--capabilities",
        type=_capabilities,
        metavar="A,B",
        help="comma-separated capabilities this process offers "
        "(default: those the agent was created with)",
    )
    run.add_argument(
        "--concurrency", type=_positive_int, default=1, metavar="K", help="tasks at once (1)"
    )
    run.add_argument(
        "--edge", metavar="URL", help=f"edge URL (${EDGE_ENV}, else {DEFAULT_EDGE_URL})"
    )
    run.add_argument(
        "--key",
        metavar="KEY",
        help=f"agent key dka_... (default ${KEY_ENV}; prefer it: arguments show in `ps`)",
    )
    run.add_argument(
        "--grace",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="on stop, how long running tasks may take to finish (30)",
    )
    run.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="logging level (INFO)",
    )
    run.set_defaults(func=_run)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _capabilities(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one capability, e.g. summarize,translate")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def load_handler(spec: str) -> Callable[..., Any]:
    """Import ``module:function`` (dotted attributes allowed); raises HandlerError saying why."""
    module_name, _, attribute = spec.partition(":")
    module_name, attribute = module_name.strip(), attribute.strip()
    if not module_name or not attribute:
        raise HandlerError(
            f"--handler must be MODULE:FUNCTION, e.g. {HANDLER_EXAMPLE}, not {spec!r}"
        )
    # `python -m` would put the current directory first; do the same for the user's module.
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        target: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise HandlerError(
                f"cannot import module {module_name!r} of --handler {spec!r}: {exc} "
                f"(looked in the current directory {cwd} and the installed packages)"
            ) from None
        raise HandlerError(
            f"importing module {module_name!r} failed: {exc} (a module it imports is missing)"
        ) from None
    except Exception as exc:
        raise HandlerError(
            f"importing module {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            hint = ", ".join(_callables(target)) or "none"
            raise HandlerError(
                f"{module_name!r} has no {attribute!r} (--handler {spec!r}); "
                f"callables it defines: {hint}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise HandlerError(f"--handler {spec!r} is a {type(target).__name__}, not a function")
    return target


def _callables(namespace: Any) -> list[str]:
    return sorted(
        name
        for name, value in vars(namespace).items()
        if callable(value) and not name.startswith("_") and not isinstance(value, type)
    )[:10]


def _run(args: argparse.Namespace) -> int:
    key = args.key or os.environ.get(KEY_ENV, "").strip()
    if not key:
        print(
            f"error: no agent key: pass --key or set ${KEY_ENV}. Issue one for the agent with "
            "POST /api/agents/{agent_id}/keys (the secret is shown once).",
            file=sys.stderr,
        )
        return 2
    edge_url = args.edge or os.environ.get(EDGE_ENV, "").strip() or DEFAULT_EDGE_URL
    # Set before importing the handler: its module may read it at import time.
    os.environ[NAME_ENV] = args.name
    try:
        handler = load_handler(args.handler)
    except HandlerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from dafnck_sdk import Agent, AgentAuthError

    try:
        agent = Agent(
            edge_url=edge_url,
            api_key=key,
            name=args.name,
            capabilities=args.capabilities,
            concurrency=args.concurrency,
            handler=handler,
            grace_s=args.grace,
        )
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        agent.run()
    except AgentAuthError as exc:
        print(
            f"error: {exc.reason}. Check --name and the key (${KEY_ENV}); a revoked key or a "
            "deleted agent needs a new key: POST /api/agents/{agent_id}/keys.",
            file=sys.stderr,
        )
        return 1
    return 0
