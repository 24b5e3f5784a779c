"""The contexts the edge mounts: the one module of the edge that imports them.

Each context's ``api`` package is its whole HTTP surface (route table, read-model queries,
live channels); ``edge.services`` lends it the command bus, Redis and the database and
mounts it. The users context also supplies what the edge's
security needs of it: the RBAC permission checker, the JWKS of its signing keys, the
sign-up rate rule and the bootstrap administrator. A new context is added here.
"""

from __future__ import annotations

from agents_svc import api as agents_api
from agents_svc.api import live as agents_live
from users_svc import api as users_api
from users_svc.api.bootstrap_admin import BootstrapError, bootstrap_contexts

__all__ = [
    "BootstrapError",
    "agents_api",
    "agents_live",
    "bootstrap_contexts",
    "users_api",
]
