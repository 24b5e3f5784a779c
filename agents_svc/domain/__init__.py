"""The agents domain: pure scheduling decisions over agents, workflows, executions and tasks."""
