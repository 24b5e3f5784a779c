"""Users context: people and service accounts, credentials, sessions, roles, API keys, signing keys.

``domain`` decides (pure), ``worker`` is the Faust app (id ``users-svc``) that runs the
decisions on user commands and projects the events into Postgres, ``api`` is what the edge
mounts (routes, read-model queries, token signing). The contract is DESIGN.md.
"""
