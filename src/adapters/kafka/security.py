"""How every Kafka client of StreamView authenticates and encrypts: one factory for all.

`kafka_security(values)` reads the `kafka_*` settings (the STREAMVIEW_KAFKA_* variables),
refuses a combination that cannot be meant with a message naming the variable, reads the
secrets given as files, builds the TLS context once (so a wrong file fails at start, not at
the first connection) and returns a `KafkaSecurity` whose `client_kwargs()` every aiokafka
client (consumer, producer, admin) is built with.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka.abc import AbstractTokenProvider
from cryptography import x509

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER")
_PREFIX = "STREAMVIEW_"


class KafkaSecurityError(ValueError):
    """A Kafka security setting that cannot work; the message names the variable."""


def variable(name: str) -> str:
    return f"{_PREFIX}{name.upper()}"


class TokenFile(AbstractTokenProvider):  # type: ignore[misc]  # untyped base
    """OAUTHBEARER token read from a file at every (re)authentication, so that a token the
    platform rotates in place (a projected Kubernetes service-account token) is picked up."""

    def __init__(self, path: str) -> None:
        self._path = Path(path)

    async def token(self) -> str:
        return self._path.read_text().strip()

    def __repr__(self) -> str:
        return f"TokenFile({str(self._path)!r})"


@dataclass(frozen=True)
class KafkaSecurity:
    """The security part of every Kafka client's settings. Its repr shows no secret."""

    protocol: str = "PLAINTEXT"
    ssl_context: ssl.SSLContext | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    token_provider: AbstractTokenProvider | None = None

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"security_protocol": self.protocol}
        if self.ssl_context is not None:
            kwargs["ssl_context"] = self.ssl_context
        if self.sasl_mechanism is not None:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            if self.token_provider is not None:
                kwargs["sasl_oauth_token_provider"] = self.token_provider
            else:
                kwargs["sasl_plain_username"] = self.sasl_username
                kwargs["sasl_plain_password"] = self.sasl_password
        return kwargs

    def describe(self) -> str:
        """For logs: what is used, never a secret."""
        parts = [self.protocol]
        if self.sasl_mechanism is not None:
            who = self.sasl_username or "token file"
            parts.append(f"{self.sasl_mechanism} as {who}")
        if self.ssl_context is not None:
            parts.append(
                "hostname checked" if self.ssl_context.check_hostname else "NO hostname check"
            )
        return ", ".join(parts)


PLAINTEXT = KafkaSecurity()

_TLS_ONLY = ("kafka_ssl_ca_file", "kafka_ssl_cert_file", "kafka_ssl_key_file")
_SASL_ONLY = ("kafka_sasl_username", "kafka_sasl_password", "kafka_sasl_oauth_token_file")


def kafka_security(values: Mapping[str, Any]) -> KafkaSecurity:
    """The checked security settings from the `kafka_*` values of the settings."""
    protocol = str(values.get("kafka_security_protocol") or "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise KafkaSecurityError(
            f"{variable('kafka_security_protocol')}={protocol!r} is not one of "
            + ", ".join(PROTOCOLS)
        )
    secrets = {
        name: _secret(values, name)
        for name in ("kafka_ssl_key_password", "kafka_sasl_username", "kafka_sasl_password")
    }
    tls = protocol in ("SSL", "SASL_SSL")
    sasl = protocol.startswith("SASL_")
    if not tls:
        _refuse_set(values, secrets, (*_TLS_ONLY, "kafka_ssl_key_password"), protocol, "TLS")
        if values.get("kafka_ssl_check_hostname") is False:
            raise _unused("kafka_ssl_check_hostname", protocol, "TLS")
    if not sasl:
        _refuse_set(values, secrets, ("kafka_sasl_mechanism", *_SASL_ONLY), protocol, "SASL")
    return KafkaSecurity(
        protocol=protocol,
        ssl_context=_ssl_context(values, secrets["kafka_ssl_key_password"]) if tls else None,
        **(_sasl(values, secrets, protocol) if sasl else {}),
    )


def _secret(values: Mapping[str, Any], name: str) -> str | None:
    """The value of `name`, given directly or as the content of the file `name_file`."""
    direct, path = values.get(name), values.get(f"{name}_file")
    if direct is not None and path is not None:
        raise KafkaSecurityError(f"set {variable(name)} or {variable(name + '_file')}, not both")
    if path is None:
        return None if direct is None else str(direct)
    try:
        text = Path(path).read_text().rstrip("\r\n")
    except OSError as error:
        raise KafkaSecurityError(
            f"{variable(name + '_file')}: cannot read {path!r}: {error.strerror}"
        ) from None
    if not text:
        raise KafkaSecurityError(f"{variable(name + '_file')}: {path!r} is empty")
    return text


def _refuse_set(
    values: Mapping[str, Any],
    secrets: Mapping[str, str | None],
    names: tuple[str, ...],
    protocol: str,
    what: str,
) -> None:
    for name in names:
        if (secrets[name] if name in secrets else values.get(name)) is not None:
            raise _unused(name, protocol, what)


def _unused(name: str, protocol: str, what: str) -> KafkaSecurityError:
    return KafkaSecurityError(
        f"{variable(name)} is set but {variable('kafka_security_protocol')}={protocol} "
        f"uses no {what}: set the protocol or remove the setting"
    )


def _ssl_context(values: Mapping[str, Any], key_password: str | None) -> ssl.SSLContext:
    ca, cert, key = (values.get(name) for name in _TLS_ONLY)
    if key is not None and cert is None:
        raise KafkaSecurityError(
            f"{variable('kafka_ssl_key_file')} needs {variable('kafka_ssl_cert_file')}"
        )
    if key_password is not None and cert is None:
        raise KafkaSecurityError(
            f"{variable('kafka_ssl_key_password')} needs {variable('kafka_ssl_cert_file')}"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies the broker's certificate
    context.check_hostname = values.get("kafka_ssl_check_hostname", True) is not False
    if ca is None:  # the system's CAs, as a managed Kafka with a public certificate needs
        context.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:  # only this CA: a certificate another CA signed is refused
        _load("kafka_ssl_ca_file", ca, lambda: context.load_verify_locations(cafile=ca))
    if cert is not None:
        _refuse_expired(cert)
        key_path = cert if key is None else key
        if key_password is None and b"ENCRYPTED" in _head(key_path):
            raise KafkaSecurityError(
                f"{variable('kafka_ssl_key_file')}: the key in {key_path!r} is encrypted: "
                f"set {variable('kafka_ssl_key_password')} (or its _FILE variant)"
            )
        _load(
            "kafka_ssl_cert_file" if key is None else "kafka_ssl_key_file",
            key_path,
            # A callable, so that OpenSSL never prompts on a terminal for a missing password.
            lambda: context.load_cert_chain(cert, key, lambda: key_password or ""),
        )
    return context


def _head(path: str) -> bytes:
    try:
        return Path(path).read_bytes()[:4096]
    except OSError:
        return b""


def _load(name: str, path: str, load: Any) -> None:
    if not Path(path).is_file():
        raise KafkaSecurityError(f"{variable(name)}: {path!r} is not a readable file")
    try:
        load()
    except (ssl.SSLError, OSError, ValueError) as error:
        raise KafkaSecurityError(f"{variable(name)}: cannot use {path!r}: {error}") from None


def _refuse_expired(path: str) -> None:
    """An expired client certificate is named here, not left to a broker's bare handshake error."""
    try:
        certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    except (OSError, ValueError):
        return  # _load names the unreadable or malformed file
    now = datetime.now(UTC)
    if certificate.not_valid_after_utc < now:
        raise KafkaSecurityError(
            f"{variable('kafka_ssl_cert_file')}: the certificate in {path!r} expired on "
            f"{certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    if certificate.not_valid_before_utc > now:
        raise KafkaSecurityError(
            f"{variable('kafka_ssl_cert_file')}: the certificate in {path!r} is not valid before "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
        )


def _sasl(
    values: Mapping[str, Any], secrets: Mapping[str, str | None], protocol: str
) -> dict[str, Any]:
    mechanism = values.get("kafka_sasl_mechanism")
    if mechanism is None:
        raise KafkaSecurityError(
            f"{variable('kafka_security_protocol')}={protocol} needs "
            f"{variable('kafka_sasl_mechanism')} ({', '.join(MECHANISMS)})"
        )
    mechanism = str(mechanism).upper()
    if mechanism not in MECHANISMS:
        raise KafkaSecurityError(
            f"{variable('kafka_sasl_mechanism')}={mechanism!r} is not one of "
            + ", ".join(MECHANISMS)
        )
    username, password = secrets["kafka_sasl_username"], secrets["kafka_sasl_password"]
    token_file = values.get("kafka_sasl_oauth_token_file")
    if mechanism == "OAUTHBEARER":
        for name, value in (("kafka_sasl_username", username), ("kafka_sasl_password", password)):
            if value is not None:
                raise KafkaSecurityError(
                    f"{variable(name)} is not used by OAUTHBEARER: "
                    f"set {variable('kafka_sasl_oauth_token_file')} instead"
                )
        if token_file is None:
            raise KafkaSecurityError(
                f"{variable('kafka_sasl_mechanism')}=OAUTHBEARER needs "
                f"{variable('kafka_sasl_oauth_token_file')}"
            )
        if not Path(token_file).is_file():
            raise KafkaSecurityError(
                f"{variable('kafka_sasl_oauth_token_file')}: {token_file!r} is not a readable file"
            )
        return {"sasl_mechanism": mechanism, "token_provider": TokenFile(token_file)}
    if token_file is not None:
        raise KafkaSecurityError(
            f"{variable('kafka_sasl_oauth_token_file')} is only used by "
            f"{variable('kafka_sasl_mechanism')}=OAUTHBEARER, not {mechanism}"
        )
    for name, value in (("kafka_sasl_username", username), ("kafka_sasl_password", password)):
        if not value:
            raise KafkaSecurityError(
                f"{variable('kafka_sasl_mechanism')}={mechanism} needs {variable(name)} "
                f"(or {variable(name + '_file')})"
            )
    return {"sasl_mechanism": mechanism, "sasl_username": username, "sasl_password": password}
