"""Unit tests of the agents context: the pure scheduling domain."""
