"""``python -m edge`` serves the edge on ``DAFNCK_EDGE_HOST``:``DAFNCK_EDGE_PORT``."""

from __future__ import annotations

import os

from aiohttp import web

from edge.app import EdgeConfig, build_app
from streams.logs import configure_json_logging
from streams.stack import ensure_stack


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
    web.run_app(build_app(config), host=config.host, port=config.port, print=None)


if __name__ == "__main__":
    main()
