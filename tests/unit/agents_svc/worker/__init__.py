"""Unit tests of the agents context: the worker (handler, journaled store, projector)."""
