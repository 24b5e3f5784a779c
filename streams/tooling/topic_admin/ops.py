"""The topic-admin API: make the cluster match the catalog, report drift, describe the cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from aiokafka.admin import AIOKafkaAdminClient

from streams.kafka_admin import cluster
from streams.kafka_admin.cluster import DEFAULT_TIMEOUT_S
from streams.kafka_admin.model import (
    ClusterTopic,
    Drift,
    TopicAdminError,
    TopicProblemsError,
)
from streams.tooling.topic_admin.drift import compute_drift
from streams.tooling.topic_admin.plan import (
    TopicPlan,
    altered_line,
    created_line,
    grew_line,
    plan_apply,
)
from topics import TopicSpec, all_topics


def _specs(specs: Iterable[TopicSpec] | None) -> list[TopicSpec]:
    return list(all_topics() if specs is None else specs)


async def describe_cluster_topics(
    bootstrap: str, names: Iterable[str] | None = None, *, timeout: float = DEFAULT_TIMEOUT_S
) -> dict[str, ClusterTopic]:
    """Every non-internal topic on the cluster; configs only for ``names`` when given."""
    async with cluster.admin_session(bootstrap, timeout) as client:
        return await cluster.describe(client, names)


async def diff_topics(
    bootstrap: str,
    specs: Iterable[TopicSpec] | None = None,
    *,
    prefix: str = "",
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[Drift]:
    """Drift between ``specs`` (default: the catalog) and the cluster; empty when they match.

    Stray topics (on the cluster, shaped like ours, not in ``specs``) count only when their
    name starts with ``prefix``, so a test catalog can ignore the real one and vice versa.
    """
    wanted = _specs(specs)
    found = await describe_cluster_topics(bootstrap, [s.name for s in wanted], timeout=timeout)
    return compute_drift(wanted, found, prefix=prefix)


async def apply_topics(
    bootstrap: str,
    specs: Sequence[TopicSpec] | None = None,
    *,
    out: Callable[[str], object] = print,
    strict: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> list[str]:
    """Create or update every topic of ``specs`` (default: the catalog); returns the changes made.

    Prints one line per topic through ``out`` (``created …``, ``grew …``, ``altered …``,
    ``ok …``, ``problem: …``) and a summary. Differences apply cannot fix (fewer partitions,
    another replication factor) and refused requests are reported; with ``strict`` they raise
    TopicProblemsError once everything else is done.
    """
    wanted = _specs(specs)
    actions: list[str] = []
    problems: list[str] = []
    async with cluster.admin_session(bootstrap, timeout) as client:
        found = await cluster.describe(client, [s.name for s in wanted])
        plans = plan_apply(wanted, found)
        created = await cluster.create(client, [p.spec for p in plans if p.create])
        failed_alters = await cluster.alter(
            client, {p.spec.name: p.alter_configs for p in plans if p.changes}
        )
        for plan in plans:
            done, trouble, note = await _carry_out(client, plan, created, failed_alters)
            actions.extend(done)
            problems.extend(trouble)
            for line in done or ([] if trouble else [note]):
                out(line)
            for line in trouble:
                out(f"problem: {line}")
    out(_summary(len(wanted), actions, problems))
    if problems and strict:
        raise TopicProblemsError(problems, actions)
    return actions


async def _carry_out(
    client: AIOKafkaAdminClient,
    plan: TopicPlan,
    created: dict[str, str | None],
    failed_alters: dict[str, str],
) -> tuple[list[str], list[str], str]:
    """(changes made, problems, the line to print when neither) for one topic.

    Creates and config changes were batched by the caller; partitions grow here, one
    request per topic, because a refusal should name the topic it concerns.
    """
    spec, done, trouble = plan.spec, [], list(plan.problems)
    note = f"ok {spec.name}"
    if plan.create:
        reason = created.get(spec.name, f"creating {spec.name}: the broker did not report on it")
        if reason is None:
            done.append(created_line(spec))
        elif reason == cluster.CREATED_CONCURRENTLY:
            note = f"ok {spec.name} ({reason})"
        else:
            trouble.append(reason)
        return done, trouble, note
    if plan.grow_from is not None:
        try:
            await cluster.grow(client, spec.name, spec.partitions)
            done.append(grew_line(spec, plan.grow_from))
        except TopicAdminError as exc:
            trouble.append(str(exc))
    if plan.changes:
        if spec.name in failed_alters:
            trouble.append(failed_alters[spec.name])
        else:
            done.append(altered_line(spec, plan.changes))
    return done, trouble, note


def _summary(total: int, actions: list[str], problems: list[str]) -> str:
    if problems:
        return (
            f"{len(actions)} change(s) made, {len(problems)} problem(s) need attention "
            f"across {total} topics"
        )
    if not actions:
        return f"nothing to change: all {total} topics match the catalog"
    return f"{len(actions)} change(s) made; all {total} topics now match the catalog"
