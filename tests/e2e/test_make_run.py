"""`make run` (infra/stack.py) brings everything up, says where it is, and Ctrl-C leaves no
process and no listening port behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.stack import free_port
from tests.support.servers import ROOT

pytestmark = pytest.mark.e2e


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_everything_make_run_started(tmp_path: Path) -> None:
    ports = {
        "INFRA_KAFKA_PORT": free_port(),
        "INFRA_KAFKA_CONTROLLER_PORT": free_port(),
        "INFRA_MONGO_PORT": free_port(),
        "INFRA_KEYCLOAK_PORT": free_port(),
        "SMTP_PORT": free_port(),
        "INTAKE_PORT": free_port(),
        "OUTCOMES_PORT": free_port(),
        "NOTIFICATION_PORT": free_port(),
        "WEB_PORT": free_port(),
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI") and not k.startswith("OIDC_")
    }
    env.update({k: str(v) for k, v in ports.items()}, INFRA_STATE_DIR=str(tmp_path / "run"))
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "infra" / "stack.py")],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        printed: list[str] = []
        # Three servers and three services on two busy cores; Keycloak alone may take minutes.
        deadline = time.monotonic() + 600
        while not any("make demo" in line for line in printed):
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(printed)
            printed.append(line)
            assert time.monotonic() < deadline, "".join(printed)
        output = "".join(printed)
        for name in ("INTAKE", "OUTCOMES", "NOTIFICATION"):
            assert f"http://127.0.0.1:{ports[name + '_PORT']}/docs" in output
        assert f"Practitioner web app: http://127.0.0.1:{ports['WEB_PORT']}" in output
        pids = [int(p.read_text()) for p in (tmp_path / "run").glob("*.pid")]
        assert len(pids) == 3
        assert all(alive(pid) for pid in pids)
        assert all(listening(port) for port in ports.values())
    finally:
        process.send_signal(signal.SIGINT)
        try:
            status = process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert status == 0, process.stdout.read()
    assert not any(alive(pid) for pid in pids)
    assert not [name for name, port in ports.items() if listening(port)]
