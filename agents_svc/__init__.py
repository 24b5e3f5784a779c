"""Agents context: agents and their keys, workflows, executions, tasks and agent messaging."""
