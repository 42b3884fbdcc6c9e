"""A MongoDB-wire server of the test's own (SecantusDB from `make setup`), so a test can stop
and restart the database under a running consumer."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

from tests.support.servers import ROOT

SECANTUSD = ROOT / ".local" / "secantus-venv" / "bin" / "secantusd-py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_gracefully(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, so the server flushes what it holds; killed only if it has not stopped in 30 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


class PrivateMongo:
    def __init__(self, storage: Path) -> None:
        if not SECANTUSD.exists():
            raise RuntimeError(f"{SECANTUSD} is missing: run `make setup`")
        self.storage = storage
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet=secantus&retryWrites=false"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                str(SECANTUSD),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(self.storage),
                "--log-level",
                "ERROR",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Stop the server the way an operator would (SIGTERM), so it flushes what it holds."""
        if self.process is not None:
            stop_gracefully(self.process)
            self.process = None
