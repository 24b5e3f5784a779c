"""Prometheus metrics every worker exports on ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_CONSUMED = Counter(
    "dafnck_events_consumed_total",
    "Records consumed, by service, topic and outcome.",
    ("service", "topic", "outcome"),
    registry=REGISTRY,
)
EVENTS_PRODUCED = Counter(
    "dafnck_events_produced_total",
    "Envelopes produced, by service, topic and type.",
    ("service", "topic", "type"),
    registry=REGISTRY,
)
EVENTS_DEAD_LETTERED = Counter(
    "dafnck_events_dead_lettered_total",
    "Records sent to a dead-letter topic, by service, source topic and reason.",
    ("service", "topic", "reason"),
    registry=REGISTRY,
)
HANDLER_RETRIES = Counter(
    "dafnck_handler_retries_total",
    "Handler attempts that failed and were retried.",
    ("service", "topic", "type"),
    registry=REGISTRY,
)
HANDLER_LATENCY = Histogram(
    "dafnck_handler_latency_seconds",
    "Time from a record entering the pipeline to its handler finishing.",
    ("service", "topic", "type"),
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
    registry=REGISTRY,
)


def render() -> bytes:
    """The registry in Prometheus text exposition format."""
    return generate_latest(REGISTRY)
