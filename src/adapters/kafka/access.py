"""Why the broker refuses us, in words that name the setting or the ACL to fix.

aiokafka's clients report every failed connection as "Unable to bootstrap" (retried for
ever) and every denial by the bare error class. `connection_problem` connects once itself,
so that a wrong CA, a refused client certificate or a wrong password is named at start;
`denial` names the ACL behind an authorization error. `KafkaAccess` offers both to the worker
(BrokerAccess).
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from aiokafka.conn import create_conn
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    SaslAuthenticationFailed,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnsupportedSaslMechanismError,
)
from aiokafka.protocol.admin import ApiVersionRequest

from adapters.kafka.security import KafkaSecurity, variable

_GRANT = "grant it to this principal (README, Production: the ACLs StreamView needs)"


@dataclass(frozen=True)
class Names:
    """The resources StreamView uses, to name them in a denial."""

    topic: str
    dlq_topic: str
    group: str


class KafkaAccess:
    """Implements BrokerAccess for the broker at `bootstrap` and the resources of `names`."""

    def __init__(self, bootstrap: str, security: KafkaSecurity, names: Names) -> None:
        self._bootstrap, self._security, self._names = bootstrap, security, names

    def describe(self) -> str:
        return f"{self._bootstrap}: {self._security.describe()}"

    async def connection_problem(self) -> str | None:
        return await connection_problem(self._bootstrap, self._security)

    def denial(self, error: BaseException) -> str | None:
        return denial(error, self._names)


def denial(error: BaseException, names: Names) -> str | None:
    """The ACL an authorization error means is missing; None for any other error."""
    if isinstance(error, TopicAuthorizationFailedError):
        topics = {str(arg) for arg in error.args} or {names.topic}
        if names.dlq_topic in topics:
            return f"Kafka denied WRITE on the dead-letter topic {names.dlq_topic!r}: {_GRANT}"
        return f"Kafka denied READ (or DESCRIBE_CONFIGS) on topic {names.topic!r}: {_GRANT}"
    if isinstance(error, GroupAuthorizationFailedError):
        return f"Kafka denied READ on consumer group {names.group!r}: {_GRANT}"
    if isinstance(error, ClusterAuthorizationFailedError | TransactionalIdAuthorizationFailed):
        return f"Kafka denied a cluster operation ({type(error).__name__}): {_GRANT}"
    return None


async def connection_problem(
    bootstrap: str, security: KafkaSecurity, timeout_seconds: float = 10.0
) -> str | None:
    """A reason the broker will never accept these settings, or None (connected, or not
    reachable yet: a broker that is down is waited for, not a configuration error)."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    kwargs = security.client_kwargs()
    try:
        async with asyncio.timeout(timeout_seconds):
            conn = await create_conn(
                host.strip("[]"), int(port), client_id="streamview-check", **kwargs
            )
            try:
                await conn.send(ApiVersionRequest())
            finally:
                conn.close()
    except ssl.SSLCertVerificationError as error:
        hint = (
            f"set {variable('kafka_ssl_ca_file')} to the CA that signed it"
            if "hostname" not in str(error.verify_message).lower()
            else f"connect by a name in its certificate (or {variable('kafka_ssl_check_hostname')}"
            "=false)"
        )
        return (
            f"the certificate of the broker at {bootstrap} is not trusted: "
            f"{error.verify_message}; {hint}"
        )
    except ssl.SSLError as error:
        return (
            f"the TLS handshake with the broker at {bootstrap} failed ({error.reason or error}): "
            f"check {variable('kafka_ssl_cert_file')} and {variable('kafka_ssl_key_file')}, "
            "and that the listener speaks "
            f"{variable('kafka_security_protocol')}={security.protocol}"
        )
    except SaslAuthenticationFailed as error:
        return (
            f"SASL authentication with {security.sasl_mechanism} as {security.sasl_username!r} "
            f"failed at {bootstrap}: check {variable('kafka_sasl_username')} and "
            f"{variable('kafka_sasl_password')} ({error})"
        )
    except UnsupportedSaslMechanismError:
        return (
            f"the broker at {bootstrap} does not offer SASL mechanism {security.sasl_mechanism} "
            f"({variable('kafka_sasl_mechanism')})"
        )
    except KafkaConnectionError as error:
        if security.ssl_context is not None and "closed" in str(error):
            return (
                f"the broker at {bootstrap} closed the connection after the TLS handshake: it "
                f"refused the client certificate ({variable('kafka_ssl_cert_file')}: missing, or "
                "signed by a CA it does not trust) or expects another "
                f"{variable('kafka_security_protocol')}"
            )
        if "closed" in str(error):
            return (
                f"the broker at {bootstrap} closed the connection: it expects another "
                f"{variable('kafka_security_protocol')} than {security.protocol}"
            )
        return None
    except (OSError, TimeoutError, KafkaError):
        return None  # not reachable (yet): the clients keep trying
    return None
