"""A Kafka broker of the test's own with its security switched on: a SASL_PLAINTEXT listener
where clients sign in with SCRAM-SHA-512, and the standard authorizer, which allows nothing that
no ACL grants. Made from the same jars and server.properties template as the shared test broker
(infra/local.py), which stays PLAINTEXT."""

from __future__ import annotations

import asyncio
import enum
import secrets
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DescribeAclsRequest

from infra.local import (
    format_kafka_storage,
    kafka_command,
    kafka_properties,
    kafka_topics_ready,
)
from shared.kafka import KafkaConnection, admin
from tests.support.polling import eventually
from tests.support.secantus import free_port, stop_gracefully

ADMIN = "admin"
"""The super user: the broker signs in to itself as it, and the test sets ACLs as it."""
MECHANISM: Final = "SCRAM-SHA-512"


class Operation(enum.IntEnum):
    """Kafka's ACL operation codes (org.apache.kafka.common.acl.AclOperation)."""

    READ = 3
    WRITE = 4
    DELETE = 6
    DESCRIBE = 8


class Resource(enum.IntEnum):
    """Kafka's resource type codes (org.apache.kafka.common.resource.ResourceType)."""

    TOPIC = 2
    GROUP = 3
    TRANSACTIONAL_ID = 5


LITERAL, PREFIXED = 3, 4
"""Resource pattern types: the name exactly, or every name starting with it."""
ALLOW = 3


class SecuredKafka:
    def __init__(self, state: Path, users: Iterable[str]) -> None:
        self.state = state
        self.port = free_port()
        self.controller_port = free_port()
        self.passwords = {name: secrets.token_urlsafe(32) for name in (ADMIN, *users)}
        self.process: subprocess.Popen[bytes] | None = None

    def connection(self, user: str, *, password: str | None = None) -> KafkaConnection:
        """How `user` connects (with its own password unless told another)."""
        return KafkaConnection(
            f"127.0.0.1:{self.port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=MECHANISM,
            username=user,
            password=self.passwords[user] if password is None else password,
        )

    def start(self) -> None:
        """Format the broker's storage with its SCRAM users (they exist before it first starts)
        and start it."""
        data = self.state / "kafka-data"
        properties = self.state / "server.properties"
        admin_password = self.passwords[ADMIN]
        listener = f"SASL_PLAINTEXT://127.0.0.1:{self.port}"
        properties.write_text(
            kafka_properties(
                self.port,
                self.controller_port,
                data,
                {
                    "listeners": f"{listener},CONTROLLER://127.0.0.1:{self.controller_port}",
                    "advertised.listeners": listener,
                    "inter.broker.listener.name": "SASL_PLAINTEXT",
                    "listener.security.protocol.map": (
                        "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT"
                    ),
                    "sasl.enabled.mechanisms": MECHANISM,
                    "sasl.mechanism.inter.broker.protocol": MECHANISM,
                    "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                        "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        f'username="{ADMIN}" password="{admin_password}";'
                    ),
                    "authorizer.class.name": (
                        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
                    ),
                    "allow.everyone.if.no.acl.found": "false",
                    # The controller listener is loopback-only PLAINTEXT, where the broker part
                    # of this one node reaches its controller part (as ANONYMOUS).
                    "super.users": f"User:{ADMIN};User:ANONYMOUS",
                },
            )
        )
        scram = [
            option
            for name, password in self.passwords.items()
            for option in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")
        ]
        format_kafka_storage(properties, *scram)
        log = open(self.state / "kafka.log", "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            kafka_command(properties),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.state,
        )

    async def ready(self, timeout: float = 120.0) -> None:
        """Wait until the admin can sign in and every system topic has a leader (made here:
        auto-creation is off, as on the shared broker)."""
        deadline = time.monotonic() + timeout
        while not await kafka_topics_ready(self.connection(ADMIN)):
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"the broker exited; see {self.state / 'kafka.log'}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the secured broker did not answer in {timeout:.0f} s")
            await asyncio.sleep(0.5)

    async def allow(
        self,
        user: str,
        operations: Iterable[Operation],
        resource: Resource,
        names: Iterable[str],
        *,
        prefixed: bool = False,
    ) -> None:
        """Grant `user` each operation on each named resource, as the super user, and return
        once the broker enforces them (ACLs reach it through the metadata log, a moment after
        the controller accepts them)."""
        bindings = [
            {
                "resource_type": resource,
                "resource_name": name,
                "resource_pattern_type_filter": PREFIXED if prefixed else LITERAL,
                "principal": f"User:{user}",
                "host": "*",
                "operation": operation,
                "permission_type": ALLOW,
            }
            for name in names
            for operation in operations
        ]
        client = admin(self.connection(ADMIN))
        await client.start()
        try:
            # aiokafka's admin client has no ACL methods; it sends Kafka's ACL requests itself.
            for binding in bindings:
                response = await client._send_request(CreateAclsRequest(**binding))
                for error_code, message in response.creation_responses:
                    if error_code:
                        raise for_code(error_code)(message)
            for binding in bindings:

                async def described(binding: dict[str, Any] = binding) -> int:
                    answer = await client._send_request(DescribeAclsRequest(**binding))
                    return len(answer.resources)

                await eventually(described, what=f"the broker to enforce {binding}")
        finally:
            await client.close()

    def stop(self) -> None:
        if self.process is not None:
            stop_gracefully(self.process)
            self.process = None
