"""Unit tests of the agent SDK (dafnck_sdk)."""
