"""NLU fixtures: the embedded backend trained once, and a REAL Rasa 3.6 server.

The Rasa server needs ``.venv-rasa`` and the trained model: ``make rasa-model`` (from
``nlu/rasa.mk``) builds both. Missing pieces fail the run with that instruction; they are
never skipped.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nlu.embedded import EmbeddedNlu

ROOT = Path(__file__).resolve().parents[2]
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL = ROOT / "nlu" / "models" / "nlu.tar.gz"
READY_TIMEOUT = 90.0


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedNlu:
    """Trained from nlu/data into a fresh cache dir (so training itself is exercised)."""
    return EmbeddedNlu.train(cache_dir=tmp_path_factory.mktemp("nlu-cache"))


@dataclass
class RasaServer:
    """A running ``rasa run`` process; ``stop()`` ends it by PID (idempotent)."""

    url: str
    token: str
    process: subprocess.Popen[bytes]
    log: Path
    stopped: bool = field(default=False)

    def stop(self) -> None:
        if self.stopped:
            return
        self.stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(server: RasaServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-2000:]
            pytest.fail(f"rasa exited with {server.process.returncode}; log tail:\n{tail}")
        try:
            with urllib.request.urlopen(f"{server.url}/status?token={server.token}",
                                        timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"rasa not ready within {READY_TIMEOUT:.0f} s; see {server.log}")


@pytest.fixture(scope="session")
def rasa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaServer]:
    """``rasa run`` with the trained model on a free 127.0.0.1 port, with an auth token."""
    if not RASA.exists() or not MODEL.exists():
        pytest.fail("the Rasa venv or model is missing: run `make rasa-model` first")
    port = _free_port()
    token = secrets.token_urlsafe(16)
    log = tmp_path_factory.mktemp("rasa") / "rasa.log"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(RASA), "run", "--enable-api", "-i", "127.0.0.1", "-p", str(port),
             "--auth-token", token, "--model", str(MODEL)],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path_factory.getbasetemp(), env=env,
        )
    server = RasaServer(url=f"http://127.0.0.1:{port}", token=token, process=process, log=log)
    try:
        _wait_ready(server)
        yield server
    finally:
        server.stop()
