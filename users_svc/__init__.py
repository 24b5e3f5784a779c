"""Users context: identity, JWT auth and RBAC (to be built)."""
