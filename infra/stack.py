"""The whole system as local processes: Kafka, the MongoDB-wire server, Keycloak, a mail catcher, the
three services and the practitioner web app, each a separate process with its own JSON log.

    python infra/stack.py            # `make run`: start everything, print where it is, Ctrl-C stops all

Used by `make run`, the end-to-end tests and the benchmark.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import local  # noqa: E402
from services.intake.settings import (  # noqa: E402
    DEV_PARTNER,
    DEV_PARTNER_KEY,
    DEV_PARTNER_PUBLIC_KEY,
)
from shared.identity import hash_api_key  # noqa: E402

SERVICES = {"intake": 8001, "outcomes": 8002, "notification": 8003}
WEB = "practitioner-web"
WEB_PORT = 8004


@dataclass(frozen=True)
class Endpoints:
    kafka_bootstrap_servers: str
    mongodb_uri: str
    oidc_issuer: str
    smtp_port: int
    service_ports: dict[str, int]
    web_port: int | None = None
    """The practitioner web app's port; None: the stack runs without it."""
    web_client_secret: str = ""

    def url(self, service: str) -> str:
        port = self.web_port if service == WEB else self.service_ports[service]
        return f"http://127.0.0.1:{port}"


@dataclass
class Stack:
    """Services (and optionally the servers) started by this process; `stop` ends exactly those."""

    state: Path
    endpoints: Endpoints
    extra_env: dict[str, str] = field(default_factory=dict)
    database_prefix: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def service_env(self, service: str) -> dict[str, str]:
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.endpoints.kafka_bootstrap_servers,
            "MONGODB_URI": self.endpoints.mongodb_uri,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.endpoints.service_ports[service]),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.endpoints.smtp_port),
            "PYTHONUNBUFFERED": "1",
            "MONGODB_DATABASE": f"{self.database_prefix}{service}",
            # A developer's stack: the development partner may sign in, and staff sign in
            # through the local Keycloak's test users.
            "DEVELOPMENT_MODE": "true",
            "PARTNER_API_KEYS": json.dumps({DEV_PARTNER: hash_api_key(DEV_PARTNER_KEY)}),
            "PARTNER_SIGNING_KEYS": json.dumps({DEV_PARTNER: DEV_PARTNER_PUBLIC_KEY}),
            "OIDC_ISSUER": self.endpoints.oidc_issuer,
            "OIDC_AUDIENCE": local.API_AUDIENCE,
            "UNALLOCATED_CASE_TEAM": local.UNALLOCATED_CASE_TEAM,
            **self.extra_env,
        }
        return env

    def web_env(self) -> dict[str, str]:
        assert self.endpoints.web_port is not None
        return {
            **os.environ,
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(self.endpoints.web_port),
            "PYTHONUNBUFFERED": "1",
            "DEVELOPMENT_MODE": "true",
            "OIDC_ISSUER": self.endpoints.oidc_issuer,
            "OIDC_AUDIENCE": local.API_AUDIENCE,
            "OIDC_WEB_CLIENT_ID": local.WEB_CLIENT,
            "OIDC_WEB_CLIENT_SECRET": self.endpoints.web_client_secret,
            **{
                f"{service.upper()}_URL": self.endpoints.url(service)
                for service in self.endpoints.service_ports
            },
            **self.extra_env,
        }

    def start(self) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        self._spawn(
            "mail",
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Debugging",
                "-l",
                f"127.0.0.1:{self.endpoints.smtp_port}",
            ],
            dict(os.environ),
        )
        for service in self.endpoints.service_ports:
            self.start_service(service)
        if self.endpoints.web_port is not None:
            self._spawn(
                WEB, [str(Path(sys.executable).parent / f"safeguarding-{WEB}")], self.web_env()
            )
        self.wait_ready()

    def start_service(self, service: str) -> None:
        """Start (or, after it was killed, start again) one service's process."""
        bin_dir = Path(sys.executable).parent
        self._spawn(service, [str(bin_dir / f"safeguarding-{service}")], self.service_env(service))

    def _spawn(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        log = open(self.state / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
        self.processes[name] = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=from_this_checkout(env),
            cwd=ROOT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        pending = set(self.endpoints.service_ports)
        if self.endpoints.web_port is not None:
            pending.add(WEB)
        while pending:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; see {self.state / (name + '.log')}"
                    )
            for service in list(pending):
                try:
                    with urllib.request.urlopen(
                        f"{self.endpoints.url(service)}/health", timeout=2
                    ) as r:
                        if r.status == 200:
                            pending.discard(service)
                except (urllib.error.URLError, OSError):
                    pass
            if pending and time.monotonic() > deadline:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
            if pending:
                time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()


def from_this_checkout(env: dict[str, str]) -> dict[str, str]:
    """`env` with this checkout first on the import path: a service's console script imports
    whatever tree the environment's editable install points at (another checkout of the
    project sharing the environment re-points it), and the stack runs the code beside it."""
    path = [str(ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    return {**env, "PYTHONPATH": os.pathsep.join(path)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    layout = local.Layout.from_env()
    local.setup()
    local.up(layout, fresh=False)
    endpoints = Endpoints(
        kafka_bootstrap_servers=layout.bootstrap,
        mongodb_uri=layout.mongodb_uri,
        oidc_issuer=layout.issuer,
        smtp_port=int(os.environ.get("SMTP_PORT", "1025")),
        service_ports={
            service: int(os.environ.get(f"{service.upper()}_PORT", port))
            for service, port in SERVICES.items()
        },
        web_port=int(os.environ.get("WEB_PORT", WEB_PORT)),
        web_client_secret=local.environment(layout)["OIDC_WEB_CLIENT_SECRET"],
    )
    stack = Stack(layout.state, endpoints)
    try:
        stack.start()
        print("\nThe system is running. Ctrl-C stops everything this command started.\n")
        for service in SERVICES:
            url = endpoints.url(service)
            print(
                f"  {service:<13} {url}   API docs: {url}/docs   health: {url}/health   metrics: {url}/metrics"
            )
        print(
            f"\n  Practitioner web app: {endpoints.url(WEB)}   (sign in as asha.patel or alex.morgan)"
        )
        print(f"\n  AsyncAPI documents: {ROOT / 'docs' / 'asyncapi'} (make asyncapi)")
        print(f"  Kafka:   KAFKA_BOOTSTRAP_SERVERS={layout.bootstrap}")
        print(f"  MongoDB: MONGODB_URI={layout.mongodb_uri}")
        print(
            f"  Sign-in (Keycloak): {layout.issuer} — test users asha.patel, sam.jones "
            f"(practitioners), alex.morgan (manager); password and client in {layout.state / 'infra.env'}"
        )
        print(
            f"  Mail catcher (SMTP): 127.0.0.1:{endpoints.smtp_port}, messages in {layout.state / 'mail.log'}"
        )
        print(f"  Logs (JSON): {layout.state}/<service>.log — follow one concern with:")
        print(f"    grep -h '<correlation id>' {layout.state}/*.log")
        print("\n  Try it: make demo\n", flush=True)
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        print("\nstopping…", flush=True)
        stack.stop()
        local.down(layout)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    # Installed explicitly: a shell that starts us in the background leaves SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    main()
