"""When a worker is ready: running, partitions assigned, tables recovered, handlers healthy."""

from __future__ import annotations

from typing import Any

import faust


class HandlerHealth:
    """The last outcome of each consuming agent: a crash stays reported until a record succeeds."""

    def __init__(self) -> None:
        self.crashes: dict[str, str] = {}

    def crashed(self, agent: str, exc: BaseException) -> None:
        """Record that ``agent``'s handler raised out of the pipeline."""
        self.crashes[agent] = f"{type(exc).__name__}: {exc}"[:300]

    def succeeded(self, agent: str) -> None:
        """Clear ``agent``'s crash, if any (cheap: called for every record)."""
        if self.crashes:
            self.crashes.pop(agent, None)


def handler_health(app: faust.App) -> HandlerHealth:
    """The app's handler health, created on first use."""
    health: HandlerHealth | None = getattr(app, "dafnck_handler_health", None)
    if health is None:
        health = HandlerHealth()
        app.dafnck_handler_health = health  # type: ignore[attr-defined]
    return health


def _crashed_actors(app: faust.App) -> list[str]:
    # Agents outside ``streams.worker.consume`` (e.g. projectors) report through Faust's
    # actors: one that raised is marked crashed until its supervisor restarts it.
    found: list[str] = []
    for name, agent in app.agents.items():
        for actor in getattr(agent, "_actors", ()):
            reason: Any = getattr(actor, "_crash_reason", None)
            if isinstance(reason, Exception):
                found.append(f"agent {name} crashed: {type(reason).__name__}: {reason}"[:300])
    return found


def _changelog_mismatches(app: faust.App) -> list[str]:
    # What the consumer's metadata says of each changelog; a table whose changelog it sees
    # with another partition count fails every write (PartitionsMismatch) until refreshed.
    found: list[str] = []
    partitions_of = getattr(app.consumer, "topic_partitions", None)
    if partitions_of is None:
        return found
    for table in app.tables.values():
        changelog = table.changelog_topic
        wanted = changelog.partitions or app.conf.topic_partitions
        seen = partitions_of(changelog.get_topic_name())
        if seen is not None and seen != wanted:
            found.append(
                f"table {table.name}: changelog {changelog.get_topic_name()} has {seen} "
                f"partitions in the consumer's metadata, the table needs {wanted}"
            )
    return found


def readiness_problems(app: faust.App) -> list[str]:
    """What keeps the worker from being ready (empty when it is ready)."""
    problems: list[str] = []
    if not app.producer.started:
        problems.append("producer not started")
    if not app.consumer.started:
        problems.append("consumer not started")
    elif not app.consumer.assignment():
        problems.append("no partitions assigned yet")
    if app.rebalancing:
        problems.append("consumer group rebalancing")
    recovery = getattr(app.tables, "recovery", None)
    if recovery is not None and not recovery.completed.is_set():
        problems.append("tables recovering")
    crashes = handler_health(app).crashes
    problems += [f"handler {name} crashed: {why}" for name, why in sorted(crashes.items())]
    problems += _crashed_actors(app)
    if not problems:
        problems += _changelog_mismatches(app)
    return problems
