"""The embedded local stack: Kafka (KRaft), PostgreSQL and Redis on loopback, without Docker.

``ensure_stack`` starts what is not running and returns the endpoints; environment variables
``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL`` and ``REDIS_URL`` switch single components to
external infrastructure.
"""

from __future__ import annotations

from streams.state_dir import default_state_dir
from streams.tooling.stack.endpoints import Endpoints, external_from_env
from streams.tooling.stack.errors import ComponentError, StackError
from streams.tooling.stack.manager import (
    ComponentStatus,
    current_endpoints,
    ensure_stack,
    stack_status,
    stderr_progress,
    stop_stack,
)

__all__ = [
    "ComponentError",
    "ComponentStatus",
    "Endpoints",
    "StackError",
    "current_endpoints",
    "default_state_dir",
    "ensure_stack",
    "external_from_env",
    "stack_status",
    "stderr_progress",
    "stop_stack",
]
