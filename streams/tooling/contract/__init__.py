"""The contract checker: schema compatibility (``compat``) and schema-tree checks (``check``).

``check_compatibility`` answers whether two versions of one schema may follow each other
under a Confluent-style mode; ``check_schema_tree`` runs every rule ``dafnck schemas check``
enforces over a ``schemas/`` directory.
"""

from __future__ import annotations
