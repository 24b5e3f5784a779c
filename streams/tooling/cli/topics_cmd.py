"""`dafnck topics apply|list|diff|k8s`: make the Kafka cluster match the topic catalog."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from streams.tooling.topic_admin import (
    DEFAULT_TIMEOUT_S,
    NoKafkaError,
    TopicAdminError,
    TopicProblemsError,
    apply_topics,
    describe_cluster_topics,
    diff_topics,
    k8s,
    listing,
    resolve_bootstrap,
)
from topics import all_topics

# Exit codes: 1 = the cluster differs from the catalog (or apply could not fix something),
# 2 = no Kafka to talk to; scripts and `dafnck up` tell the two apart.
EXIT_DRIFT = 1
EXIT_NO_KAFKA = 2


def register(subparsers: Any) -> None:
    """Add the `topics` command and its actions to the dafnck parser."""
    topics = subparsers.add_parser(
        "topics",
        help="create, compare and list the catalog's Kafka topics",
        description=(
            "Make the Kafka cluster match topics/catalog.py. Kafka is --bootstrap-servers, "
            "else $KAFKA_BOOTSTRAP_SERVERS, else the local stack (`dafnck stack up`)."
        ),
    )
    topics.set_defaults(func=lambda _args: _help(topics))
    actions = topics.add_subparsers(dest="topics_action", metavar="ACTION")

    apply = actions.add_parser(
        "apply", help="create missing topics, grow partitions, fix configs (idempotent)"
    )
    apply.set_defaults(func=cmd_apply)
    show = actions.add_parser("list", help="the catalog's topics and whether the cluster has them")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_list)
    diff = actions.add_parser(
        "diff", help="report drift between the catalog and the cluster; exit 1 if any"
    )
    diff.set_defaults(func=cmd_diff)
    for parser in (apply, show, diff):
        _add_connection(parser)

    manifests = actions.add_parser(
        "k8s", help="print Strimzi KafkaTopic manifests for every catalog topic"
    )
    manifests.add_argument("-o", "--output", type=Path, help="write to this file instead")
    manifests.add_argument("--cluster", default=k8s.CLUSTER, help="strimzi.io/cluster label")
    manifests.set_defaults(func=cmd_k8s)


def _add_connection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap-servers",
        metavar="HOST:PORT[,...]",
        help="Kafka to administer (default: $KAFKA_BOOTSTRAP_SERVERS, else the local stack)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds to wait for Kafka (default {DEFAULT_TIMEOUT_S:g})",
    )


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _quiet_kafka_client() -> None:
    # aiokafka logs every failed connection attempt at ERROR; our own message says it once.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)


def _fail(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def cmd_apply(args: argparse.Namespace) -> int:
    """Create or update every catalog topic; print one line per topic."""
    _quiet_kafka_client()
    try:
        bootstrap = resolve_bootstrap(args.bootstrap_servers)
        print(f"applying {len(all_topics())} topics to {bootstrap}", file=sys.stderr)
        asyncio.run(apply_topics(bootstrap, out=_print, timeout=args.timeout))
    except NoKafkaError as exc:
        _fail(str(exc))
        return EXIT_NO_KAFKA
    except TopicProblemsError:
        return EXIT_DRIFT  # each problem was already printed
    except TopicAdminError as exc:
        _fail(str(exc))
        return EXIT_NO_KAFKA
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    """Print the catalog with each topic's presence on the cluster."""
    _quiet_kafka_client()
    specs = all_topics()
    try:
        bootstrap = resolve_bootstrap(args.bootstrap_servers)
        found = asyncio.run(describe_cluster_topics(bootstrap, [], timeout=args.timeout))
    except TopicAdminError as exc:
        _fail(str(exc))
        return EXIT_NO_KAFKA
    if args.json:
        print(json.dumps(listing.rows(specs, found), indent=2))
    else:
        print(listing.table(specs, found))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Print each difference between the catalog and the cluster; exit 1 if there is any."""
    _quiet_kafka_client()
    try:
        bootstrap = resolve_bootstrap(args.bootstrap_servers)
        drifts = asyncio.run(diff_topics(bootstrap, timeout=args.timeout))
    except TopicAdminError as exc:
        _fail(str(exc))
        return EXIT_NO_KAFKA
    for drift in drifts:
        print(drift)
    if drifts:
        print(
            f"{len(drifts)} difference(s); `dafnck topics apply` fixes what it can", file=sys.stderr
        )
        return EXIT_DRIFT
    print(f"no drift: the cluster at {bootstrap} matches all {len(all_topics())} catalog topics")
    return 0


def cmd_k8s(args: argparse.Namespace) -> int:
    """Print (or write) the Strimzi KafkaTopic manifests generated from the catalog."""
    text = k8s.render(cluster=args.cluster)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _print(line: str) -> None:
    print(line, flush=True)
