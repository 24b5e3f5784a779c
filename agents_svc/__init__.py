"""Agents context: agents, workflows, executions, tasks and agent messaging (to be built)."""
