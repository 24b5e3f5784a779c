"""The deployment manifests parse and probe the endpoints the processes really serve."""

from __future__ import annotations

from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _containers() -> list[dict]:
    found = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "Deployment":
                found.extend(doc["spec"]["template"]["spec"]["containers"])
    return found


def test_every_deployment_probes_health_and_ready_on_its_port() -> None:
    containers = _containers()
    assert {c["name"] for c in containers} >= {"edge", "worker"}
    for container in containers:
        port_names = {p["name"] for p in container["ports"]}
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["port"] in port_names


def test_every_deployment_runs_a_module_the_image_contains() -> None:
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    for container in _containers():
        module = container["command"][-1]
        assert f"COPY {module} ./{module}" in dockerfile, module
        assert (DEPLOY.parent / module / "__main__.py").exists(), module
