"""``dafnck schemas check``: every rule a schema tree must satisfy, in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from streams.tooling.contract import rules
from streams.tooling.contract.catalog_check import TopicLike, catalog_problems
from streams.tooling.contract.evolution import evolution_problems
from streams.tooling.contract.history import published_schemas
from streams.tooling.contract.immutability import edit_problems
from streams.tooling.contract.jsonutil import Schema
from streams.tooling.contract.layout import (
    Tree,
    follows_id_scheme,
    id_problems,
    scan,
    version_problems,
)
from streams.tooling.contract.loading import SchemaLoadError, meta_problems, read_schema_file
from streams.tooling.contract.problems import Problem, sort_problems


@dataclass(frozen=True)
class TreeReport:
    """The outcome of checking one schema tree."""

    problems: list[Problem]
    file_count: int
    type_count: int


def default_catalog() -> Sequence[TopicLike]:
    """The project's topic catalog."""
    import topics

    return topics.all_topics()


def check_schema_tree(
    root: Path, since: str | None = None, catalog: Sequence[TopicLike] | None = None
) -> list[Problem]:
    """Every problem in the schema tree at ``root``; ``since`` also checks against that git rev."""
    return run_checks(root, since, catalog).problems


def run_checks(
    root: Path, since: str | None = None, catalog: Sequence[TopicLike] | None = None
) -> TreeReport:
    """Check the tree at ``root`` and count what was checked; raises HistoryError on git errors."""
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"schema root {root} is not a directory")
    specs = default_catalog() if catalog is None else catalog
    tree = scan(root)
    # Read history first so an unknown revision fails before any output.
    published = published_schemas(root, since) if since else None
    parsed, valid, problems = _load(root, tree)
    # A tree of the project's schemas (or one that follows its id scheme) must get every
    # $id right; a scratch tree with ids of its own is not held to the project's scheme.
    if _is_project_root(root) or follows_id_scheme(parsed):
        problems += id_problems(tree, parsed)
    problems += version_problems(tree)
    problems += catalog_problems(tree, specs)
    if published is not None:
        problems += edit_problems(root, published, parsed)
    problems += evolution_problems(tree, valid, specs, published)
    return TreeReport(sort_problems(problems), len(tree.all_files), len(tree.types()))


def _is_project_root(root: Path) -> bool:
    from schemas import SCHEMA_ROOT

    return root.resolve() == SCHEMA_ROOT.resolve()


def _load(root: Path, tree: Tree) -> tuple[dict[str, Schema], dict[str, Schema], list[Problem]]:
    """Parsed documents, the meta-valid subset of them, and the problems found on the way."""
    parsed: dict[str, Schema] = {}
    valid: dict[str, Schema] = {}
    problems = list(tree.problems)
    for rel in tree.all_files:
        try:
            doc = read_schema_file(root / rel)
        except SchemaLoadError as exc:
            message = str(exc).removeprefix(f"{root / rel}: ")
            rule = rules.INVALID_JSON if message.startswith("not JSON") else rules.UNREADABLE_FILE
            problems.append(Problem(rel, "$", rule, message))
            continue
        parsed[rel] = doc
        found = meta_problems(doc, require_dialect=True)
        problems += [Problem(rel, path, rule, msg) for path, rule, msg in found]
        if not found:
            valid[rel] = doc
    return parsed, valid, problems
