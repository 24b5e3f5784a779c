"""Each new version of a type must be compatible with its predecessors under the topic's mode."""

from __future__ import annotations

from collections.abc import Sequence

from streams.tooling.contract.catalog_check import TopicLike
from streams.tooling.contract.compat import check_compatibility
from streams.tooling.contract.history import Published
from streams.tooling.contract.jsonutil import Schema
from streams.tooling.contract.layout import SchemaFile, Tree, classify
from streams.tooling.contract.loading import meta_problems
from streams.tooling.contract.problems import Problem


def evolution_problems(
    tree: Tree,
    valid: dict[str, Schema],
    catalog: Sequence[TopicLike],
    published: Published | None = None,
) -> list[Problem]:
    """Problems of each version N >= 2 against v(N-1), or every earlier one if transitive."""
    by_name = {t.name: t for t in catalog}
    baselines = _published_baselines(published)
    out: list[Problem] = []
    for (topic, type_name), files in tree.types().items():
        spec = by_name.get(topic)
        if spec is None or type_name not in spec.types or spec.compatibility.base == "NONE":
            continue
        # A published version is judged by what was published, even if it was edited since
        # (the edit is reported on its own); new versions are judged by the working tree.
        versions = dict(baselines.get((topic, type_name), {}))
        for f in files:
            if f.rel in valid:
                versions.setdefault(f.version, valid[f.rel])
        for f in files:
            if f.rel in valid:
                out += _against_earlier(f, valid[f.rel], versions, spec)
    return out


def _against_earlier(
    f: SchemaFile, doc: Schema, versions: dict[int, Schema], spec: TopicLike
) -> list[Problem]:
    earlier = sorted(v for v in versions if v < f.version)
    if not earlier:
        return []
    mode = spec.compatibility
    targets = earlier if mode.transitive else earlier[-1:]
    out = []
    for version in targets:
        names = (f"v{version}", f"v{f.version}")
        for inc in check_compatibility(versions[version], doc, mode.base, names=names):
            msg = f"not {inc.direction} compatible with v{version}: {inc.message}"
            out.append(Problem(f.rel, inc.path, inc.rule, msg))
    return out


def _published_baselines(
    published: Published | None,
) -> dict[tuple[str, str], dict[int, Schema]]:
    if published is None:
        return {}
    out: dict[tuple[str, str], dict[int, Schema]] = {}
    for f in classify(list(published.docs)).versioned:
        doc = published.docs[f.rel]
        if not meta_problems(doc):
            out.setdefault((f.topic, f.type_name), {})[f.version] = doc
    return out
