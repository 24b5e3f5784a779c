"""Workflow definitions: validated as a DAG of steps, versioned on every change."""

from __future__ import annotations

from typing import Any

from agents_svc.domain.decision import SchedulerDecision
from agents_svc.domain.errors import Refusal, conflict, unprocessable
from agents_svc.domain.state import WORKFLOW, Record
from agents_svc.domain.templating import referenced_step, references, valid_path
from agents_svc.domain.views import effective_capabilities, workflow_view

STEP_DEFAULTS: dict[str, Any] = {
    "capabilities": [],
    "input": {},
    "depends_on": [],
    "retry": {"attempts": 3, "backoff_s": 1},
    "timeout_s": 300,
    "priority": 5,
}


def invalid(message: str, field: str) -> Refusal:
    """422 invalid_workflow naming the offending field."""
    return unprocessable("invalid_workflow", message, field)


def normalize(definition: dict[str, Any]) -> dict[str, Any]:
    """The definition with every step's defaults filled in (what executions run)."""
    steps = [{**STEP_DEFAULTS, **step} for step in definition["steps"]]
    for step in steps:
        step["retry"] = {**STEP_DEFAULTS["retry"], **step["retry"]}
    return {**definition, "steps": steps}


def validate(definition: dict[str, Any], offers: list[set[str]]) -> None:
    """Refuse duplicate ids, unknown dependencies, cycles, references to non-ancestors and
    steps no agent can run (``offers``: each live agent's capabilities)."""
    steps = definition["steps"]
    index: dict[str, int] = {}
    for i, step in enumerate(steps):
        if step["id"] in index:
            raise invalid(f"step id {step['id']!r} is used twice", f"definition.steps[{i}].id")
        index[step["id"]] = i
    for i, step in enumerate(steps):
        for dep in step["depends_on"]:
            if dep not in index:
                raise invalid(
                    f"step {step['id']} depends on unknown step {dep}",
                    f"definition.steps[{i}].depends_on",
                )
    cycle = find_cycle({s["id"]: list(s["depends_on"]) for s in steps})
    if cycle:
        raise invalid(
            "cycle: " + " -> ".join(cycle), f"definition.steps[{index[cycle[0]]}].depends_on"
        )
    for i, step in enumerate(steps):
        _check_references(step, i, steps)
        needs = set(step["capabilities"])
        if not any(needs.issubset(offer) for offer in offers):
            wanted = ", ".join(sorted(needs))
            raise invalid(
                f"no agent offers capabilities [{wanted}] for step {step['id']}",
                f"definition.steps[{i}].capabilities",
            )


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a closed path (a -> b -> a), or None."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for dep in graph.get(node, []):
            if colour.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if colour.get(dep) is None:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        colour[node] = 2
        return None

    for node in graph:
        if colour.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


def ancestors(graph: dict[str, list[str]], step_id: str) -> set[str]:
    """Every step ``step_id`` transitively depends on."""
    seen: set[str] = set()
    todo = list(graph.get(step_id, []))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(graph.get(dep, []))
    return seen


def _check_references(step: dict[str, Any], i: int, steps: list[dict[str, Any]]) -> None:
    graph = {s["id"]: list(s["depends_on"]) for s in steps}
    before = ancestors(graph, step["id"])
    for path in references(step["input"]):
        if not valid_path(path):
            raise invalid(
                f"step {step['id']}: ${{{path}}} is neither context.<path> nor "
                "steps.<id>.output.<path>",
                f"definition.steps[{i}].input",
            )
        source = referenced_step(path)
        if source is not None and source not in before:
            raise invalid(
                f"step {step['id']} reads the output of {source}, which it does not depend on",
                f"definition.steps[{i}].input",
            )


def define(dec: SchedulerDecision, data: dict[str, Any]) -> None:
    """DefineWorkflow: version 1 of a new workflow, or the next version of a known one."""
    definition = normalize(data["definition"])
    offers = [set(effective_capabilities(a)) for a in dec.state.agents()]
    validate(definition, offers)
    key = WORKFLOW + data["workflow_id"]
    wf = dec.get(key)
    if wf is not None and wf["project_id"] != data["project_id"]:
        raise conflict("project_mismatch", "a workflow stays in its project", "project_id")
    if (
        wf is not None
        and wf["versions"][str(wf["version"])] == definition
        and wf["name"] == data["name"]
    ):
        dec.reply(workflow_view(wf))  # a retried definition changes nothing
        return
    version = 1 if wf is None else int(wf["version"]) + 1
    new: Record = {
        "id": data["workflow_id"],
        "project_id": data["project_id"],
        "name": data["name"],
        "version": version,
        "versions": {**(wf or {}).get("versions", {}), str(version): definition},
        "defined_by": data["defined_by"],
        "created_at": dec.now if wf is None else wf["created_at"],
        "updated_at": dec.now,
    }
    dec.put(key, new)
    dec.event(
        "WorkflowDefined",
        new["id"],
        {
            "workflow_id": new["id"],
            "project_id": new["project_id"],
            "name": new["name"],
            "version": version,
            "definition": definition,
            "defined_by": data["defined_by"],
        },
    )
    dec.reply(workflow_view(new), 201 if wf is None else 200)
