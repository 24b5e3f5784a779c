"""Values topic administration passes around: cluster topics, drift, errors, human units."""

from __future__ import annotations

from dataclasses import dataclass, field

RETENTION_MS = "retention.ms"
CLEANUP_POLICY = "cleanup.policy"

# Largest unit first so 604800000 reads as 7d, not 168h.
_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000))


class TopicAdminError(Exception):
    """Kafka could not be reached or refused a request; the message says which and why."""


class TopicProblemsError(TopicAdminError):
    """``apply`` did what it could, but some differences need a human (listed in ``problems``)."""

    def __init__(self, problems: list[str], actions: list[str]) -> None:
        self.problems = problems
        self.actions = actions
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class ClusterTopic:
    """A topic as the cluster reports it."""

    name: str
    partitions: int
    replication: int
    # Effective values of the configs that were asked for (whatever their source).
    configs: dict[str, str] = field(default_factory=dict)
    # Topic-level overrides only: what a full AlterConfigs must resend to keep them.
    overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Drift:
    """One difference between the catalog and the cluster."""

    topic: str
    field: str  # "topic", "partitions", "replication" or a config name such as retention.ms
    expected: str | int | None
    actual: str | int | None

    @property
    def missing(self) -> bool:
        """The catalog declares the topic but the cluster does not have it."""
        return self.field == "topic" and self.actual is None

    @property
    def stray(self) -> bool:
        """The cluster has a topic that looks like ours but the catalog does not declare it."""
        return self.field == "topic" and self.expected is None

    def __str__(self) -> str:
        if self.missing:
            return f"{self.topic}: missing on the cluster"
        if self.stray:
            return f"{self.topic}: on the cluster but not in the catalog"
        actual = show_value(self.field, self.actual)
        expected = show_value(self.field, self.expected)
        return f"{self.topic}: {self.field} is {actual} on the cluster, the catalog says {expected}"


def humanize_ms(value: int | str | None) -> str:
    """A duration in milliseconds as people say it: 7d, 12h, 90s; -1 is forever."""
    if value is None:
        return "unset"
    try:
        ms = int(value)
    except ValueError:
        return str(value)
    if ms < 0:
        return "forever"
    for suffix, size in _UNITS:
        if ms and ms % size == 0:
            return f"{ms // size}{suffix}"
    return f"{ms}ms"


def show_value(name: str, value: str | int | None) -> str:
    """A config value for a message, with retention also in human units."""
    if value is None:
        return "unset"
    if name == RETENTION_MS:
        return f"{value} ({humanize_ms(value)})"
    return str(value)
