"""Unit tests: in-process, no broker, database or network."""
