"""docker-compose.yml, the Dockerfile and the topic script, checked statically.

No Docker engine runs on the development or CI machines, so these tests hold the compose setup
to what the code needs: pinned images, health checks, start-up order, the topics of
shared/topics.py, only environment variables the services actually read, secrets that come from
the host (never the repository), and staff sign-in at the same Keycloak realm the tests use.
"""

from __future__ import annotations

import base64
import functools
import importlib
import json
import re
import shlex
import subprocess
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic_settings import BaseSettings

from infra.compose_env import TRIAL_PARTNER, compose_env
from services.intake.domain.signature import public_key_text
from services.intake.settings import IntakeSettings
from shared.topics import PARTITIONS, all_topics

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
TOPIC_SCRIPT = ROOT / "infra" / "compose" / "create-topics.sh"
EXAMPLE_ENV = ROOT / "infra" / "compose" / "example.env"
REALM_FILE = ROOT / "infra" / "keycloak" / "safeguarding-realm.json"
PYPROJECT = ROOT / "pyproject.toml"

APP_SERVICES = ("intake", "outcomes", "notification")
WEB = "practitioner-web"
LONG_RUNNING_SERVICES = ("kafka", "mongo", "keycloak", "mailpit", *APP_SERVICES, WEB)
ONE_SHOT_SERVICES = ("kafka-init",)
HTTP_PORTS = {"intake": 8001, "outcomes": 8002, "notification": 8003}
SETTINGS_CLASSES = {
    "intake": "services.intake.settings.IntakeSettings",
    "outcomes": "services.outcomes.settings.OutcomesSettings",
    "notification": "services.notification.settings.NotificationSettings",
}
SECRETS = (
    ("intake", "PARTNER_API_KEYS"),
    ("intake", "MATCHING_KEY"),
    *((name, "KEY_ENCRYPTION_KEY") for name in APP_SERVICES),
    *((name, "METRICS_TOKEN") for name in APP_SERVICES),
    ("keycloak", "KC_BOOTSTRAP_ADMIN_PASSWORD"),
    ("keycloak", "SAFEGUARDING_CLI_CLIENT_SECRET"),
    ("keycloak", "SAFEGUARDING_WEB_CLIENT_SECRET"),
    ("keycloak", "SAFEGUARDING_TEST_USER_PASSWORD"),
    (WEB, "OIDC_WEB_CLIENT_SECRET"),
    (WEB, "SESSION_SECRET"),
    *((name, "KAFKA_SASL_PASSWORD") for name in APP_SERVICES),
    *(("kafka-init", f"{name.upper()}_KAFKA_PASSWORD") for name in APP_SERVICES),
    ("kafka-init", "TRIAL_PARTNER_KAFKA_PASSWORD"),
    ("kafka-init", "OPS_KAFKA_PASSWORD"),
)
KAFKA_ADDRESS = "kafka:9092"
CLIENT_LISTENER = f"SASL_PLAINTEXT://{KAFKA_ADDRESS}"

Mapping = dict[str, object]


def as_mapping(value: object, where: str) -> Mapping:
    assert isinstance(value, dict), f"{where} should be a mapping, got {value!r}"
    return {str(key): item for key, item in value.items()}


def as_strings(value: object, where: str) -> list[str]:
    assert isinstance(value, list), f"{where} should be a list, got {value!r}"
    return [str(item) for item in value]


@functools.cache
def compose_text() -> str:
    return COMPOSE_FILE.read_text(encoding="utf-8")


def compose() -> Mapping:
    return as_mapping(yaml.safe_load(compose_text()), "docker-compose.yml")


def service(name: str) -> Mapping:
    services = as_mapping(compose()["services"], "services")
    return as_mapping(services[name], f"service {name}")


def environment(name: str) -> dict[str, str | None]:
    """The service's variables as written, `None` for one passed through from the host."""
    raw = service(name).get("environment", {})
    if isinstance(raw, list):
        pairs = (str(item).partition("=") for item in raw)
        return {key: (value if sep else None) for key, sep, value in pairs}
    return {
        key: None if value is None else str(value)
        for key, value in as_mapping(raw, f"{name} environment").items()
    }


def without_interpolation(value: str | None) -> str | None:
    """What compose gives the container when the host sets nothing: `${X:-d}` becomes d."""
    if value is None:
        return None
    return re.sub(r"\$\{[A-Z0-9_]+:?-([^}]*)\}", r"\1", value)


def depends_on(name: str) -> dict[str, str]:
    """Each dependency's condition (a plain list means `service_started`)."""
    raw = service(name).get("depends_on", {})
    if isinstance(raw, list):
        return {str(dependency): "service_started" for dependency in raw}
    return {
        dependency: str(as_mapping(spec, f"{name} depends_on {dependency}")["condition"])
        for dependency, spec in as_mapping(raw, f"{name} depends_on").items()
    }


def named_volumes() -> set[str]:
    return set(as_mapping(compose().get("volumes") or {}, "volumes"))


def volume_sources(name: str) -> dict[str, str]:
    """Container path -> what is mounted there, for the short `source:target[:mode]` form."""
    mounts = as_strings(service(name).get("volumes", []), f"{name} volumes")
    return {mount.split(":")[1]: mount.split(":")[0] for mount in mounts}


def healthcheck_command(name: str) -> str:
    healthcheck = as_mapping(service(name).get("healthcheck"), f"{name} healthcheck")
    test = healthcheck["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def is_pinned(image: str) -> bool:
    """A fixed version, never a moving tag: `name:tag` with a digit in the tag, or a digest."""
    if "@sha256:" in image:
        return True
    if "$" in image:
        return False
    _, _, last_part = image.rpartition("/")
    name, sep, tag = last_part.partition(":")
    return bool(name and sep) and tag != "latest" and any(c.isdigit() for c in tag)


def topic_script_array(name: str) -> list[str]:
    found = re.search(
        rf"^{name}=\((?P<items>.*?)^\)", TOPIC_SCRIPT.read_text(encoding="utf-8"), re.M | re.S
    )
    assert found, f"{TOPIC_SCRIPT} should define the bash array {name}=( ... )"
    return [line.strip() for line in found["items"].splitlines() if line.strip()]


def topic_script_variable(name: str) -> str:
    found = re.search(rf"^{name}=(\S+)$", TOPIC_SCRIPT.read_text(encoding="utf-8"), re.M)
    assert found, f"{TOPIC_SCRIPT} should set {name}"
    return found[1]


def dockerfile_instructions(keyword: str) -> list[str]:
    lines = DOCKERFILE.read_text(encoding="utf-8").splitlines()
    return [line.split(None, 1)[1] for line in lines if line.upper().startswith(f"{keyword} ")]


def test_compose_file_defines_the_whole_system() -> None:
    services = as_mapping(compose()["services"], "services")

    assert set(services) == {*LONG_RUNNING_SERVICES, *ONE_SHOT_SERVICES}


@pytest.mark.parametrize("name", [*LONG_RUNNING_SERVICES, *ONE_SHOT_SERVICES])
def test_service_image_is_pinned_to_a_version(name: str) -> None:
    image = str(service(name)["image"])

    assert is_pinned(image), f"{name} uses {image!r}; pin it to a versioned tag"


def test_dockerfile_base_images_are_pinned_to_a_version() -> None:
    bases = [line.split()[0] for line in dockerfile_instructions("FROM")]

    assert bases
    assert all(is_pinned(base) for base in bases), bases


def test_nothing_uses_a_latest_tag() -> None:
    assert ":latest" not in compose_text()
    assert ":latest" not in DOCKERFILE.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_has_a_healthcheck(name: str) -> None:
    healthcheck = as_mapping(service(name).get("healthcheck"), f"{name} healthcheck")

    assert healthcheck.get("test")
    assert healthcheck.get("disable") is not True


@pytest.mark.parametrize("name", LONG_RUNNING_SERVICES)
def test_long_running_service_is_restarted_unless_stopped(name: str) -> None:
    assert service(name)["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", ONE_SHOT_SERVICES)
def test_one_shot_service_is_never_restarted_so_its_failure_shows(name: str) -> None:
    assert service(name)["restart"] == "no"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_healthy_kafka_and_mongo(name: str) -> None:
    conditions = depends_on(name)

    assert conditions["kafka"] == "service_healthy"
    assert conditions["mongo"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_waits_for_its_topics_to_be_created(name: str) -> None:
    assert depends_on(name)["kafka-init"] == "service_completed_successfully"


def test_topics_are_created_only_once_the_broker_is_healthy() -> None:
    assert depends_on("kafka-init") == {"kafka": "service_healthy"}


def test_topic_service_runs_the_topic_script() -> None:
    mounted_at = {
        target
        for target, source in volume_sources("kafka-init").items()
        if source == "./infra/compose/create-topics.sh"
    }
    entrypoint = as_strings(service("kafka-init")["entrypoint"], "kafka-init entrypoint")

    assert mounted_at
    assert mounted_at & set(entrypoint)
    assert service("kafka-init")["image"] == service("kafka")["image"]


def test_topic_script_creates_every_topic_the_system_uses() -> None:
    assert sorted(topic_script_array("TOPICS")) == sorted(all_topics())


def test_topic_script_creates_topics_with_the_fixed_partition_count() -> None:
    script = TOPIC_SCRIPT.read_text(encoding="utf-8")

    assert int(topic_script_variable("PARTITIONS")) == PARTITIONS
    assert '--partitions "$PARTITIONS"' in script


def test_topic_script_can_run_again_against_existing_topics() -> None:
    assert "--if-not-exists" in TOPIC_SCRIPT.read_text(encoding="utf-8")


def test_kafka_never_creates_a_topic_on_first_use() -> None:
    assert environment("kafka")["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_kafka_runs_as_one_kraft_node_that_is_broker_and_controller() -> None:
    kafka = environment("kafka")

    assert kafka["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{kafka['KAFKA_NODE_ID']}@127.0.0.1:9093"
    assert kafka["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert kafka["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == "1"


def test_kafka_healthcheck_asks_the_broker_itself() -> None:
    command = healthcheck_command("kafka")

    assert "/opt/kafka/bin/kafka-broker-api-versions.sh" in command
    assert "--bootstrap-server localhost:9094" in command


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_reaches_kafka_at_the_address_the_broker_advertises(name: str) -> None:
    advertised = str(environment("kafka")["KAFKA_ADVERTISED_LISTENERS"]).split(",")

    assert CLIENT_LISTENER in advertised
    assert environment(name)["KAFKA_BOOTSTRAP_SERVERS"] == KAFKA_ADDRESS


def listeners(name: str) -> dict[str, str]:
    """Listener name -> its address, from the broker's KAFKA_LISTENERS."""
    raw = str(environment("kafka")[name])
    return dict(entry.split("://", 1) for entry in raw.split(","))


def test_kafka_lets_a_client_in_from_the_network_only_once_it_signs_in() -> None:
    kafka = environment("kafka")
    protocols = dict(
        entry.split(":", 1)
        for entry in str(kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]).split(",")
    )
    sasl = {"SASL_PLAINTEXT", "SASL_SSL"}

    for listener, address in listeners("KAFKA_LISTENERS").items():
        host = address.rpartition(":")[0]
        assert protocols[listener] in sasl or host == "127.0.0.1", (listener, address)
    assert protocols["SASL_PLAINTEXT"] == "SASL_PLAINTEXT"
    assert kafka["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert kafka["KAFKA_INTER_BROKER_LISTENER_NAME"] == "BROKER"
    assert listeners("KAFKA_LISTENERS")["BROKER"] == "127.0.0.1:9094"


def test_kafka_allows_nothing_that_no_acl_grants() -> None:
    kafka = environment("kafka")

    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    # ANONYMOUS is whoever comes in on a loopback listener, never a client from the network.
    assert kafka["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"


def test_only_the_topic_service_shares_the_brokers_loopback() -> None:
    services = as_mapping(compose()["services"], "services")
    sharing = {
        name
        for name in services
        if as_mapping(services[name], name).get("network_mode") == "service:kafka"
    }

    assert sharing == {"kafka-init"}
    assert environment("kafka-init")["KAFKA_BOOTSTRAP_SERVERS"] == "localhost:9094"


def test_the_broker_has_the_scram_login_module_and_no_secret_in_it() -> None:
    options = str(environment("kafka")["KAFKA_OPTS"])
    [mounted] = re.findall(r"-Djava\.security\.auth\.login\.config=(\S+)", options)
    source = volume_sources("kafka")[mounted]
    text = (ROOT / source).read_text(encoding="utf-8")

    assert source == "./infra/compose/kafka-server-jaas.conf"
    assert "org.apache.kafka.common.security.scram.ScramLoginModule required;" in text
    assert "password" not in text.split("KafkaServer", 1)[1]


def host_variable(value: str | None) -> str:
    found = re.fullmatch(r"\$\{([A-Z0-9_]+):\?[^}]+\}", value or "")
    assert found, value
    return found[1]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_signs_in_to_kafka_as_its_own_user(name: str) -> None:
    variables = environment(name)
    password = host_variable(variables["KAFKA_SASL_PASSWORD"])
    script = TOPIC_SCRIPT.read_text(encoding="utf-8")

    assert variables["KAFKA_SECURITY_PROTOCOL"] == CLIENT_LISTENER.split("://")[0]
    assert (
        variables["KAFKA_SASL_MECHANISM"] == environment("kafka")["KAFKA_SASL_ENABLED_MECHANISMS"]
    )
    assert variables["KAFKA_SASL_USERNAME"] == name
    assert host_variable(environment("kafka-init")[password]) == password
    assert re.search(rf'^service_user {name} "\${password}" ', script, re.M)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_kafka_settings_from_compose_satisfy_it_outside_development_mode(
    name: str,
) -> None:
    module_name, _, class_name = SETTINGS_CLASSES[name].rpartition(".")
    settings_class = getattr(importlib.import_module(module_name), class_name)
    given = {
        key.lower(): value
        for key, value in environment(name).items()
        if key.startswith("KAFKA_") and value is not None
    }
    given["kafka_sasl_password"] = "p" * 43  # what make compose-env writes: 43 characters

    settings = settings_class.model_validate({**given, "mongodb_database": name})

    assert settings.kafka_insecurities() == []
    assert settings.kafka.username == name
    # Its ACLs cover its consumer groups and its outbox relay's transactional id.
    assert settings.consumer_group("outbox-relay").startswith(f"safeguarding.{name}.")


@pytest.mark.parametrize("name", APP_SERVICES)
async def test_the_script_lets_each_service_read_exactly_what_its_consumers_read(
    name: str,
) -> None:
    module_name, _, class_name = SETTINGS_CLASSES[name].rpartition(".")
    settings_class = getattr(importlib.import_module(module_name), class_name)
    build = importlib.import_module(f"services.{name}.app").build
    _, runtime = build(settings_class(development_mode=True))
    try:
        read = {topic for handler in runtime.handlers for topic in handler.topics}
    finally:
        await runtime.client.close()
        await runtime.staff.aclose()
        await runtime.producer.stop()

    assert sorted(topic_script_array(f"{name.upper()}_READS")) == sorted(read)


def test_the_script_lets_the_partners_user_only_publish_submissions() -> None:
    script = TOPIC_SCRIPT.read_text(encoding="utf-8")
    grants = re.findall(r"^allow trial-partner (.*)$", script, re.M)

    assert grants == [
        "--operation Write --operation Describe --topic safeguarding.concerns.submitted"
    ]
    assert 'group_prefix="${CONSUMER_GROUP_PREFIX:-safeguarding}"' in script
    assert '--group "$group_prefix.$name."' in script
    assert '--transactional-id "$group_prefix.$name."' in script


STUB_TOOLS = {
    # Remembers the topics it made, and describes them with the partition count asked for.
    "kafka-topics.sh": """
if [[ " $* " == *" --describe "* ]]; then
  while read -r topic count; do
    printf 'Topic: %s\\tTopicId: x\\tPartitionCount: %s\\n' "$topic" "$count"
  done < "$STUB_LOG.topics"
else
  args=("$@")
  for i in "${!args[@]}"; do
    [[ "${args[$i]}" == --topic ]] && topic="${args[$((i + 1))]}"
    [[ "${args[$i]}" == --partitions ]] && count="${args[$((i + 1))]}"
  done
  echo "$topic $count" >> "$STUB_LOG.topics"
fi
""",
    "kafka-configs.sh": "",
    # One line per call: its arguments, quoted as the shell would need them.
    "kafka-acls.sh": 'printf "%q " "$@" >> "$STUB_LOG.acls"; echo >> "$STUB_LOG.acls"\n',
}


def acls_the_script_grants(tmp_path: Path) -> dict[str, dict[str, set[str]]]:
    """Run the topic script against stand-ins for Kafka's tools: user -> resource -> the
    operations granted on it (a prefixed resource ends with '*')."""
    for name, body in STUB_TOOLS.items():
        (tmp_path / name).write_text(f"#!/usr/bin/env bash\nset -euo pipefail\n{body}")
        (tmp_path / name).chmod(0o755)
    log = tmp_path / "calls"
    passwords = {
        name: "p" * 43
        for name in re.findall(r"\$\{?([A-Z_]+_KAFKA_PASSWORD)", TOPIC_SCRIPT.read_text())
    }
    subprocess.run(
        ["bash", str(TOPIC_SCRIPT)],
        env={
            "PATH": "/usr/bin:/bin",
            "KAFKA_BIN": str(tmp_path),
            "STUB_LOG": str(log),
            **passwords,
        },
        check=True,
        capture_output=True,
    )
    granted: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for line in (tmp_path / "calls.acls").read_text().splitlines():
        words = shlex.split(line)
        user = words[words.index("--allow-principal") + 1].removeprefix("User:")
        operations = {words[i + 1] for i, w in enumerate(words) if w == "--operation"}
        prefixed = "prefixed" in words
        for i, word in enumerate(words):
            if word in ("--topic", "--group", "--transactional-id"):
                resource = f"{word.removeprefix('--')}:{words[i + 1]}{'*' if prefixed else ''}"
                granted[user][resource] |= operations
    return granted


def test_the_operators_user_may_read_resolve_and_delete_dead_letters_and_replay_them(
    tmp_path: Path,
) -> None:
    ops = acls_the_script_grants(tmp_path)["ops"]

    dead_letters = [t for t in all_topics() if t.endswith(".dlt")]
    replayed_to = [t for t in all_topics() if not t.endswith(".dlt")]
    assert dead_letters
    assert replayed_to
    assert dict(ops) == {
        **{f"topic:{t}": {"Read", "Write", "Describe", "Delete"} for t in dead_letters},
        **{f"topic:{t}": {"Write", "Describe"} for t in replayed_to},
    }


def test_only_the_operators_user_may_delete_records(tmp_path: Path) -> None:
    granted = acls_the_script_grants(tmp_path)

    deleters = {
        user for user, resources in granted.items() for ops in resources.values() if "Delete" in ops
    }
    assert deleters == {"ops"}
    assert {"intake", "outcomes", "notification", "trial-partner"} <= set(granted)


def test_kafka_keeps_its_log_on_a_named_volume() -> None:
    log_dir = environment("kafka")["KAFKA_LOG_DIRS"]

    assert log_dir is not None
    assert volume_sources("kafka")[log_dir] in named_volumes()


def test_mongo_keeps_its_data_on_a_named_volume() -> None:
    assert volume_sources("mongo")["/data/db"] in named_volumes()


def test_mongo_runs_as_replica_set_rs0_so_transactions_work() -> None:
    command = as_strings(service("mongo")["command"], "mongo command")

    assert command[command.index("--replSet") + 1] == "rs0"
    assert "--bind_ip_all" in command


def test_mongo_healthcheck_initiates_the_replica_set_and_waits_for_primary() -> None:
    command = healthcheck_command("mongo")

    assert "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'mongo:27017'}]})" in command
    assert "isWritablePrimary" in command


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_connects_to_the_mongo_replica_set(name: str) -> None:
    assert environment(name)["MONGODB_URI"] == "mongodb://mongo:27017/?replicaSet=rs0"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_keeps_its_data_in_its_own_database(name: str) -> None:
    assert environment(name)["MONGODB_DATABASE"] == name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_listens_on_all_interfaces_at_its_own_port(name: str) -> None:
    variables = environment(name)

    assert variables["HTTP_HOST"] == "0.0.0.0"
    assert variables["HTTP_PORT"] == str(HTTP_PORTS[name])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_is_published_on_its_port(name: str) -> None:
    port = HTTP_PORTS[name]

    assert as_strings(service(name)["ports"], f"{name} ports") == [f"127.0.0.1:{port}:{port}"]


@pytest.mark.parametrize("name", [*LONG_RUNNING_SERVICES, *ONE_SHOT_SERVICES])
def test_published_ports_are_bound_to_the_host_loopback_only(name: str) -> None:
    ports = as_strings(service(name).get("ports", []), f"{name} ports")

    assert all(port.startswith("127.0.0.1:") for port in ports), ports


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_healthcheck_asks_its_health_endpoint(name: str) -> None:
    command = healthcheck_command(name)

    assert '"/health"' in command
    assert 'os.environ["HTTP_PORT"]' in command


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_runs_its_console_script(name: str) -> None:
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    command = as_strings(service(name)["command"], f"{name} command")

    assert command == [f"safeguarding-{name}"]
    assert command[0] in scripts


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_image_is_tagged_with_the_project_version(name: str) -> None:
    version = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["version"]

    assert service(name)["image"] == f"safeguarding-personal:{version}"


@pytest.mark.parametrize(("name", "variable"), SECRETS)
def test_secret_comes_from_the_host_and_has_no_default(name: str, variable: str) -> None:
    value = environment(name)[variable]

    assert value is not None
    assert re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", value), value


def example_env() -> dict[str, str]:
    lines = EXAMPLE_ENV.read_text(encoding="utf-8").splitlines()
    return {
        key: value
        for key, _, value in (line.partition("=") for line in lines)
        if value is not None and not key.startswith("#") and key.strip()
    }


def required_variables() -> set[str]:
    return set(re.findall(r"\$\{([A-Z0-9_]+):\?", compose_text()))


def test_example_env_names_every_secret_the_compose_file_requires() -> None:
    assert required_variables()
    assert required_variables() <= set(example_env())


def test_example_env_carries_no_working_value() -> None:
    assert {key: value for key, value in example_env().items() if value.strip()} == {}


def test_compose_env_makes_every_required_secret_random_and_long() -> None:
    first, first_key = compose_env()
    second, second_key = compose_env()

    def values(text: str) -> dict[str, str]:
        return {
            key: value.strip("'")
            for key, _, value in (line.partition("=") for line in text.splitlines())
            if not key.startswith("#") and key
        }

    assert set(values(first)) == required_variables()
    assert all(len(value) >= 32 for value in values(first).values())
    assert all(values(first)[k] != values(second)[k] for k in required_variables())
    assert first_key != second_key


def test_the_partner_compose_env_registers_satisfies_intake_outside_development_mode() -> None:
    text, partner = compose_env()
    [partners, signing, key_encryption_key, matching_key] = [
        line.partition("=")[2].strip("'")
        for line in text.splitlines()
        if line.startswith(
            (
                "PARTNER_API_KEYS=",
                "PARTNER_SIGNING_KEYS=",
                "KEY_ENCRYPTION_KEY=",
                "MATCHING_KEY=",
            )
        )
    ]
    registered = json.loads(signing)
    seed = base64.b64decode(partner.signing_key)
    kept = public_key_text(Ed25519PrivateKey.from_private_bytes(seed).public_key())
    assert registered == {TRIAL_PARTNER: kept}
    settings = IntakeSettings(
        partner_api_keys=json.loads(partners),
        partner_signing_keys=registered,
        oidc_issuer="http://localhost:8080/realms/safeguarding",
        oidc_audience="safeguarding-api",
        key_encryption_key=key_encryption_key,
        matching_key=matching_key,
    )

    assert settings.insecurities() == []


def test_no_service_runs_in_development_mode() -> None:
    assert "DEVELOPMENT_MODE" not in compose_text()


def realm() -> Mapping:
    return as_mapping(json.loads(REALM_FILE.read_text(encoding="utf-8")), "realm")


def test_keycloak_imports_the_realm_the_tests_use() -> None:
    command = as_strings(service("keycloak")["command"], "keycloak command")

    assert "--import-realm" in command
    assert (
        volume_sources("keycloak")["/opt/keycloak/data/import/safeguarding-realm.json"]
        == "./infra/keycloak/safeguarding-realm.json"
    )


def test_every_placeholder_in_the_realm_is_a_required_secret_of_keycloak() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", REALM_FILE.read_text(encoding="utf-8")))
    keycloak = environment("keycloak")

    assert placeholders
    assert all(
        re.fullmatch(r"\$\{[A-Z0-9_]+:\?[^}]+\}", keycloak[name] or "") for name in placeholders
    ), {name: keycloak.get(name) for name in placeholders}


def test_the_realm_holds_no_secret_of_its_own() -> None:
    text = REALM_FILE.read_text(encoding="utf-8")
    secrets = re.findall(r'"(?:secret|value)"\s*:\s*"([^"]*)"', text)

    assert secrets
    assert all(re.fullmatch(r"\$\{[A-Z0-9_]+\}", s) for s in secrets), secrets


def test_keycloak_runs_without_a_cluster_and_is_published_on_loopback() -> None:
    keycloak = environment("keycloak")

    assert keycloak["KC_CACHE"] == "local"
    assert as_strings(service("keycloak")["ports"], "keycloak ports") == ["127.0.0.1:8080:8080"]
    assert "/health/ready" in healthcheck_command("keycloak")
    assert keycloak["KC_HEALTH_ENABLED"] == "true"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_trusts_tokens_of_the_compose_realm_for_the_api(name: str) -> None:
    variables = environment(name)
    public_url = without_interpolation(environment("keycloak")["KC_HOSTNAME"])
    issuer = f"{public_url}/realms/{realm()['realm']}"
    api_clients = [
        c
        for c in as_list(realm()["clients"])
        if c["clientId"] == without_interpolation(variables["OIDC_AUDIENCE"])
    ]

    assert without_interpolation(variables["OIDC_ISSUER"]) == issuer
    assert without_interpolation(variables["OIDC_DISCOVERY_URL"]) == (
        f"http://keycloak:8080/realms/{realm()['realm']}/.well-known/openid-configuration"
    )
    assert api_clients


def as_list(value: object) -> list[Mapping]:
    assert isinstance(value, list)
    return [as_mapping(item, "item") for item in value]


def test_notification_sends_mail_to_the_mail_catcher_by_default() -> None:
    variables = environment("notification")

    assert without_interpolation(variables["SMTP_HOST"]) == "mailpit"
    assert without_interpolation(variables["SMTP_PORT"]) == "1025"
    assert depends_on("notification")["mailpit"] == "service_healthy"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_given_to_app_service_is_read_by_its_settings(name: str) -> None:
    module_name, _, class_name = SETTINGS_CLASSES[name].rpartition(".")
    settings = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(settings, BaseSettings)
    read = {field.upper() for field in settings.model_fields}

    unread = set(environment(name)) - read

    assert not unread, f"{name} is given {sorted(unread)}, which {class_name} never reads"


def test_dockerfile_runs_the_services_without_root() -> None:
    users = dockerfile_instructions("USER")

    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_installs_the_pinned_versions_the_tests_ran_against() -> None:
    assert "pip install -c constraints.txt ." in DOCKERFILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "pattern", [".git", ".venv", ".local", "**/__pycache__", ".mypy_cache", "bench/results"]
)
def test_build_context_leaves_out_local_state_caches_and_history(pattern: str) -> None:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()

    assert pattern in {line.strip() for line in lines}


def test_the_web_app_runs_its_console_script_after_the_services_it_calls() -> None:
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    command = as_strings(service(WEB)["command"], "web command")

    assert command == ["safeguarding-practitioner-web"]
    assert command[0] in scripts
    assert {name: depends_on(WEB)[name] for name in (*APP_SERVICES, "keycloak")} == {
        name: "service_healthy" for name in (*APP_SERVICES, "keycloak")
    }
    assert as_strings(service(WEB)["ports"], "web ports") == ["127.0.0.1:8004:8004"]
    assert '"/health"' in healthcheck_command(WEB)


def test_the_web_app_calls_the_services_and_signs_in_at_the_compose_realm() -> None:
    variables = environment(WEB)
    clients = {c["clientId"] for c in as_list(realm()["clients"])}

    for name in APP_SERVICES:
        assert variables[f"{name.upper()}_URL"] == f"http://{name}:{HTTP_PORTS[name]}"
    assert without_interpolation(variables["OIDC_WEB_CLIENT_ID"]) in clients
    assert without_interpolation(variables["OIDC_ISSUER"]) == without_interpolation(
        environment("intake")["OIDC_ISSUER"]
    )


def test_every_variable_given_to_the_web_app_is_read_by_its_settings() -> None:
    from services.practitioner_web.settings import WebSettings

    read = {field.upper() for field in WebSettings.model_fields}

    assert set(environment(WEB)) - read == set()


def test_the_image_carries_the_web_apps_pinned_assets() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")

    assert "COPY package.json package-lock.json ./" in text
    assert "npm ci" in text
