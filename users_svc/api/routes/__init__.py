"""The users context's HTTP routes, mounted by the edge (see ``users_svc.api``)."""
