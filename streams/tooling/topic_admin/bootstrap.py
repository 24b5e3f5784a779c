"""Which Kafka to administer: the explicit option, else the environment, else the local stack."""

from __future__ import annotations

import os
from collections.abc import Mapping

from streams.kafka_admin.model import TopicAdminError

KAFKA_ENV = "KAFKA_BOOTSTRAP_SERVERS"
NO_KAFKA = "no Kafka: start the local stack with `dafnck stack up` or set KAFKA_BOOTSTRAP_SERVERS"


class NoKafkaError(TopicAdminError):
    """No bootstrap address was given and no local stack has been started."""


def resolve_bootstrap(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """``--bootstrap-servers``, else $KAFKA_BOOTSTRAP_SERVERS, else the local stack's broker."""
    if explicit and explicit.strip():
        return explicit.strip()
    env = os.environ if environ is None else environ
    configured = env.get(KAFKA_ENV, "").strip()
    if configured:
        return configured
    local = _local_stack_bootstrap()
    if local is None:
        raise NoKafkaError(NO_KAFKA)
    return local


def _local_stack_bootstrap() -> str | None:
    # Imported late: the stack package is optional for this command (external Kafka needs
    # none of it), and a broken or absent stack module must read as "no Kafka", not a crash.
    try:
        from streams.tooling.stack import current_endpoints
    except ImportError:
        return None
    try:
        endpoints = current_endpoints()
    except Exception as exc:  # a damaged state file: say so instead of a traceback
        raise NoKafkaError(f"{NO_KAFKA} (the local stack's state is unreadable: {exc})") from exc
    return endpoints.kafka_bootstrap if endpoints is not None else None
