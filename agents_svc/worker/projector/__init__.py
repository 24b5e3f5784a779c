"""The agents read model's projector: agent-events in batches → Postgres schema ``agents``."""
