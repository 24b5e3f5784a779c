"""``dafnck schemas``: compare two schema versions, or check the whole schema tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from streams.tooling.contract.compat import MODES, check_compatibility
from streams.tooling.contract.loading import SchemaLoadError, load_schema_file

# Exit codes: 0 compatible/clean, 1 incompatible/problems, 2 the input could not be judged.
EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add ``schemas compat`` and ``schemas check`` to the ``dafnck`` parser."""
    parser = subparsers.add_parser(
        "schemas", help="check JSON Schemas: compatibility between versions, the schema tree"
    )
    parser.set_defaults(func=lambda _args: _usage(parser))
    commands = parser.add_subparsers(dest="schemas_command", metavar="SUBCOMMAND")

    compat = commands.add_parser(
        "compat",
        help="is NEW a compatible successor of OLD under MODE?",
        description=(
            "BACKWARD: consumers on NEW read data written with OLD. FORWARD: consumers on OLD "
            "read data written with NEW. FULL: both. NONE: no check. Exit 0 compatible, "
            "1 incompatible, 2 unreadable input."
        ),
    )
    compat.add_argument("old", type=Path, metavar="OLD.json")
    compat.add_argument("new", type=Path, metavar="NEW.json")
    compat.add_argument(
        "--mode",
        required=True,
        type=str.upper,
        metavar="MODE",
        choices=[*MODES, *(f"{m}_TRANSITIVE" for m in MODES if m != "NONE")],
        help="BACKWARD, FORWARD, FULL or NONE (case-insensitive)",
    )
    compat.set_defaults(func=run_compat)

    check = commands.add_parser(
        "check",
        help="validate every schema file, its layout, the catalog and version compatibility",
    )
    check.add_argument(
        "--root", type=Path, default=None, help="schema directory (default: the schemas package)"
    )
    check.add_argument(
        "--since",
        metavar="GIT_REV",
        default=None,
        help="also fail if a schema file that existed at GIT_REV was edited or deleted",
    )
    check.set_defaults(func=run_check)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_UNREADABLE


def run_compat(args: argparse.Namespace) -> int:
    """Print ``compatible`` or ``incompatible`` and the reasons; exit 0, 1 or 2."""
    try:
        old = load_schema_file(args.old)
        new = load_schema_file(args.new)
    except SchemaLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    found = check_compatibility(old, new, args.mode)
    if not found:
        print("compatible")
        return EXIT_OK
    print("incompatible")
    for item in found:
        print(item)
    return EXIT_PROBLEMS


def run_check(args: argparse.Namespace) -> int:
    """Print one line per problem in the schema tree, or a one-line summary when clean."""
    # Imported here so `dafnck --help` does not pay for the catalog and git plumbing.
    from schemas import SCHEMA_ROOT
    from streams.tooling.contract.check import run_checks
    from streams.tooling.contract.history import HistoryError

    root: Path = args.root if args.root is not None else SCHEMA_ROOT
    try:
        report = run_checks(root, since=args.since)
    except (HistoryError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    for problem in report.problems:
        print(problem.render(root))
    if report.problems:
        print(
            f"{len(report.problems)} problem(s) in {report.file_count} schema files",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    print(f"{report.file_count} schema files, {report.type_count} types, all compatible")
    return EXIT_OK
