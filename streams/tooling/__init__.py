"""Tooling around the runtime: the dafnck CLI, the local stack, topic admin, the schema checker."""
