"""``dafnck publish`` and ``dafnck tail``: put one event on a topic, watch a topic."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer

import topics
from streams.envelope import EnvelopeError, decode
from streams.producer import EventPublisher
from streams.registry import SchemaViolation
from streams.tooling.topic_admin import NoKafkaError, resolve_bootstrap


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``publish`` and ``tail``."""
    pub = subparsers.add_parser(
        "publish",
        help="validate an event against its schema and produce it",
        description=(
            "Wrap DATA in a CloudEvents envelope (newest schema version of TYPE on TOPIC), "
            "validate it and produce it keyed by its subject. Invalid data is refused with "
            "the failing field and exit code 1; nothing is sent."
        ),
        epilog=(
            "example: dafnck publish agent-events --type AgentDeleted "
            "--data '{\"agent_id\": \"6d1f...\", \"deleted_by\": \"4c2e...\"}'"
        ),
    )
    pub.add_argument("topic", help="catalog topic, e.g. agent-events")
    what = pub.add_mutually_exclusive_group(required=True)
    what.add_argument("--type", dest="type_name", help="event type, e.g. AgentCreated")
    what.add_argument(
        "--raw",
        metavar="BYTES",
        help="send this text as the record value, unwrapped and unvalidated "
        "(as an outside producer might; useful to see the dead-letter path)",
    )
    pub.add_argument("--data", help="the data payload as JSON ('-' reads stdin); with --type")
    pub.add_argument(
        "--key", help="the aggregate id (Kafka key and envelope subject); default: from data"
    )
    pub.add_argument("--actor", help="who the event acts for (envelope 'actor' extension)")
    pub.add_argument("--bootstrap-servers", help="Kafka address (default: env or local stack)")
    pub.set_defaults(func=_publish)

    tail = subparsers.add_parser(
        "tail",
        help="print the envelopes arriving on a topic",
        description=(
            "Pretty-print each record of TOPIC: partition, offset, key, headers and the "
            "envelope (or the raw bytes when it is not one, as on a .dlq topic)."
        ),
    )
    tail.add_argument("topic", help="catalog topic, e.g. agent-events or agent-events.dlq")
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest record")
    tail.add_argument("-n", "--max", type=int, default=0, help="stop after N records (0: never)")
    tail.add_argument(
        "--timeout", type=float, default=0, help="stop after this many idle seconds (0: never)"
    )
    tail.add_argument("--bootstrap-servers", help="Kafka address (default: env or local stack)")
    tail.set_defaults(func=_tail)


def _subject_from(data: dict[str, Any], explicit: str | None) -> str | None:
    if explicit:
        return explicit
    # The aggregate id is the first *_id field the data carries (agent_id, user_id, ...).
    for name, value in data.items():
        if name.endswith("_id") and isinstance(value, str):
            return value
    return None


def _publish(args: argparse.Namespace) -> int:
    try:
        spec = topics.by_name(args.topic)
        bootstrap = resolve_bootstrap(args.bootstrap_servers)
    except (KeyError, NoKafkaError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if args.raw is not None:
        return asyncio.run(_publish_raw(bootstrap, spec, args.raw, args.key))
    if args.data is None:
        print("error: --type needs --data", file=sys.stderr)
        return 2
    raw = sys.stdin.read() if args.data == "-" else args.data
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        print(f"error: --data is not JSON: {exc}", file=sys.stderr)
        return 1
    if not isinstance(data, dict):
        print("error: --data must be a JSON object", file=sys.stderr)
        return 1
    subject = _subject_from(data, args.key)
    if subject is None:
        print("error: no aggregate id in data; pass --key", file=sys.stderr)
        return 1
    return asyncio.run(_publish_async(bootstrap, spec, args, data, subject))


async def _publish_async(
    bootstrap: str, spec: topics.TopicSpec, args: argparse.Namespace, data: dict, subject: str
) -> int:
    publisher = EventPublisher(bootstrap, source="/dafnck/cli")
    try:
        envelope = publisher.build(spec, args.type_name, data, subject=subject, actor=args.actor)
    except SchemaViolation as exc:
        print(f"invalid {args.type_name}: {exc.path}: {exc.detail} ({exc.reason})", file=sys.stderr)
        return 1
    async with publisher:
        partition, offset = await publisher.publish(spec, envelope)
    print(f"published {envelope.type} {envelope.id} to {spec.name}[{partition}]@{offset}")
    return 0


async def _publish_raw(bootstrap: str, spec: topics.TopicSpec, value: str, key: str | None) -> int:
    async with EventPublisher(bootstrap, source="/dafnck/cli") as publisher:
        partition, offset = await publisher.send_raw(
            spec.name, value.encode(), key=key.encode() if key else None
        )
    print(f"sent {len(value.encode())} raw bytes to {spec.name}[{partition}]@{offset}")
    return 0


def _tail(args: argparse.Namespace) -> int:
    try:
        topics.by_name(args.topic)
        bootstrap = resolve_bootstrap(args.bootstrap_servers)
    except (KeyError, NoKafkaError) as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_tail_async(bootstrap, args))
    except KeyboardInterrupt:
        return 0


def format_record(msg: Any) -> str:
    """One consumed record as readable text: origin, headers and the envelope or raw bytes."""
    when = datetime.fromtimestamp(msg.timestamp / 1000, UTC).isoformat(timespec="milliseconds")
    key = msg.key.decode("utf-8", "replace") if msg.key is not None else None
    lines = [f"--- {msg.topic}[{msg.partition}]@{msg.offset}  {when}  key={key}"]
    for name, value in msg.headers or ():
        lines.append(f"    {name}: {value.decode('utf-8', 'replace')}")
    try:
        body = orjson.dumps(decode(msg.value).to_dict(), option=orjson.OPT_INDENT_2).decode()
    except EnvelopeError as exc:
        raw = (msg.value or b"")[:2000].decode("utf-8", "replace")
        body = f"(not an envelope: {exc.reason}) {raw}"
    lines.append(body)
    return "\n".join(lines)


async def _tail_async(bootstrap: str, args: argparse.Namespace) -> int:
    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if args.from_beginning else "latest",
    )
    await consumer.start()
    seen = 0
    try:
        while True:
            timeout_ms = int(args.timeout * 1000) if args.timeout else 1000
            batch = await consumer.getmany(timeout_ms=timeout_ms)
            if not batch and args.timeout:
                return 0
            for records in batch.values():
                for msg in records:
                    print(format_record(msg), flush=True)
                    seen += 1
                    if args.max and seen >= args.max:
                        return 0
    finally:
        await consumer.stop()
