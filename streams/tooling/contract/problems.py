"""The result type of the schema-tree check."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a schema tree: which file, where inside it, which rule, and why."""

    file: str  # posix path relative to the schema root
    path: str  # JSON path inside the file; "$" for the file as a whole
    rule: str
    message: str

    def render(self, root: Path, cwd: Path | None = None) -> str:
        """``<file>: <json path>: <RULE>: <message>``, the file relative to cwd when inside it."""
        return f"{display_path(root, self.file, cwd)}: {self.path}: {self.rule}: {self.message}"


def display_path(root: Path, rel: str, cwd: Path | None = None) -> str:
    """``root/rel`` relative to ``cwd`` if it lies below it, else relative to the root."""
    full = (root / rel).resolve() if rel else root.resolve()
    base = (cwd or Path.cwd()).resolve()
    try:
        shown = full.relative_to(base).as_posix()
    except ValueError:
        return rel or str(root)
    # A trailing slash marks a directory-level problem (a type without any version).
    return shown + ("/" if rel.endswith("/") and not shown.endswith("/") else "")


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file, in a stable order for output and tests."""
    return sorted(problems, key=lambda p: _natural(p.file))


def _natural(text: str) -> list[tuple[int, int | str]]:
    # v10 sorts after v9; the tag keeps ints and strs from being compared with each other.
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t]
