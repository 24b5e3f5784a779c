"""Entry point of the ``dafnck`` command: builds the parser from each subcommand module."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from streams import __version__

# Each module exposes ``register(subparsers)``; it adds its parsers and sets
# ``func(args) -> int`` on them. Modules are imported lazily so ``--help`` stays fast
# and a broken optional dependency only breaks its own subcommand.
SUBCOMMAND_MODULES = (
    "streams.tooling.cli.stack_cmd",
    "streams.tooling.cli.topics_cmd",
    "streams.tooling.cli.schemas_cmd",
    "streams.tooling.cli.publish_cmd",
    "streams.tooling.cli.up_cmd",
    "streams.tooling.cli.status_cmd",
    "streams.tooling.cli.agent_cmd",
    # The users context owns the signing keys; its command is optional like the others.
    "users_svc.api.signing.keys_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full ``dafnck`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="dafnck",
        description=(
            "DafnckMachine: event-driven orchestration of AI agents on Kafka. "
            "Run `dafnck up` to start the whole platform locally."
        ),
    )
    parser.add_argument("--version", action="version", version=f"dafnck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and run the chosen subcommand; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error worth a traceback.
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
