"""Unit tests of the agents context: the HTTP routes and read-model row mapping."""
