"""``python -m analytics_svc`` runs the analytics worker in the foreground."""

from __future__ import annotations

from analytics_svc.worker.app import build_app
from streams.worker import run_worker

run_worker(build_app())
