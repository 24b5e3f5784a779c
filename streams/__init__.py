"""The shared streaming kernel: envelope, schema registry, Faust app factory, dead-lettering,
idempotency, tracing, metrics and logs used by every service, plus the ``dafnck`` CLI."""

from __future__ import annotations

__version__ = "0.1.0"
