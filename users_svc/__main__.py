"""``python -m users_svc`` runs the users worker in the foreground."""

from __future__ import annotations

from streams.worker import run_worker
from users_svc.worker.app import build_app

run_worker(build_app())
