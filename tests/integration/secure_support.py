"""The secured local stack for tests (`stack up --secure` on ports of its own), and fixtures.

Kafka: mTLS on 19192 (controller 19193), SASL_SSL/SCRAM on 19194; PostgreSQL over TLS only on
15532; state in <default state dir>-test-secure. Shared between concurrent test sessions
like the plain test stack. Ports move with STREAMVIEW_TEST_SECURE_KAFKA_PORT and
STREAMVIEW_TEST_SECURE_POSTGRES_PORT.

Fixtures:
- secure_stack (session): a SecureStack (endpoints, certificates, the admin's security).
- secure_topic: secure_topic(grant=..., partitions=1) -> (topic, group): a topic and its .dlq
  made by the admin, with the ACLs of adapters.kafka.acls granted to `streamview` for them
  (all, or those `grant` keeps); topics and ACLs are removed afterwards.
- secure_database_url: a new database on the secured PostgreSQL (verify-full URL).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.kafka.acls import Acl, needed_acls
from adapters.kafka.security import KafkaSecurity, kafka_security
from devtools.localstack import LocalStack, StackConfig, kafka_admin, shared_stack
from devtools.localstack.certificates import CLIENT_PRINCIPAL, StackCertificates
from devtools.localstack.pg_binaries import debian_bin_dir
from tests.integration.stack_support import isolated_stack_config, new_database, topic_factory

SECURE_KAFKA_PORT = 19192
SECURE_POSTGRES_PORT = 15532


def _report(message: str) -> None:
    import sys

    print(f"[secure test stack] {message}", file=sys.stderr)


def secure_stack_config() -> StackConfig:
    return isolated_stack_config(
        None,
        "-test-secure",
        kafka_port=int(os.environ.get("STREAMVIEW_TEST_SECURE_KAFKA_PORT", SECURE_KAFKA_PORT)),
        postgres_port=int(
            os.environ.get("STREAMVIEW_TEST_SECURE_POSTGRES_PORT", SECURE_POSTGRES_PORT)
        ),
        secure=True,
    )


@dataclass(frozen=True)
class SecureStack:
    config: StackConfig

    @property
    def pki(self) -> StackCertificates:
        return StackCertificates(self.config.pki_dir)

    @property
    def kafka_bootstrap(self) -> str:
        return self.config.kafka_bootstrap

    @property
    def admin_database_url(self) -> str:
        return self.config.database_url

    def admin(self) -> KafkaSecurity:
        """The stack's admin principal (a super user), for producing and reading as a test."""
        return kafka_security(
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_ca_file": str(self.pki.ca),
                "kafka_ssl_cert_file": str(self.pki.admin_cert),
                "kafka_ssl_key_file": str(self.pki.admin_key),
            }
        )

    def client_settings(self, via: str) -> dict[str, Any]:
        """Settings of StreamView as the `streamview` principal: over mTLS, SASL_SSL/SCRAM or
        SASL_SSL/OAUTHBEARER (an unsigned token, which the stack's broker accepts)."""
        if via == "mtls":
            return {
                "kafka_bootstrap": self.config.kafka_bootstrap,
                "kafka_security_protocol": "SSL",
                "kafka_ssl_ca_file": str(self.pki.ca),
                "kafka_ssl_cert_file": str(self.pki.client_cert),
                "kafka_ssl_key_file": str(self.pki.client_key),
            }
        if via == "oauth":
            token = self.config.pki_dir / "oauth-token"
            token.write_text(unsigned_token(CLIENT_PRINCIPAL) + "\n")
            return {
                "kafka_bootstrap": self.config.kafka_sasl_bootstrap,
                "kafka_security_protocol": "SASL_SSL",
                "kafka_ssl_ca_file": str(self.pki.ca),
                "kafka_sasl_mechanism": "OAUTHBEARER",
                "kafka_sasl_oauth_token_file": str(token),
            }
        assert via == "sasl", via
        return {
            "kafka_bootstrap": self.config.kafka_sasl_bootstrap,
            "kafka_security_protocol": "SASL_SSL",
            "kafka_ssl_ca_file": str(self.pki.ca),
            "kafka_sasl_mechanism": "SCRAM-SHA-256",
            "kafka_sasl_username": CLIENT_PRINCIPAL,
            "kafka_sasl_password_file": str(self.config.scram_password_file),
        }


def unsigned_token(subject: str, seconds: int = 3600) -> str:
    """An unsecured JWT (alg none), as Kafka's unsecured OAUTHBEARER validator takes."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(time.time())
    return f"{part({'alg': 'none'})}.{part({'sub': subject, 'iat': now, 'exp': now + seconds})}."


@pytest.fixture(scope="session")
def secure_stack() -> Iterator[SecureStack]:
    if os.environ.get("STREAMVIEW_TEST_STACK", "local") == "containers":
        pytest.skip("the secured stack runs locally only")
    if debian_bin_dir() is None:
        pytest.skip("the secured stack needs Debian's postgresql (the wheel has no OpenSSL)")
    stack = LocalStack(secure_stack_config(), report=_report)
    with shared_stack(stack):
        yield SecureStack(stack.config)


@pytest.fixture
def secure_topic(secure_stack: SecureStack) -> Iterator[Callable[..., tuple[str, str]]]:
    granted: list[Acl] = []
    admin = secure_stack.admin()
    bootstrap = secure_stack.kafka_bootstrap

    with topic_factory(bootstrap, security=admin) as new_topic:

        def make(
            grant: Callable[[Acl], bool] = lambda acl: True, partitions: int = 1
        ) -> tuple[str, str]:
            topic = new_topic(partitions)
            group = f"sv-test-{uuid.uuid4().hex[:12]}"
            acls = [
                acl
                for acl in needed_acls(CLIENT_PRINCIPAL, topic, f"{topic}.dlq", group)
                if grant(acl)
            ]
            problems = kafka_admin.create_acls(bootstrap, acls, admin)
            assert not problems, problems
            granted.extend(acls)
            return topic, group

        yield make
        with contextlib.suppress(Exception):
            kafka_admin.delete_acls(bootstrap, granted, admin)


@pytest.fixture
def secure_database_url(secure_stack: SecureStack) -> Iterator[str]:
    with new_database(secure_stack.admin_database_url) as url:
        yield url
