"""The topic catalog: every Kafka topic of the platform, declared once.

Code never spells a topic name as a string; it asks this module (``topics.AGENT_EVENTS``,
``topics.by_name("agent-events")``). ``dafnck topics apply`` makes the cluster match it and
``dafnck schemas check`` makes sure every type named here has a schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DAY_MS = 24 * 60 * 60 * 1000
DLQ_SUFFIX = ".dlq"
# The largest record (key, value and headers) a topic accepts, and so the largest one a
# producer may send: both are set from this one figure (``max.message.bytes`` on every topic,
# ``max_request_size`` on every producer). Kafka's own default, stated so it is a contract.
MAX_MESSAGE_BYTES = 1_048_576


class Compatibility(StrEnum):
    """Schema evolution modes, with the meaning Confluent Schema Registry gives them."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def base(self) -> str:
        """The mode without its ``_TRANSITIVE`` suffix (BACKWARD, FORWARD, FULL or NONE)."""
        return self.value.removesuffix("_TRANSITIVE")

    @property
    def transitive(self) -> bool:
        """True when a new version is checked against every earlier version, not just the last."""
        return self.value.endswith("_TRANSITIVE")


class TopicKind(StrEnum):
    EVENTS = "events"
    COMMANDS = "commands"
    # Answers to commands, keyed by command id; read by every edge replica without a group.
    REPLIES = "replies"
    DEAD_LETTER = "dead-letter"


# Consumer groups named by the design; each is the id of the Faust app that consumes with it.
NOTIFICATION_CONSUMERS = "notification-consumers"
ANALYTICS_CONSUMERS = "analytics-consumers"
AUDIT_CONSUMERS = "audit-consumers"
AGENTS_SERVICE = "agents-svc"
USERS_SERVICE = "users-svc"
PROJECTS_SERVICE = "projects-svc"
EDGE = "edge"


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its shape on the cluster and its place in the contract."""

    name: str
    kind: TopicKind
    partitions: int
    replication: int
    retention_ms: int
    cleanup_policy: str
    key: str
    owner: str
    types: tuple[str, ...]
    consumer_groups: tuple[str, ...]
    compatibility: Compatibility
    description: str = ""
    configs: dict[str, str] = field(default_factory=dict)
    max_message_bytes: int = MAX_MESSAGE_BYTES

    @property
    def dlq(self) -> str:
        """Name of this topic's dead-letter twin."""
        return self.name + DLQ_SUFFIX

    @property
    def has_dlq(self) -> bool:
        """Every consumed topic has a dead-letter twin; dead-letter topics do not."""
        return self.kind is not TopicKind.DEAD_LETTER and bool(self.consumer_groups)

    def topic_configs(self) -> dict[str, str]:
        """The Kafka topic-level configs ``topics apply`` sets."""
        return {
            "retention.ms": str(self.retention_ms),
            "cleanup.policy": self.cleanup_policy,
            "max.message.bytes": str(self.max_message_bytes),
            **self.configs,
        }


def _events(
    name: str,
    *,
    partitions: int,
    retention_days: int,
    owner: str,
    key: str,
    types: tuple[str, ...],
    groups: tuple[str, ...],
    compatibility: Compatibility = Compatibility.BACKWARD,
    description: str = "",
) -> TopicSpec:
    return TopicSpec(
        name=name,
        kind=TopicKind.EVENTS,
        partitions=partitions,
        replication=1,
        retention_ms=retention_days * DAY_MS,
        cleanup_policy="delete",
        key=key,
        owner=owner,
        types=types,
        consumer_groups=groups,
        compatibility=compatibility,
        description=description,
    )


def _commands(
    name: str, *, partitions: int, consumer: str, key: str, types: tuple[str, ...]
) -> TopicSpec:
    return TopicSpec(
        name=name,
        kind=TopicKind.COMMANDS,
        partitions=partitions,
        replication=1,
        retention_ms=7 * DAY_MS,
        cleanup_policy="delete",
        key=key,
        owner=EDGE,
        types=types,
        consumer_groups=(consumer,),
        compatibility=Compatibility.BACKWARD,
        description=f"Commands for {consumer}; written by the edge.",
    )


REPLY_TYPES = ("CommandSucceeded", "CommandRejected")


def _replies(name: str, *, partitions: int, owner: str) -> TopicSpec:
    # No consumer group: each edge replica reads every partition from its end and keeps the
    # replies to its own pending commands, so there is no DLQ twin either. A reply matters
    # only until its caller has it (or has read it from Redis), hence a day.
    return TopicSpec(
        name=name,
        kind=TopicKind.REPLIES,
        partitions=partitions,
        replication=1,
        retention_ms=1 * DAY_MS,
        cleanup_policy="delete",
        key="command id (the reply's subject and causationid)",
        owner=owner,
        types=REPLY_TYPES,
        consumer_groups=(),
        compatibility=Compatibility.BACKWARD,
        description=f"Replies of {owner} to its commands, read by the edge replicas.",
    )


_ALL_EVENT_CONSUMERS = (NOTIFICATION_CONSUMERS, ANALYTICS_CONSUMERS, AUDIT_CONSUMERS)

AGENT_EVENTS = _events(
    "agent-events",
    partitions=3,
    retention_days=7,
    owner=AGENTS_SERVICE,
    key="entity id (subject): agent, task, workflow, execution or message id",
    types=(
        "AgentCreated",
        "AgentUpdated",
        "AgentDeleted",
        "AgentStatusChanged",
        "AgentKeyIssued",
        "AgentKeyRevoked",
        "WorkflowDefined",
        "ExecutionStarted",
        "ExecutionStatusChanged",
        "StepStatusChanged",
        "TaskQueued",
        "TaskAssigned",
        "TaskStarted",
        "TaskProgressed",
        "TaskCompleted",
        "TaskFailed",
        "TaskReleased",
        "TaskCancelled",
        "MessageSent",
        "MessageAcknowledged",
    ),
    # agents-svc reads its own events too: its projector keeps the agents read model.
    groups=(*_ALL_EVENT_CONSUMERS, AGENTS_SERVICE),
    description="Lifecycle of agents, workflows, executions, tasks and agent messages.",
)
USER_EVENTS = _events(
    "user-events",
    partitions=2,
    retention_days=30,
    owner=USERS_SERVICE,
    key=(
        "user id (subject of the event); LoginFailed for an email no account has: "
        "email:<sha256 hex of the normalized email>; RoleDefined/RoleDeleted: role:<name>"
    ),
    types=(
        "UserCreated",
        "UserUpdated",
        "UserDeactivated",
        "RoleAssigned",
        "RoleRevoked",
        "PasswordChanged",
        "LoginSucceeded",
        "LoginFailed",
        "TokenReuseDetected",
        "LoggedOut",
        "ServiceAccountCreated",
        "ApiKeyIssued",
        "ApiKeyRevoked",
        "RoleDefined",
        "RoleDeleted",
    ),
    # users-svc reads its own events too: its projector keeps the users read model.
    groups=(*_ALL_EVENT_CONSUMERS, USERS_SERVICE),
    description="Identity: users, roles and security-relevant actions.",
)
PROJECT_EVENTS = _events(
    "project-events",
    partitions=3,
    retention_days=7,
    owner=PROJECTS_SERVICE,
    key="project id (subject of the event)",
    types=(),
    groups=_ALL_EVENT_CONSUMERS,
    description="Projects, team members, resources and allocations.",
)
NOTIFICATION_EVENTS = _events(
    "notification-events",
    partitions=3,
    retention_days=7,
    owner=NOTIFICATION_CONSUMERS,
    key="recipient user id",
    types=(),
    groups=(ANALYTICS_CONSUMERS, AUDIT_CONSUMERS),
    description="Notifications created, delivered, read; preferences changed.",
)
ANALYTICS_EVENTS = _events(
    "analytics-events",
    partitions=3,
    retention_days=7,
    owner=ANALYTICS_CONSUMERS,
    key="metric or report id",
    types=(),
    groups=(AUDIT_CONSUMERS,),
    description="Tracked events, windowed aggregates and generated reports.",
)

AGENT_COMMANDS = _commands(
    "agent-commands",
    partitions=3,
    consumer=AGENTS_SERVICE,
    key="always `scheduler`: the agents context decides every command on one scheduling shard",
    types=(
        "CreateAgent",
        "UpdateAgent",
        "DeleteAgent",
        "DrainAgent",
        "IssueAgentKey",
        "RevokeAgentKey",
        "ConnectAgent",
        "AgentHeartbeat",
        "DisconnectAgent",
        "SubmitTask",
        "AssignTask",
        "RedistributeTasks",
        "CancelTask",
        "StartTask",
        "ReportProgress",
        "CompleteTask",
        "FailTask",
        "DefineWorkflow",
        "ExecuteWorkflow",
        "PauseExecution",
        "ResumeExecution",
        "CancelExecution",
        "BroadcastMessage",
        "SendDirectMessage",
        "AckMessage",
    ),
)
# Internal to the agents context: the scheduler's clock. Every agents-svc replica publishes a
# Tick each second; same partitions and key as agent-commands, so the scheduling shard reads
# its ticks in the partition it decides commands on. A tick is useless once the next one is
# out, hence an hour.
AGENT_CLOCK = TopicSpec(
    name="agent-clock",
    kind=TopicKind.COMMANDS,
    partitions=3,
    replication=1,
    retention_ms=60 * 60 * 1000,
    cleanup_policy="delete",
    key="always `scheduler`",
    owner=AGENTS_SERVICE,
    types=("Tick",),
    consumer_groups=(AGENTS_SERVICE,),
    compatibility=Compatibility.BACKWARD,
    description="Clock ticks of the agents scheduler; written and read by agents-svc only.",
)
# What the scheduler sends to one agent's connection: task offers and revocations, messages.
# No consumer group: like a replies topic, every edge replica reads every partition from its
# end and forwards to the agents connected to it (an agent that reconnects is offered its
# tasks and messages again), so there is no DLQ twin either.
AGENT_DELIVERIES = TopicSpec(
    name="agent-deliveries",
    kind=TopicKind.EVENTS,
    partitions=3,
    replication=1,
    retention_ms=1 * DAY_MS,
    cleanup_policy="delete",
    key="agent id",
    owner=AGENTS_SERVICE,
    types=("TaskOffered", "TaskRevoked", "MessageDelivered"),
    consumer_groups=(),
    compatibility=Compatibility.BACKWARD,
    description=(
        "Task offers, task revocations and messages for connected agents, read by the edge "
        "replicas."
    ),
)
USER_COMMANDS = _commands(
    "user-commands",
    partitions=2,
    consumer=USERS_SERVICE,
    # CreateUser is keyed by the email it claims, so one partition decides each email.
    key=(
        "user id; CreateUser: email:<normalized email>; RecordLoginFailure for an unknown "
        "email: email:<sha256 hex of the normalized email>; DefineRole, DeleteRole and "
        "AssignRole of a custom role: role:<name>"
    ),
    types=(
        "CreateUser",
        "UpdateUser",
        "DeactivateUser",
        "AssignRole",
        "RevokeRole",
        "ChangePassword",
        "StartSession",
        "RefreshSession",
        "EndSession",
        "EndAllSessions",
        "RecordLoginFailure",
        "CreateServiceAccount",
        "IssueApiKey",
        "RevokeApiKey",
        "DefineRole",
        "DeleteRole",
    ),
)
# Internal to the users context: second steps of commands first decided on a claim aggregate
# (CreateUser on its email, AssignRole of a custom role on the role), carried out on the user
# aggregate. Same partitions and key as user-commands, so the users worker keeps both in one
# aggregate table.
USER_REGISTRATIONS = TopicSpec(
    name="user-registrations",
    kind=TopicKind.COMMANDS,
    partitions=2,
    replication=1,
    retention_ms=7 * DAY_MS,
    cleanup_policy="delete",
    key="user id",
    owner=USERS_SERVICE,
    types=("UserRegistration", "CustomRoleGrant"),
    consumer_groups=(USERS_SERVICE,),
    compatibility=Compatibility.BACKWARD,
    description=(
        "Claimed emails becoming users, custom roles found defined being granted; "
        "written and read by users-svc only."
    ),
)
# Internal to the users context: carries password and API-key hashes, so nobody else may
# consume it. Compacted: the newest credentials per user (and state per API key, keyed apart)
# is all the projector ever needs.
USER_CREDENTIALS = TopicSpec(
    name="user-credentials",
    kind=TopicKind.EVENTS,
    partitions=2,
    replication=1,
    retention_ms=-1,
    cleanup_policy="compact",
    key="user id; ApiKeyChanged: apikey:<key id>",
    owner=USERS_SERVICE,
    types=("CredentialsChanged", "ApiKeyChanged"),
    consumer_groups=(USERS_SERVICE,),
    compatibility=Compatibility.BACKWARD,
    description=(
        "Sign-in credentials per user and API keys' stored halves (hashes only); "
        "users-svc's projector reads it."
    ),
)
PROJECT_COMMANDS = _commands(
    "project-commands", partitions=3, consumer=PROJECTS_SERVICE, key="project id", types=()
)
NOTIFICATION_COMMANDS = _commands(
    "notification-commands",
    partitions=3,
    consumer=NOTIFICATION_CONSUMERS,
    key="recipient user id",
    types=(),
)
ANALYTICS_COMMANDS = _commands(
    "analytics-commands",
    partitions=3,
    consumer=ANALYTICS_CONSUMERS,
    key="metric or report id",
    types=(),
)

AGENT_REPLIES = _replies("agent-replies", partitions=3, owner=AGENTS_SERVICE)
USER_REPLIES = _replies("user-replies", partitions=2, owner=USERS_SERVICE)
PROJECT_REPLIES = _replies("project-replies", partitions=3, owner=PROJECTS_SERVICE)
NOTIFICATION_REPLIES = _replies("notification-replies", partitions=3, owner=NOTIFICATION_CONSUMERS)
ANALYTICS_REPLIES = _replies("analytics-replies", partitions=3, owner=ANALYTICS_CONSUMERS)

_PRIMARY: tuple[TopicSpec, ...] = (
    AGENT_EVENTS,
    USER_EVENTS,
    PROJECT_EVENTS,
    NOTIFICATION_EVENTS,
    ANALYTICS_EVENTS,
    AGENT_COMMANDS,
    AGENT_CLOCK,
    AGENT_DELIVERIES,
    USER_COMMANDS,
    USER_REGISTRATIONS,
    USER_CREDENTIALS,
    PROJECT_COMMANDS,
    NOTIFICATION_COMMANDS,
    ANALYTICS_COMMANDS,
    AGENT_REPLIES,
    USER_REPLIES,
    PROJECT_REPLIES,
    NOTIFICATION_REPLIES,
    ANALYTICS_REPLIES,
)


def _dead_letter_twin(spec: TopicSpec) -> TopicSpec:
    # Same partition count so a poison message keeps its partition; kept longer than the
    # source so an operator has time to inspect and replay it.
    return TopicSpec(
        name=spec.dlq,
        kind=TopicKind.DEAD_LETTER,
        partitions=spec.partitions,
        replication=spec.replication,
        retention_ms=max(spec.retention_ms, 30 * DAY_MS),
        cleanup_policy="delete",
        key=f"as on {spec.name}",
        owner=f"consumers of {spec.name}",
        types=(),
        consumer_groups=(),
        compatibility=Compatibility.NONE,
        description=f"Dead-letter twin of {spec.name}: original bytes, reason in headers.",
    )


CATALOG: tuple[TopicSpec, ...] = _PRIMARY + tuple(
    _dead_letter_twin(t) for t in _PRIMARY if t.has_dlq
)
_BY_NAME = {t.name: t for t in CATALOG}


def by_name(name: str) -> TopicSpec:
    """Look a topic up by name; raises KeyError naming the known topics when absent."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise KeyError(f"unknown topic {name!r}; the catalog has: {known}") from None


def all_topics() -> tuple[TopicSpec, ...]:
    """Every topic of the catalog, primary topics first, then dead-letter twins."""
    return CATALOG


def max_request_bytes() -> int:
    """What a producer may send at most: the largest record any catalog topic accepts."""
    return max(t.max_message_bytes for t in CATALOG)


def consumer_groups() -> tuple[str, ...]:
    """Every consumer group named by the catalog, sorted."""
    return tuple(sorted({g for t in CATALOG for g in t.consumer_groups}))
