"""``python -m edge`` serves the edge on ``DAFNCK_EDGE_HOST``:``DAFNCK_EDGE_PORT``."""

from __future__ import annotations

import logging
import os
import sys

from edge.app import build_app
from edge.contexts import BootstrapError
from edge.core import EdgeConfig
from edge.server import run
from edge.services import EdgeServices
from streams.logs import configure_json_logging
from streams.tooling.stack import ensure_stack

log = logging.getLogger("dafnck.edge")


def main() -> None:
    """Resolve the infrastructure, configure logs and serve until interrupted."""
    endpoints = ensure_stack(progress=lambda _msg: None)
    env = os.environ.get("DAFNCK_ENV", "development")
    configure_json_logging("edge", "0.1.0", env, os.environ.get("DAFNCK_LOG_LEVEL", "INFO"))
    config = EdgeConfig(
        kafka_bootstrap=endpoints.kafka_bootstrap,
        database_url=endpoints.database_url,
        redis_url=endpoints.redis_url,
        host=os.environ.get("DAFNCK_EDGE_HOST", "127.0.0.1"),
        port=int(os.environ.get("DAFNCK_EDGE_PORT", "8080")),
        environment=env,
    )
    try:
        services = EdgeServices.from_env(config)
        run(build_app(config, services), config.host, config.port)
    except (BootstrapError, ValueError) as exc:
        # Configuration the edge cannot start with: say what to fix, without a traceback.
        log.error("edge cannot start: %s", exc)
        print(f"edge: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
