"""The agents context's HTTP routes, mounted by the edge (see ``agents_svc.api``)."""
