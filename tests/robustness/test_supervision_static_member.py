"""A statically-identified worker started again at another address still gets partitions.

Faust's assignor refuses an assignment made for another URL, and a static member keeps its
last assignment: the worker must not come back as the same member at a new address.
"""

from __future__ import annotations

import os
import urllib.request
import uuid
from pathlib import Path

from streams.tooling.stack import Endpoints
from tests.support.streams.harness import free_port, spawn, stop, wait_ready


def test_the_same_instance_id_on_a_new_port_becomes_ready(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    base = {
        **os.environ,
        **endpoints.as_env(),
        "DAFNCK_STATE_DIR": str(tmp_path),
        "DAFNCK_GROUP_INSTANCE_ID": f"users-{uuid.uuid4().hex[:6]}",
        "PYTHONUNBUFFERED": "1",
    }
    for run in (1, 2):
        port = free_port()
        log = tmp_path / f"users-{run}.log"
        worker = spawn("users_svc", {**base, "DAFNCK_WORKER_PORT": str(port)}, log)
        try:
            wait_ready(worker, port, log, timeout=90)
            # Ready means its partitions are assigned: the second run got them back.
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=5) as answer:
                assert answer.status == 200, f"run {run}: /ready answered {answer.status}"
        finally:
            stop(worker)
