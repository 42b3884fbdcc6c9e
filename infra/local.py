"""Run a real Apache Kafka broker (KRaft), a MongoDB-wire server and an OpenID Connect provider
(Keycloak) as plain local processes.

    python infra/local.py setup            # fetch the Kafka jars and Keycloak, build SecantusDB's virtualenv
    python infra/local.py up [--fresh]     # start all three, wait until they answer, create the topics
    python infra/local.py down             # stop exactly what `up` started (by pid)

Everything lives under a state directory (default `.local/run`, or $INFRA_STATE_DIR): pids, logs,
data and `infra.env` with KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI and the sign-in settings (OIDC_*).
Ports come from $INFRA_KAFKA_PORT, $INFRA_KAFKA_CONTROLLER_PORT, $INFRA_MONGO_PORT and
$INFRA_KEYCLOAK_PORT.

Keycloak imports `infra/keycloak/safeguarding-realm.json` at every start (its database is in
memory): the staff roles, the API audience, the web app's and the test clients, and test users.
Its client secrets, the test users' password and its admin password are random, made once per
state directory and written to `infra.env`; nothing that works is kept in the repository.

Run it with the project's virtualenv (it uses aiokafka and pymongo for the readiness checks).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.topics import PARTITIONS, all_topics  # noqa: E402

if TYPE_CHECKING:
    from shared.kafka import Brokers

CACHE = ROOT / ".local"
KAFKA_LIBS = CACHE / "kafka" / "libs"
SECANTUS_VENV = CACHE / "secantus-venv"
SECANTUS_VERSION = "0.7.0b3"
KEYCLOAK_VERSION = "26.5.6"
KEYCLOAK_HOME = CACHE / "keycloak" / f"keycloak-{KEYCLOAK_VERSION}"
REALM_FILE = ROOT / "infra" / "keycloak" / "safeguarding-realm.json"
REALM = "safeguarding"
API_AUDIENCE = "safeguarding-api"
TEST_CLIENT = "safeguarding-cli"
WEB_CLIENT = "safeguarding-web"
UNALLOCATED_CASE_TEAM = "north-team"
"""Until cases are allocated, the local realm's north team holds every case (asha.patel reads
them; sam.jones, south, needs a reason)."""
SERVERS = ("kafka", "mongo", "keycloak")
READY_TIMEOUT_S = 90.0
# Keycloak is a JVM that imports a realm on every start: ~10-20 s on an idle machine, close to three
# minutes on a two-core one that other test suites keep busy (measured: 166 s at load 9).
KEYCLOAK_READY_TIMEOUT_S = 420.0


@dataclass(frozen=True)
class Layout:
    state: Path
    kafka_port: int
    controller_port: int
    mongo_port: int
    keycloak_port: int

    @classmethod
    def from_env(cls) -> Layout:
        state = Path(os.environ.get("INFRA_STATE_DIR", CACHE / "run"))
        return cls(
            state=state if state.is_absolute() else ROOT / state,
            kafka_port=int(os.environ.get("INFRA_KAFKA_PORT", "9092")),
            controller_port=int(os.environ.get("INFRA_KAFKA_CONTROLLER_PORT", "9093")),
            mongo_port=int(os.environ.get("INFRA_MONGO_PORT", "27017")),
            keycloak_port=int(os.environ.get("INFRA_KEYCLOAK_PORT", "8080")),
        )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def mongodb_uri(self) -> str:
        # retryWrites=false: SecantusDB's retryable-write bookkeeping slows inserts ~10x.
        return f"mongodb://127.0.0.1:{self.mongo_port}/?replicaSet=secantus&retryWrites=false"

    @property
    def keycloak_url(self) -> str:
        return f"http://127.0.0.1:{self.keycloak_port}"

    @property
    def issuer(self) -> str:
        return f"{self.keycloak_url}/realms/{REALM}"

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
    setup_keycloak()
    log("setup complete")


def setup_keycloak() -> None:
    built = KEYCLOAK_HOME / ".built"
    if built.exists():
        return
    archive = CACHE / "keycloak" / f"keycloak-quarkus-dist-{KEYCLOAK_VERSION}.zip"
    if not archive.exists():
        log(f"fetching Keycloak {KEYCLOAK_VERSION} from Maven Central (cached in ~/.m2 afterwards)")
        subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy",
                f"-Dartifact=org.keycloak:keycloak-quarkus-dist:{KEYCLOAK_VERSION}:zip",
                f"-DoutputDirectory={archive.parent}",
            ],
            check=True,
        )
    shutil.rmtree(KEYCLOAK_HOME, ignore_errors=True)
    with zipfile.ZipFile(archive) as dist:
        dist.extractall(archive.parent)
        for member in dist.infolist():
            # zipfile drops the permission bits the archive carries (the scripts' execute bit).
            mode = member.external_attr >> 16
            if mode:
                (archive.parent / member.filename).chmod(mode & 0o777)
    log("building Keycloak once for an in-memory database (its start is then much quicker)")
    subprocess.run(
        [str(KEYCLOAK_HOME / "bin" / "kc.sh"), "build", "--db=dev-mem"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    archive.unlink()
    built.touch()


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


def spawn(layout: Layout, name: str, argv: list[str], env: dict[str, str] | None = None) -> None:
    logfile = open(layout.state / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    process = subprocess.Popen(
        argv,
        stdout=logfile,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        cwd=layout.state,
        env=env,
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
    properties.write_text(kafka_properties(layout.kafka_port, layout.controller_port, data))
    if not (data / "meta.properties").exists():
        format_kafka_storage(properties)
    spawn(layout, "kafka", kafka_command(properties))


KAFKA_CLASSPATH = f"{KAFKA_LIBS}/*"
KAFKA_LOG4J = f"-Dlog4j2.configurationFile={ROOT / 'infra' / 'kafka' / 'log4j2.yaml'}"


def kafka_properties(
    port: int, controller_port: int, log_dir: Path, changes: dict[str, str] | None = None
) -> str:
    """The broker's server.properties from the template, with `changes` (property -> value)
    replacing or adding lines (a test's broker with security switched on)."""
    template = string.Template(
        (ROOT / "infra" / "kafka" / "server.properties.template").read_text()
    )
    text = template.substitute(port=port, controller_port=controller_port, log_dir=log_dir)
    if not changes:
        return text
    pending = dict(changes)
    lines = []
    for line in text.splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={pending.pop(name)}" if name in pending else line)
    lines.extend(f"{name}={value}" for name, value in pending.items())
    return "\n".join(lines) + "\n"


def format_kafka_storage(properties: Path, *options: str, cluster_id: str | None = None) -> None:
    """Format a new broker's log directory as a one-node KRaft cluster of its own (a random id
    unless given); `options` go to the storage tool (e.g. `--add-scram` to create SASL/SCRAM
    users before the first start)."""
    if cluster_id is None:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    subprocess.run(
        [
            "java",
            KAFKA_LOG4J,
            "-cp",
            KAFKA_CLASSPATH,
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            # One argument: a random id may begin with "-", which would read as an option.
            f"--cluster-id={cluster_id}",
            "-c",
            str(properties),
            *options,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def kafka_command(properties: Path) -> list[str]:
    """The command that runs a broker with `properties`."""
    return [
        "java",
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        KAFKA_LOG4J,
        "-cp",
        KAFKA_CLASSPATH,
        "kafka.Kafka",
        str(properties),
    ]


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


def keycloak_secrets(layout: Layout) -> dict[str, str]:
    """The realm's client secrets, the test users' password and the admin password: random, made
    once per state directory, so that a running Keycloak and `infra.env` always agree."""
    path = layout.state / "keycloak-secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    made = {
        name: secrets.token_urlsafe(32)
        for name in (
            "SAFEGUARDING_CLI_CLIENT_SECRET",
            "SAFEGUARDING_WEB_CLIENT_SECRET",
            "SAFEGUARDING_TEST_USER_PASSWORD",
            "KC_BOOTSTRAP_ADMIN_PASSWORD",
        )
    }
    path.touch(mode=0o600)
    path.write_text(json.dumps(made))
    return made


def start_keycloak(layout: Layout) -> None:
    if running_pid(layout.pidfile("keycloak")):
        log("keycloak already running")
        return
    if port_open(layout.keycloak_port):
        raise SystemExit(
            f"port {layout.keycloak_port} is taken by another process; set INFRA_KEYCLOAK_PORT"
        )
    # --import-realm reads the distribution's data/import; every state directory imports the same
    # file, with its own secrets from the environment (the file holds only ${...} placeholders).
    imports = KEYCLOAK_HOME / "data" / "import"
    imports.mkdir(parents=True, exist_ok=True)
    staged = imports / f".{REALM_FILE.name}.{os.getpid()}"
    shutil.copyfile(REALM_FILE, staged)
    staged.replace(imports / REALM_FILE.name)
    spawn(
        layout,
        "keycloak",
        [
            str(KEYCLOAK_HOME / "bin" / "kc.sh"),
            "start",
            "--optimized",
            "--import-realm",
            # One node, no cluster: nothing listens beyond the HTTP port on loopback.
            "--cache=local",
            "--http-enabled=true",
            "--http-host=127.0.0.1",
            f"--http-port={layout.keycloak_port}",
            f"--hostname={layout.keycloak_url}",
        ],
        env={
            **os.environ,
            # The quick compiler only: a shorter, cheaper start, plenty fast for tests and a
            # developer's machine.
            "JAVA_OPTS_APPEND": "-XX:TieredStopAtLevel=1",
            "KC_BOOTSTRAP_ADMIN_USERNAME": "admin",
            **keycloak_secrets(layout),
        },
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


async def kafka_topics_ready(brokers: Brokers) -> bool:
    """Make the system's topics that are missing (auto-creation is off); True once every one of
    their partitions has a leader, False while the broker cannot answer that yet."""
    from aiokafka.admin import NewTopic
    from aiokafka.errors import KafkaError, TopicAlreadyExistsError

    from shared.kafka import admin as kafka_admin

    admin = kafka_admin(brokers, request_timeout_ms=5000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        missing = [t for t in all_topics() if t not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in missing]
                )
        described = await admin.describe_topics(list(all_topics()))
        leaders = [p["leader"] for t in described for p in t["partitions"]]
        return len(leaders) == len(all_topics()) * PARTITIONS and all(x >= 0 for x in leaders)
    except (KafkaError, OSError, KeyError):
        return False
    finally:
        await admin.close()


async def kafka_ready(layout: Layout) -> None:
    # Connection refusals while the broker boots are expected; the deadline reports a real failure.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        if running_pid(layout.pidfile("kafka")) is None:
            raise SystemExit(f"kafka exited; see {layout.state / 'kafka.log'}")
        if await kafka_topics_ready(layout.bootstrap):
            return
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


async def keycloak_ready(layout: Layout) -> None:
    import httpx

    discovery = f"{layout.issuer}/.well-known/openid-configuration"
    deadline = time.monotonic() + KEYCLOAK_READY_TIMEOUT_S
    async with httpx.AsyncClient(timeout=5) as http:
        while True:
            if running_pid(layout.pidfile("keycloak")) is None:
                raise SystemExit(f"keycloak exited; see {layout.state / 'keycloak.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(discovery)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"keycloak did not answer in {KEYCLOAK_READY_TIMEOUT_S:.0f} s")
            await asyncio.sleep(0.5)


def environment(layout: Layout) -> dict[str, str]:
    """What `up` writes to infra.env: where the servers are, and how to sign in to Keycloak."""
    kc = keycloak_secrets(layout)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": layout.bootstrap,
        "MONGODB_URI": layout.mongodb_uri,
        "OIDC_ISSUER": layout.issuer,
        "OIDC_AUDIENCE": API_AUDIENCE,
        "OIDC_TEST_CLIENT_ID": TEST_CLIENT,
        "OIDC_TEST_CLIENT_SECRET": kc["SAFEGUARDING_CLI_CLIENT_SECRET"],
        "OIDC_TEST_USER_PASSWORD": kc["SAFEGUARDING_TEST_USER_PASSWORD"],
        "OIDC_WEB_CLIENT_ID": WEB_CLIENT,
        "OIDC_WEB_CLIENT_SECRET": kc["SAFEGUARDING_WEB_CLIENT_SECRET"],
        "KEYCLOAK_URL": layout.keycloak_url,
        "KEYCLOAK_ADMIN_USERNAME": "admin",
        "KEYCLOAK_ADMIN_PASSWORD": kc["KC_BOOTSTRAP_ADMIN_PASSWORD"],
    }


def read_environment(state: Path) -> dict[str, str]:
    """The values in a state directory's infra.env (empty when its servers are not up)."""
    path = state / "infra.env"
    if not path.exists():
        return {}
    return {
        key: value.strip("'")
        for key, value in (
            line.split("=", 1) for line in path.read_text().splitlines() if "=" in line
        )
    }


def up(layout: Layout, fresh: bool) -> None:
    if fresh and not any(running_pid(layout.pidfile(name)) for name in SERVERS):
        shutil.rmtree(layout.state, ignore_errors=True)
    layout.state.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        start_mongo(layout)
        start_kafka(layout)
        start_keycloak(layout)

        async def ready() -> None:
            await asyncio.gather(mongo_ready(layout), kafka_ready(layout), keycloak_ready(layout))

        asyncio.run(ready())
    except BaseException:
        down(layout)
        raise
    # Quoted, so that `source infra.env` in a shell keeps the `&` inside the URI.
    values = environment(layout)
    (layout.state / "infra.env").write_text("".join(f"{k}='{v}'\n" for k, v in values.items()))
    log(f"ready in {time.monotonic() - started:.1f} s; topics: {', '.join(all_topics())}")
    for key in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "OIDC_ISSUER"):
        print(f"{key}='{values[key]}'", flush=True)
    print(f"(sign-in settings and test credentials: {layout.state / 'infra.env'})", flush=True)


def down(layout: Layout) -> None:
    stop(layout, "keycloak", layout.keycloak_port)
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
