"""A worker's start-up checks: its internal topics exist, shaped as its tables need.

Run before Faust starts (see ``streams.worker.run_worker``); a worker that cannot get
there logs why and exits nonzero instead of running with tables it cannot write.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from faust.types.settings.settings import Settings as FaustSettings

from streams.kafka_admin.internal_topics import InternalTopic, ensure_internal_topics
from streams.kafka_admin.model import TopicAdminError

log = logging.getLogger("dafnck.startup")


def _cleanup_policy(topic: Any) -> dict[str, str]:
    flags = sorted(
        flag for flag, on in (("compact", topic.compacting), ("delete", topic.deleting)) if on
    )
    return {"cleanup.policy": ",".join(flags)} if flags else {}


def internal_topics(app: faust.App) -> list[InternalTopic]:
    """Every topic Faust would create for ``app``: table changelogs and the leader topic."""
    conf: FaustSettings = app.conf
    found: list[InternalTopic] = []
    for table in app.tables.values():
        changelog = table.changelog_topic
        configs = _cleanup_policy(changelog)
        if changelog.retention:
            configs["retention.ms"] = str(int(float(changelog.retention) * 1000))
        configs.update({k: str(v) for k, v in (changelog.config or {}).items()})
        found.append(
            InternalTopic(
                changelog.get_topic_name(),
                changelog.partitions or conf.topic_partitions,
                configs,
            )
        )
    if not conf.topic_disable_leader:
        # faust.assignor.LeaderAssignor's topic: one partition, whoever holds it leads.
        found.append(InternalTopic(f"{conf.id}-__assignor-__leader", 1))
    return found


def prepare_internal_topics(app: faust.App, bootstrap: str) -> bool:
    """Create the app's internal topics and wait for them; False (logged) when impossible."""
    wanted = internal_topics(app)
    # A loop of our own: Faust's worker sets up and owns the main one afterwards.
    loop = asyncio.new_event_loop()
    try:
        created = loop.run_until_complete(ensure_internal_topics(bootstrap, wanted))
    except TopicAdminError as exc:
        log.error("cannot start: %s", exc)
        return False
    finally:
        loop.close()
    if created:
        log.info("internal topics created", extra={"topics": created})
    return True
