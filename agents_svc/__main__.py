"""``python -m agents_svc`` runs the agents worker in the foreground."""

from __future__ import annotations

from agents_svc.worker.app import build_app
from streams.worker import run_worker

run_worker(build_app())
