"""The schema tree and the topic catalog must name the same topics and types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from streams.tooling.contract import rules
from streams.tooling.contract.layout import Tree
from streams.tooling.contract.problems import Problem


class ModeLike(Protocol):
    """A compatibility mode as ``topics.Compatibility`` exposes it."""

    @property
    def base(self) -> str:
        """BACKWARD, FORWARD, FULL or NONE."""
        ...

    @property
    def transitive(self) -> bool:
        """Whether new versions are checked against all earlier ones."""
        ...


class TopicLike(Protocol):
    """The parts of ``topics.TopicSpec`` the schema check reads."""

    @property
    def name(self) -> str:
        """The topic name, which is also its directory under the schema root."""
        ...

    @property
    def types(self) -> Sequence[str]:
        """The message types the topic may carry."""
        ...

    @property
    def compatibility(self) -> ModeLike:
        """How versions of the topic's schemas may evolve."""
        ...


def catalog_problems(tree: Tree, catalog: Sequence[TopicLike]) -> list[Problem]:
    """Unknown topic or type directories, and catalog types that have no schema."""
    by_name = {t.name: t for t in catalog}
    present = set(tree.types())
    out = []
    for topic, type_name in sorted(present):
        where = f"{topic}/{type_name}/"
        spec = by_name.get(topic)
        if spec is None:
            msg = f"'{topic}' is not a topic of the catalog (topics/catalog.py)"
            out.append(Problem(where, "$", rules.UNKNOWN_TOPIC, msg))
        elif type_name not in spec.types:
            allowed = ", ".join(spec.types) or "no types"
            msg = f"topic '{topic}' does not carry '{type_name}'; the catalog allows {allowed}"
            out.append(Problem(where, "$", rules.UNKNOWN_TYPE, msg))
    for spec in catalog:
        for type_name in spec.types:
            if (spec.name, type_name) not in present:
                rel = f"{spec.name}/{type_name}/v1.json"
                msg = (
                    f"the catalog's topic '{spec.name}' carries '{type_name}' but it has no schema"
                )
                out.append(Problem(rel, "$", rules.MISSING_SCHEMA, msg))
    return out
