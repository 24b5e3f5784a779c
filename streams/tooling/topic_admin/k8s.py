"""Strimzi ``KafkaTopic`` manifests from the catalog.

Run as ``python -m streams.tooling.topic_admin.k8s``.

The output is committed as ``deploy/k8s/topics.yaml``; a contract test regenerates it and
fails on any difference, so the catalog and the manifests cannot drift apart.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from topics import TopicSpec, all_topics

API_VERSION = "kafka.strimzi.io/v1beta2"
CLUSTER = "dafnck"
MANIFEST_PATH = Path(__file__).resolve().parents[3] / "deploy" / "k8s" / "topics.yaml"
HEADER = (
    "# Generated from topics/catalog.py by `dafnck topics k8s` "
    "(python -m streams.tooling.topic_admin.k8s).\n"
    "# Do not edit: change the catalog and regenerate; a contract test compares the two.\n"
)


def _quote(value: str) -> str:
    # A JSON string is a valid YAML scalar and keeps "604800000" a string, which is what
    # Kafka's config API takes, without needing a YAML library.
    return json.dumps(value)


def topic_manifest(spec: TopicSpec, cluster: str = CLUSTER) -> str:
    """One ``KafkaTopic`` resource as YAML text."""
    lines = [
        f"apiVersion: {API_VERSION}",
        "kind: KafkaTopic",
        "metadata:",
        f"  name: {spec.name}",
        "  labels:",
        f"    strimzi.io/cluster: {cluster}",
        "    app.kubernetes.io/part-of: dafnck-machine",
        f"    dafnck.io/topic-kind: {spec.kind.value}",
        "spec:",
        f"  topicName: {spec.name}",
        f"  partitions: {spec.partitions}",
        f"  replicas: {spec.replication}",
        "  config:",
    ]
    lines += [f"    {key}: {_quote(value)}" for key, value in sorted(spec.topic_configs().items())]
    return "\n".join(lines) + "\n"


def render(specs: Iterable[TopicSpec] | None = None, cluster: str = CLUSTER) -> str:
    """Every catalog topic as one multi-document YAML stream, with a do-not-edit header."""
    chosen = all_topics() if specs is None else specs
    return HEADER + "".join(f"---\n{topic_manifest(s, cluster)}" for s in chosen)


def main(argv: list[str] | None = None) -> int:
    """Print the manifests, or with ``--write`` refresh ``deploy/k8s/topics.yaml``."""
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--write" in args:
        MANIFEST_PATH.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {MANIFEST_PATH}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
