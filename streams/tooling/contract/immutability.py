"""Published schema versions are immutable: compare the tree with what a git revision holds."""

from __future__ import annotations

from pathlib import Path

from streams.tooling.contract import rules
from streams.tooling.contract.history import Published
from streams.tooling.contract.jsonutil import Schema, diff_paths, short
from streams.tooling.contract.problems import Problem

# Keep one edited file from flooding the output; the first few paths say enough.
_MAX_PATHS_SHOWN = 8


def edit_problems(root: Path, published: Published, current: dict[str, Schema]) -> list[Problem]:
    """A problem for each published file since deleted or edited (JSON-wise) in the tree."""
    out = []
    for rel in sorted([*published.docs, *published.unparsable]):
        if not (root / rel).is_file():
            msg = f"published at {published.rev} and since deleted; published versions are kept"
            out.append(Problem(rel, "$", rules.PUBLISHED_SCHEMA_DELETED, msg))
            continue
        if rel in published.unparsable:
            text = (root / rel).read_text(encoding="utf-8", errors="replace")
            if text != published.unparsable[rel]:
                msg = f"published at {published.rev} and since edited (it was not valid JSON then)"
                out.append(Problem(rel, "$", rules.PUBLISHED_SCHEMA_MODIFIED, msg))
            continue
        if rel not in current:
            msg = f"published at {published.rev} and since edited so that it no longer parses"
            out.append(Problem(rel, "$", rules.PUBLISHED_SCHEMA_MODIFIED, msg))
            continue
        changes = diff_paths(published.docs[rel], current[rel])
        if changes:
            out.append(_modified(rel, published.rev, changes))
    return out


def _modified(rel: str, rev: str, changes: list[tuple[str, object, object]]) -> Problem:
    described = []
    for path, old, new in changes[:_MAX_PATHS_SHOWN]:
        if old is ...:
            described.append(f"{path} added ({short(new, 40)})")
        elif new is ...:
            described.append(f"{path} removed (was {short(old, 40)})")
        else:
            described.append(f"{path} changed {short(old, 40)} -> {short(new, 40)}")
    more = len(changes) - _MAX_PATHS_SHOWN
    tail = f"; and {more} more" if more > 0 else ""
    msg = (
        f"published version edited since {rev}; publish a new version instead. "
        f"Changed: {'; '.join(described)}{tail}"
    )
    return Problem(rel, changes[0][0], rules.PUBLISHED_SCHEMA_MODIFIED, msg)
