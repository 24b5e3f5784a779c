"""Where schema files live: ``<topic>/<Type>/v<N>.json`` under the root, plus ``envelope/``."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from schemas import SCHEMA_ID_PREFIX, schema_id
from streams.tooling.contract import rules
from streams.tooling.contract.jsonutil import Schema
from streams.tooling.contract.problems import Problem

ENVELOPE_DIR = "envelope"
# Python models and caches share the package directory but are not schemas.
SKIPPED_DIRS = frozenset({"models", "__pycache__"})
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.json$")


@dataclass(frozen=True)
class SchemaFile:
    """One versioned schema file of a topic's message type."""

    rel: str
    topic: str
    type_name: str
    version: int


@dataclass
class Tree:
    """What the root holds: versioned schemas, special (envelope) files, misplaced files."""

    versioned: list[SchemaFile]
    special: list[str]
    problems: list[Problem]

    @property
    def all_files(self) -> list[str]:
        """Every schema file to parse and meta-validate, relative to the root."""
        return [f.rel for f in self.versioned] + self.special

    def types(self) -> dict[tuple[str, str], list[SchemaFile]]:
        """Versioned files grouped by (topic, type), each group sorted by version."""
        grouped: dict[tuple[str, str], list[SchemaFile]] = defaultdict(list)
        for f in self.versioned:
            grouped[(f.topic, f.type_name)].append(f)
        return {k: sorted(v, key=lambda f: f.version) for k, v in sorted(grouped.items())}


def is_schema_path(rel: str) -> bool:
    """Whether a root-relative path is a JSON file the checker looks at."""
    parts = rel.split("/")
    skipped = parts[0] in SKIPPED_DIRS or any(p.startswith(".") for p in parts)
    return rel.endswith(".json") and not skipped


def classify(rels: list[str]) -> Tree:
    """Sort root-relative JSON paths into versioned schemas, envelope files and misfits."""
    tree = Tree([], [], [])
    for rel in sorted(r for r in rels if is_schema_path(r)):
        parts = rel.split("/")
        if parts[0] == ENVELOPE_DIR:
            tree.special.append(rel)
            if len(parts) != 2 or not _VERSION_FILE.match(parts[1]):
                msg = "envelope schemas live at envelope/v<N>.json"
                tree.problems.append(Problem(rel, "$", rules.LAYOUT_INVALID, msg))
            continue
        match = _VERSION_FILE.match(parts[-1])
        if len(parts) == 3 and match:
            tree.versioned.append(SchemaFile(rel, parts[0], parts[1], int(match.group(1))))
            continue
        msg = "schema files live at <topic>/<Type>/v<N>.json (N = 1, 2, ...)"
        tree.problems.append(Problem(rel, "$", rules.LAYOUT_INVALID, msg))
    return tree


def scan(root: Path) -> Tree:
    """Classify every JSON file below ``root``."""
    return classify([p.relative_to(root).as_posix() for p in root.rglob("*.json") if p.is_file()])


def follows_id_scheme(docs: dict[str, Schema]) -> bool:
    """Whether any document uses the project's ``$id`` scheme (``schemas.SCHEMA_ID_PREFIX``)."""
    return any(
        isinstance(doc, dict) and str(doc.get("$id", "")).startswith(SCHEMA_ID_PREFIX)
        for doc in docs.values()
    )


def id_problems(tree: Tree, docs: dict[str, Schema]) -> list[Problem]:
    """A versioned file's ``$id`` must be ``schemas.schema_id(topic, Type, N)``."""
    out = []
    for f in tree.versioned:
        doc = docs.get(f.rel)
        if not isinstance(doc, dict):
            continue
        expected = schema_id(f.topic, f.type_name, f.version)
        if doc.get("$id") != expected:
            found = repr(doc["$id"]) if "$id" in doc else "missing"
            msg = f"$id is {found}; expected {expected!r}"
            out.append(Problem(f.rel, "$.$id", rules.ID_MISMATCH, msg))
    return out


def version_problems(tree: Tree) -> list[Problem]:
    """Versions of a type must run v1, v2, ... without gaps."""
    out = []
    for (topic, type_name), files in tree.types().items():
        present = [f.version for f in files]
        missing = sorted(set(range(1, max(present) + 1)) - set(present))
        if missing:
            gaps = ", ".join(f"v{n}" for n in missing)
            have = ", ".join(f"v{n}" for n in present)
            msg = f"versions must be contiguous from v1; have {have}, missing {gaps}"
            out.append(Problem(f"{topic}/{type_name}/", "$", rules.VERSION_GAP, msg))
    return out
