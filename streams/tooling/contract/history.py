"""Published schemas: what the schema files looked like at an earlier git revision."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from streams.tooling.contract.jsonutil import Schema
from streams.tooling.contract.layout import is_schema_path
from streams.tooling.contract.loading import SchemaLoadError, parse_schema_text


class HistoryError(Exception):
    """The git history cannot be read (no repository, unknown revision, git missing)."""


@dataclass
class Published:
    """Schema files at one revision: parsed documents, and raw text of any that did not parse."""

    rev: str
    docs: dict[str, Schema] = field(default_factory=dict)
    unparsable: dict[str, str] = field(default_factory=dict)


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise HistoryError("git is not installed; --since needs it") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise HistoryError(f"git {' '.join(args)} failed: {err}")
    return done.stdout


def published_schemas(root: Path, rev: str) -> Published:
    """Every schema file under ``root`` as committed at ``rev`` in the repository holding it."""
    if not root.is_dir():
        raise HistoryError(f"{root} is not a directory")
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    except HistoryError:
        raise HistoryError(f"unknown git revision {rev!r} in {top}") from None
    prefix = root.resolve().relative_to(top).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", "--name-only", rev)
    published = Published(rev)
    for name in listing.decode("utf-8").split("\0"):
        if not name.startswith(prefix):
            continue
        rel = name[len(prefix) :]
        if not is_schema_path(rel):
            continue
        text = _git(top, "show", f"{rev}:{name}").decode("utf-8", "replace")
        try:
            published.docs[rel] = parse_schema_text(text)
        except SchemaLoadError:
            published.unparsable[rel] = text
    return published
