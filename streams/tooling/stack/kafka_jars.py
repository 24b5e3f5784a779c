"""The Kafka runtime classpath: fetched once from Maven Central, then reused from the cache."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from streams.tooling.stack.component import Report
from streams.tooling.stack.errors import ComponentError, StackError

# deploy/kafka holds the pom and log4j config; this package sits at <repo>/streams/stack.
KAFKA_DEPLOY_DIR = Path(__file__).resolve().parents[3] / "deploy" / "kafka"
MARKER = ".complete"
DOWNLOAD_TIMEOUT = 900.0
HEARTBEAT_SECONDS = 15.0


def kafka_pom() -> Path:
    """The pom.xml whose runtime dependencies form the broker's classpath."""
    return KAFKA_DEPLOY_DIR / "pom.xml"


def log4j_config() -> Path:
    """The broker's log4j.properties."""
    path = KAFKA_DEPLOY_DIR / "log4j.properties"
    if not path.exists():
        raise StackError(f"{path} is missing; run dafnck from a source checkout of the project")
    return path


def kafka_version(pom: Path | None = None) -> str:
    """The Kafka version the pom asks for (for messages)."""
    try:
        text = (pom or kafka_pom()).read_text()
    except FileNotFoundError:
        return "?"
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", text)
    return match.group(1).strip() if match else "?"


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()


def jars_ready(jars_dir: Path, pom: Path | None = None) -> bool:
    """True when the cache is complete and was built from the current pom."""
    marker = jars_dir / MARKER
    if not marker.exists():
        return False
    pom = pom or kafka_pom()
    # Without a pom (installed package) a complete cache is all we can go by.
    return not pom.exists() or marker.read_text().strip() == _pom_digest(pom)


def ensure_jars(jars_dir: Path, java: str, report: Report, pom: Path | None = None) -> Path:
    """The cached jar directory, downloading it with Maven first when needed."""
    pom = pom or kafka_pom()
    if jars_ready(jars_dir, pom):
        return jars_dir
    if not pom.exists():
        raise StackError(f"{pom} is missing; run dafnck from a source checkout of the project")
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError("`mvn` is not on PATH (install the maven package)")
    report(
        f"downloading Kafka {kafka_version(pom)} jars from Maven Central "
        "(first run only, ~1 min)..."
    )
    partial = jars_dir.with_name(jars_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    log_path = jars_dir.with_name("mvn.log")
    argv = [
        mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}", "-DincludeScope=runtime",
    ]  # fmt: skip
    # mvn picks its JVM from JAVA_HOME; point it at the java we checked.
    env = {**os.environ, "JAVA_HOME": str(Path(java).resolve().parents[1])}
    started = time.monotonic()
    _run_with_heartbeat(argv, env, log_path, report)
    jars = sorted(partial.glob("*.jar"))
    if not jars:
        raise ComponentError("kafka", "Maven copied no jars", log_path)
    size_mb = sum(j.stat().st_size for j in jars) / 1e6
    # Marker last, rename atomically: an interrupted download is never taken for a cache.
    (partial / MARKER).write_text(_pom_digest(pom) + "\n")
    shutil.rmtree(jars_dir, ignore_errors=True)
    partial.rename(jars_dir)
    took = time.monotonic() - started
    report(f"cached {len(jars)} Kafka jars ({size_mb:.0f} MB) in {jars_dir} ({took:.0f} s)")
    return jars_dir


def _run_with_heartbeat(argv: list[str], env: dict[str, str], log: Path, report: Report) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log.open("ab") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        while True:
            try:
                code = proc.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                elapsed = time.monotonic() - started
                if elapsed > DOWNLOAD_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    raise ComponentError(
                        "kafka", f"Maven download took over {DOWNLOAD_TIMEOUT:.0f} s", log
                    ) from None
                report(f"  still downloading ({elapsed:.0f} s)...")
    if code != 0:
        raise ComponentError("kafka", f"mvn dependency:copy-dependencies exited {code}", log)
