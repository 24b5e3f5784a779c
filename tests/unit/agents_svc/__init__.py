"""Unit tests of the agents context."""
