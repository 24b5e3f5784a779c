"""Notifications context: real-time, email, push and preferences (to be built)."""
