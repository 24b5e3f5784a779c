"""Queries of the agents read model (Postgres schema ``agents``) and their views."""
