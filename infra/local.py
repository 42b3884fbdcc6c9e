"""Run a real Apache Kafka broker (KRaft) and a MongoDB-wire server as plain local processes.

    python infra/local.py setup            # fetch the Kafka jars, build SecantusDB's own virtualenv
    python infra/local.py up [--fresh]     # start both, wait until they answer, create the topics
    python infra/local.py down             # stop exactly what `up` started (by pid)

Everything lives under a state directory (default `.local/run`, or $INFRA_STATE_DIR): pids, logs,
data and `infra.env` with KAFKA_BOOTSTRAP_SERVERS and MONGODB_URI. Ports come from
$INFRA_KAFKA_PORT, $INFRA_KAFKA_CONTROLLER_PORT and $INFRA_MONGO_PORT.

Run it with the project's virtualenv (it uses aiokafka and pymongo for the readiness checks).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import logging
import os
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.topics import PARTITIONS, all_topics  # noqa: E402

CACHE = ROOT / ".local"
KAFKA_LIBS = CACHE / "kafka" / "libs"
SECANTUS_VENV = CACHE / "secantus-venv"
SECANTUS_VERSION = "0.7.0b3"
READY_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class Layout:
    state: Path
    kafka_port: int
    controller_port: int
    mongo_port: int

    @classmethod
    def from_env(cls) -> Layout:
        state = Path(os.environ.get("INFRA_STATE_DIR", CACHE / "run"))
        return cls(
            state=state if state.is_absolute() else ROOT / state,
            kafka_port=int(os.environ.get("INFRA_KAFKA_PORT", "9092")),
            controller_port=int(os.environ.get("INFRA_KAFKA_CONTROLLER_PORT", "9093")),
            mongo_port=int(os.environ.get("INFRA_MONGO_PORT", "27017")),
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        # retryWrites=false: SecantusDB's retryable-write bookkeeping slows inserts ~10x.
        return f"mongodb://127.0.0.1:{self.mongo_port}/?replicaSet=secantus&retryWrites=false"

    def pidfile(self, name: str) -> Path:
        return self.state / f"{name}.pid"


def log(message: str) -> None:
    print(f"[infra] {message}", flush=True)


# ---------------------------------------------------------------- setup


def setup() -> None:
    if not any(KAFKA_LIBS.glob("kafka_2.13-*.jar")):
        log("fetching Apache Kafka jars from Maven Central (cached in ~/.m2 afterwards)")
        KAFKA_LIBS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(ROOT / "infra" / "kafka" / "pom.xml"),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={KAFKA_LIBS}",
            ],
            check=True,
        )
    secantusd = SECANTUS_VENV / "bin" / "secantusd-py"
    marker = SECANTUS_VENV / f".secantusdb-{SECANTUS_VERSION}"
    if not (secantusd.exists() and marker.exists()):
        log(f"installing SecantusDB {SECANTUS_VERSION} into its own virtualenv")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(SECANTUS_VENV)], check=True)
        subprocess.run(
            [
                str(SECANTUS_VENV / "bin" / "pip"),
                "install",
                "-q",
                "--disable-pip-version-check",
                f"secantusdb=={SECANTUS_VERSION}",
            ],
            check=True,
        )
        marker.touch()
    log("setup complete")


# ---------------------------------------------------------------- processes


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def running_pid(pidfile: Path) -> int | None:
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    # When this process started the server (`make run`), an exited server stays a zombie until
    # reaped, and a zombie still answers kill(pid, 0).
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return None
    return pid


def spawn(layout: Layout, name: str, argv: list[str]) -> None:
    logfile = open(layout.state / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        argv,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=layout.state,
    )
    layout.pidfile(name).write_text(str(process.pid))
    log(f"started {name} (pid {process.pid}); log: {layout.state / (name + '.log')}")


def start_kafka(layout: Layout) -> None:
    if running_pid(layout.pidfile("kafka")):
        log("kafka already running")
        return
    if port_open(layout.kafka_port):
        raise SystemExit(
            f"port {layout.kafka_port} is taken by another process; set INFRA_KAFKA_PORT"
        )
    data = layout.state / "kafka-data"
    properties = layout.state / "server.properties"
    template = string.Template(
        (ROOT / "infra" / "kafka" / "server.properties.template").read_text()
    )
    properties.write_text(
        template.substitute(
            port=layout.kafka_port, controller_port=layout.controller_port, log_dir=data
        )
    )
    classpath = f"{KAFKA_LIBS}/*"
    log4j = f"-Dlog4j2.configurationFile={ROOT / 'infra' / 'kafka' / 'log4j2.yaml'}"
    if not (data / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        subprocess.run(
            [
                "java",
                log4j,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cluster_id,
                "-c",
                str(properties),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    spawn(
        layout,
        "kafka",
        [
            "java",
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            log4j,
            "-cp",
            classpath,
            "kafka.Kafka",
            str(properties),
        ],
    )


def start_mongo(layout: Layout) -> None:
    if running_pid(layout.pidfile("mongo")):
        log("mongo already running")
        return
    if port_open(layout.mongo_port):
        raise SystemExit(
            f"port {layout.mongo_port} is taken by another process; set INFRA_MONGO_PORT"
        )
    data = layout.state / "mongo-data"
    data.mkdir(exist_ok=True)
    spawn(
        layout,
        "mongo",
        [
            str(SECANTUS_VENV / "bin" / "secantusd-py"),
            "--host",
            "127.0.0.1",
            "--port",
            str(layout.mongo_port),
            "--storage-path",
            str(data),
            "--log-level",
            "WARNING",
        ],
    )


def stop(layout: Layout, name: str, port: int) -> None:
    pidfile = layout.pidfile(name)
    pid = running_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and running_pid(pidfile):
        time.sleep(0.2)
    if running_pid(pidfile):
        log(f"{name} did not stop in 30 s; killing it")
        os.killpg(pid, signal.SIGKILL)
        while running_pid(pidfile):
            time.sleep(0.1)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and port_open(port):
        time.sleep(0.2)
    pidfile.unlink(missing_ok=True)
    log(f"stopped {name} (pid {pid})")


# ---------------------------------------------------------------- readiness


async def kafka_ready(layout: Layout) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import KafkaError, TopicAlreadyExistsError

    # Connection refusals while the broker boots are expected; the deadline reports a real failure.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if running_pid(layout.pidfile("kafka")) is None:
            raise SystemExit(f"kafka exited; see {layout.state / 'kafka.log'}")
        admin = AIOKafkaAdminClient(bootstrap_servers=layout.bootstrap, request_timeout_ms=5000)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
            missing = [t for t in all_topics() if t not in existing]
            if missing:
                with contextlib.suppress(TopicAlreadyExistsError):
                    await admin.create_topics(
                        [
                            NewTopic(t, num_partitions=PARTITIONS, replication_factor=1)
                            for t in missing
                        ]
                    )
            described = await admin.describe_topics(list(all_topics()))
            leaders = [p["leader"] for t in described for p in t["partitions"]]
            if len(leaders) == len(all_topics()) * PARTITIONS and all(x >= 0 for x in leaders):
                return
        except (KafkaError, OSError, KeyError):
            pass
        finally:
            await admin.close()
        if time.monotonic() > deadline:
            raise SystemExit(f"kafka did not answer in {READY_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.5)


async def mongo_ready(layout: Layout) -> None:
    from pymongo import AsyncMongoClient
    from pymongo.errors import PyMongoError

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if running_pid(layout.pidfile("mongo")) is None:
            raise SystemExit(f"mongo exited; see {layout.state / 'mongo.log'}")
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            layout.mongodb_uri, serverSelectionTimeoutMS=2000
        )
        try:
            # Ready means a transaction commits, not just that the port is open.
            async with client.start_session() as session, await session.start_transaction():
                await client["infra_check"]["ready"].update_one(
                    {"_id": "ready"}, {"$inc": {"n": 1}}, upsert=True, session=session
                )
            return
        except PyMongoError:
            pass
        finally:
            await client.close()
        if time.monotonic() > deadline:
            raise SystemExit(f"mongo did not answer in {READY_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.3)


def up(layout: Layout, fresh: bool) -> None:
    if (
        fresh
        and not running_pid(layout.pidfile("kafka"))
        and not running_pid(layout.pidfile("mongo"))
    ):
        shutil.rmtree(layout.state, ignore_errors=True)
    layout.state.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        start_mongo(layout)
        start_kafka(layout)

        async def ready() -> None:
            await asyncio.gather(mongo_ready(layout), kafka_ready(layout))

        asyncio.run(ready())
    except BaseException:
        down(layout)
        raise
    # Quoted, so that `source infra.env` in a shell keeps the `&` inside the URI.
    env = f"KAFKA_BOOTSTRAP_SERVERS='{layout.bootstrap}'\nMONGODB_URI='{layout.mongodb_uri}'\n"
    (layout.state / "infra.env").write_text(env)
    log(f"ready in {time.monotonic() - started:.1f} s; topics: {', '.join(all_topics())}")
    print(env, end="", flush=True)


def down(layout: Layout) -> None:
    stop(layout, "kafka", layout.kafka_port)
    stop(layout, "mongo", layout.mongo_port)
    (layout.state / "infra.env").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", choices=["setup", "up", "down"])
    parser.add_argument(
        "--fresh", action="store_true", help="discard previous data before starting"
    )
    args = parser.parse_args()
    layout = Layout.from_env()
    if args.command == "setup":
        setup()
    elif args.command == "up":
        up(layout, args.fresh)
    else:
        down(layout)


if __name__ == "__main__":
    main()
