"""How a service's Kafka settings become its clients' connection: PLAINTEXT asks for nothing;
SASL sends the user and password; a weak Kafka password stops the service outside development
mode. (The broker refusing and allowing: tests/integration/test_kafka_security.py.)"""

from __future__ import annotations

import ssl

import pytest

from shared.config import KafkaSettings
from shared.kafka import KafkaConnection, connection_options

STRONG = "k" * 32


def test_bootstrap_servers_alone_connect_without_credentials() -> None:
    assert connection_options("kafka:9092") == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_settings_reach_the_client_as_aiokafka_names_them() -> None:
    settings = KafkaSettings(
        kafka_bootstrap_servers="kafka:9092",
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_username="intake",
        kafka_sasl_password=STRONG,
    )

    assert connection_options(settings.kafka) == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake",
        "sasl_plain_password": STRONG,
    }


def test_sasl_ssl_checks_the_brokers_certificates() -> None:
    options = connection_options(
        KafkaConnection("kafka:9093", "SASL_SSL", username="intake", password=STRONG)
    )

    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_the_password_is_not_in_the_connections_text() -> None:
    connection = KafkaConnection("kafka:9092", "SASL_PLAINTEXT", username="u", password=STRONG)

    assert STRONG not in repr(connection)
    assert STRONG not in repr(KafkaSettings(kafka_sasl_password=STRONG))


@pytest.mark.parametrize(
    ("username", "password", "found"),
    [
        ("intake", None, ["KAFKA_SASL_PASSWORD is not set"]),
        ("intake", "  ", ["KAFKA_SASL_PASSWORD is not set"]),
        ("intake", "x" * 31, ["KAFKA_SASL_PASSWORD is shorter than 32 characters"]),
        (
            "admin",
            "admin-secret",
            ["KAFKA_SASL_PASSWORD is a development value published in the source code"],
        ),
        (None, STRONG, ["KAFKA_SASL_USERNAME is not set"]),
        ("", STRONG, ["KAFKA_SASL_USERNAME is not set"]),
        ("intake", STRONG, []),
    ],
)
def test_signing_in_to_kafka_needs_a_user_and_a_strong_password(
    username: str | None, password: str | None, found: list[str]
) -> None:
    settings = KafkaSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username=username,
        kafka_sasl_password=password,
    )

    assert [str(i) for i in settings.kafka_insecurities()] == found


def test_a_password_sent_in_clear_is_insecure() -> None:
    in_clear = KafkaSettings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username="intake",
        kafka_sasl_password=STRONG,
    )
    over_tls = in_clear.model_copy(update={"kafka_security_protocol": "SASL_SSL"})

    assert [i.setting for i in in_clear.kafka_insecurities()] == ["KAFKA_SASL_MECHANISM"]
    assert over_tls.kafka_insecurities() == []


def test_an_unknown_security_protocol_or_mechanism_is_refused() -> None:
    with pytest.raises(ValueError, match="kafka_security_protocol"):
        KafkaSettings(kafka_security_protocol="SSL_PLAINTEXT")
    with pytest.raises(ValueError, match="kafka_sasl_mechanism"):
        KafkaSettings(kafka_sasl_mechanism="GSSAPI")
