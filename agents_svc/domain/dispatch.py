"""Automatic assignment: capability match, least loaded relative to capacity, priority order,
fair across projects.

Projects take turns (the one served longest ago first); within a project the queue is in
priority order, then first come first served. A task goes to the agent, among those that
are connected, accepting work, below capacity and offer every capability it needs, with the
lowest load relative to its capacity.
"""

from __future__ import annotations

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.state import TASK, Record
from agents_svc.domain.tasks import assign
from agents_svc.domain.views import effective_capabilities, effective_capacity

ACCEPTING = frozenset({"online", "busy"})
SCAN_LIMIT = 500  # queued tasks looked at per project per turn; bounds a turn's cost
AVOID_FIELD = "avoid_agent_id"  # on a task record: the agent it was redistributed away from


def available(dec: SchedulerDecision, exclude: frozenset[str] = frozenset()) -> dict[str, Record]:
    """Agents that can take a task right now, by id."""
    free: dict[str, Record] = {}
    for agent in dec.state.agents():
        if agent["id"] in exclude or agent["status"] not in ACCEPTING:
            continue
        if not agent.get("session_id"):
            continue
        if dec.state.load_of(agent["id"]) < effective_capacity(agent):
            free[agent["id"]] = agent
    return free


def choose_agent(dec: SchedulerDecision, task: Record, free: dict[str, Record]) -> Record | None:
    """The least loaded free agent offering every capability the task needs."""
    needs = set(task["capabilities"])
    best: tuple[float, int, str] | None = None
    chosen = None
    for agent in free.values():
        if not needs.issubset(effective_capabilities(agent)):
            continue
        load = dec.state.load_of(agent["id"])
        rank = (load / effective_capacity(agent), load, agent["id"])
        if best is None or rank < best:
            best, chosen = rank, agent
    return chosen


def dispatch(
    dec: SchedulerDecision, exclude: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Assign queued tasks while any agent can take one; returns (task id, agent id) pairs.

    ``exclude`` maps a task id to an agent it must not go to (as a task's ``avoid_agent_id``).
    """
    made: list[tuple[str, str]] = []
    free = available(dec)
    while free:
        progressed = False
        for project in dec.state.pending_projects():
            task, agent = _next_in(dec, project, free, exclude or {})
            if task is None or agent is None:
                continue
            assign(dec, task, agent["id"])
            dec.state.mark_served(project)
            made.append((task["id"], agent["id"]))
            progressed = True
            free = available(dec)
            if not free:
                break
        if not progressed:
            break
    return made


def _next_in(
    dec: SchedulerDecision, project: str, free: dict[str, Record], exclude: dict[str, str]
) -> tuple[Record | None, Record | None]:
    queue = dec.state.pending.get(project)
    if not queue:
        return None, None
    for index, (_prio, _seq, task_id) in enumerate(queue):
        if index >= SCAN_LIMIT:
            break
        task = dec.state.get(TASK + task_id)
        if task is None or (task.get("not_before") or 0) > dec.now:
            continue
        # A task taken away from an agent (redistributed) never goes back to it by itself:
        # it waits for another agent, or for an operator's explicit AssignTask.
        avoid = exclude.get(task_id) or task.get(AVOID_FIELD)
        candidates = free if avoid is None else {k: v for k, v in free.items() if k != avoid}
        agent = choose_agent(dec, task, candidates)
        if agent is not None:
            return task, agent
    return None, None
