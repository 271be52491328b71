"""Every Kafka client's security settings come from one factory that refuses what cannot work."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import pytest

from adapters.kafka.security import PLAINTEXT, KafkaSecurityError, TokenFile, kafka_security
from devtools.localstack.certificates import generate, issue, make_ca
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    directory = tmp_path_factory.mktemp("pki")
    files = generate(directory)
    ca = make_ca()
    encrypted = issue(ca, "streamview")
    encrypted.write(directory / "enc.pem", directory / "enc-key.pem", password=b"k3y-pass")
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=30)
    issue(ca, "streamview", valid_from=past, days=1).write(
        directory / "expired.pem", directory / "expired-key.pem"
    )
    (directory / "garbage.pem").write_text("not a certificate\n")
    (directory / "password").write_text("s3cret\n")
    (directory / "username").write_text("streamview\n")
    (directory / "empty").write_text("")
    (directory / "token").write_text("eyJ.token.sig\n")
    return {
        "ca": str(files.ca),
        "cert": str(files.client_cert),
        "key": str(files.client_key),
        "enc_cert": str(directory / "enc.pem"),
        "enc_key": str(directory / "enc-key.pem"),
        "expired_cert": str(directory / "expired.pem"),
        "expired_key": str(directory / "expired-key.pem"),
        "garbage": str(directory / "garbage.pem"),
        "password": str(directory / "password"),
        "username": str(directory / "username"),
        "empty": str(directory / "empty"),
        "token": str(directory / "token"),
        "missing": str(directory / "missing.pem"),
    }


def _values(pki: dict[str, str], **values: object) -> dict[str, object]:
    """Settings-style values; a string starting with @ names a file of the fixture."""
    return {
        k: pki[v[1:]] if isinstance(v, str) and v.startswith("@") else v for k, v in values.items()
    }


def test_the_default_is_plaintext_without_tls_or_sasl() -> None:
    security = kafka_security({})

    assert security == PLAINTEXT
    assert security.client_kwargs() == {"security_protocol": "PLAINTEXT"}


def test_ssl_with_a_ca_verifies_the_broker_and_its_name(pki: dict[str, str]) -> None:
    kwargs = kafka_security(
        _values(pki, kafka_security_protocol="SSL", kafka_ssl_ca_file="@ca")
    ).client_kwargs()

    context = kwargs["ssl_context"]
    assert kwargs["security_protocol"] == "SSL"
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert "sasl_mechanism" not in kwargs


def test_ssl_without_a_ca_trusts_the_system_authorities() -> None:
    context = kafka_security({"kafka_security_protocol": "ssl"}).client_kwargs()["ssl_context"]

    assert context.verify_mode == ssl.CERT_REQUIRED


def test_hostname_verification_can_be_turned_off_explicitly(pki: dict[str, str]) -> None:
    security = kafka_security(
        _values(
            pki,
            kafka_security_protocol="SSL",
            kafka_ssl_ca_file="@ca",
            kafka_ssl_check_hostname=False,
        )
    )

    assert security.client_kwargs()["ssl_context"].check_hostname is False
    assert "NO hostname check" in security.describe()


@pytest.mark.parametrize(
    "files",
    [
        {"kafka_ssl_cert_file": "@cert", "kafka_ssl_key_file": "@key"},
        {
            "kafka_ssl_cert_file": "@enc_cert",
            "kafka_ssl_key_file": "@enc_key",
            "kafka_ssl_key_password": "k3y-pass",
        },
    ],
    ids=["plain key", "key with password"],
)
def test_mtls_loads_the_client_certificate(pki: dict[str, str], files: dict[str, str]) -> None:
    security = kafka_security(
        _values(pki, kafka_security_protocol="SSL", kafka_ssl_ca_file="@ca", **files)
    )

    assert security.protocol == "SSL"
    assert security.ssl_context is not None


def test_the_key_password_may_come_from_a_file(tmp_path: Path, pki: dict[str, str]) -> None:
    (tmp_path / "key-password").write_text("k3y-pass\n")

    security = kafka_security(
        _values(
            pki,
            kafka_security_protocol="SSL",
            kafka_ssl_cert_file="@enc_cert",
            kafka_ssl_key_file="@enc_key",
            kafka_ssl_key_password_file=str(tmp_path / "key-password"),
        )
    )

    assert security.ssl_context is not None


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "scram-sha-512"])
@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
def test_sasl_with_a_username_and_password(
    pki: dict[str, str], protocol: str, mechanism: str
) -> None:
    kwargs = kafka_security(
        {
            "kafka_security_protocol": protocol,
            "kafka_sasl_mechanism": mechanism,
            "kafka_sasl_username": "streamview",
            "kafka_sasl_password": "s3cret",
        }
    ).client_kwargs()

    assert kwargs["security_protocol"] == protocol
    assert kwargs["sasl_mechanism"] == mechanism.upper()
    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
        "streamview",
        "s3cret",
    )
    assert ("ssl_context" in kwargs) is (protocol == "SASL_SSL")


def test_sasl_credentials_may_come_from_files_without_their_newline(pki: dict[str, str]) -> None:
    kwargs = kafka_security(
        _values(
            pki,
            kafka_security_protocol="SASL_SSL",
            kafka_ssl_ca_file="@ca",
            kafka_sasl_mechanism="SCRAM-SHA-256",
            kafka_sasl_username_file="@username",
            kafka_sasl_password_file="@password",
        )
    ).client_kwargs()

    assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
        "streamview",
        "s3cret",
    )


async def test_oauthbearer_reads_the_token_file_at_each_authentication(
    tmp_path: Path,
) -> None:
    token = tmp_path / "token"
    token.write_text("first\n")
    kwargs = kafka_security(
        {
            "kafka_security_protocol": "SASL_SSL",
            "kafka_sasl_mechanism": "OAUTHBEARER",
            "kafka_sasl_oauth_token_file": str(token),
        }
    ).client_kwargs()
    provider = kwargs["sasl_oauth_token_provider"]

    assert isinstance(provider, TokenFile)
    assert await provider.token() == "first"
    token.write_text("rotated")
    assert await provider.token() == "rotated"
    assert "sasl_plain_password" not in kwargs


def test_the_password_is_not_in_the_repr_or_the_description() -> None:
    security = kafka_security(
        {
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_sasl_mechanism": "PLAIN",
            "kafka_sasl_username": "streamview",
            "kafka_sasl_password": "s3cret-value",
        }
    )

    assert "s3cret-value" not in repr(security)
    assert "s3cret-value" not in security.describe()
    assert "PLAIN as streamview" in security.describe()


_SASL = {"kafka_sasl_mechanism": "SCRAM-SHA-512", "kafka_sasl_username": "u"}


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({"kafka_security_protocol": "TLS"}, ["STREAMVIEW_KAFKA_SECURITY_PROTOCOL", "'TLS'"]),
        ({"kafka_ssl_ca_file": "@ca"}, ["STREAMVIEW_KAFKA_SSL_CA_FILE", "=PLAINTEXT uses no TLS"]),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                **_SASL,
                "kafka_sasl_password": "p",
                "kafka_ssl_cert_file": "@cert",
            },
            ["STREAMVIEW_KAFKA_SSL_CERT_FILE", "uses no TLS"],
        ),
        ({"kafka_ssl_key_password": "x"}, ["STREAMVIEW_KAFKA_SSL_KEY_PASSWORD", "uses no TLS"]),
        ({"kafka_ssl_check_hostname": False}, ["STREAMVIEW_KAFKA_SSL_CHECK_HOSTNAME", "no TLS"]),
        ({"kafka_sasl_mechanism": "PLAIN"}, ["STREAMVIEW_KAFKA_SASL_MECHANISM", "uses no SASL"]),
        (
            {"kafka_security_protocol": "SSL", "kafka_sasl_password": "p"},
            ["STREAMVIEW_KAFKA_SASL_PASSWORD", "=SSL uses no SASL"],
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_sasl_username_file": "@username"},
            ["STREAMVIEW_KAFKA_SASL_USERNAME", "uses no SASL"],
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_key_file": "@key"},
            ["STREAMVIEW_KAFKA_SSL_KEY_FILE needs STREAMVIEW_KAFKA_SSL_CERT_FILE"],
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_key_password": "p"},
            ["STREAMVIEW_KAFKA_SSL_KEY_PASSWORD needs STREAMVIEW_KAFKA_SSL_CERT_FILE"],
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_ca_file": "@missing"},
            ["STREAMVIEW_KAFKA_SSL_CA_FILE", "missing.pem", "not a readable file"],
        ),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_ca_file": "@garbage"},
            ["STREAMVIEW_KAFKA_SSL_CA_FILE", "garbage.pem", "cannot use"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_cert_file": "@cert",
                "kafka_ssl_key_file": "@garbage",
            },
            ["STREAMVIEW_KAFKA_SSL_KEY_FILE", "cannot use"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_cert_file": "@enc_cert",
                "kafka_ssl_key_file": "@enc_key",
            },
            ["STREAMVIEW_KAFKA_SSL_KEY_FILE", "is encrypted", "STREAMVIEW_KAFKA_SSL_KEY_PASSWORD"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_cert_file": "@enc_cert",
                "kafka_ssl_key_file": "@enc_key",
                "kafka_ssl_key_password": "wrong",
            },
            ["STREAMVIEW_KAFKA_SSL_KEY_FILE", "cannot use"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_ssl_cert_file": "@expired_cert",
                "kafka_ssl_key_file": "@expired_key",
            },
            ["STREAMVIEW_KAFKA_SSL_CERT_FILE", "expired on"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL"},
            ["STREAMVIEW_KAFKA_SASL_MECHANISM", "SCRAM-SHA-256"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "GSSAPI"},
            ["STREAMVIEW_KAFKA_SASL_MECHANISM", "'GSSAPI'"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "PLAIN"},
            ["STREAMVIEW_KAFKA_SASL_USERNAME (or STREAMVIEW_KAFKA_SASL_USERNAME_FILE)"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", **_SASL},
            ["STREAMVIEW_KAFKA_SASL_PASSWORD (or STREAMVIEW_KAFKA_SASL_PASSWORD_FILE)"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", **_SASL, "kafka_sasl_password": ""},
            ["STREAMVIEW_KAFKA_SASL_PASSWORD"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                **_SASL,
                "kafka_sasl_password": "p",
                "kafka_sasl_password_file": "@password",
            },
            ["STREAMVIEW_KAFKA_SASL_PASSWORD or STREAMVIEW_KAFKA_SASL_PASSWORD_FILE, not both"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                **_SASL,
                "kafka_sasl_password_file": "@missing",
            },
            ["STREAMVIEW_KAFKA_SASL_PASSWORD_FILE", "cannot read"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", **_SASL, "kafka_sasl_password_file": "@empty"},
            ["STREAMVIEW_KAFKA_SASL_PASSWORD_FILE", "is empty"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                **_SASL,
                "kafka_sasl_password": "p",
                "kafka_sasl_oauth_token_file": "@token",
            },
            ["STREAMVIEW_KAFKA_SASL_OAUTH_TOKEN_FILE", "only used by", "OAUTHBEARER"],
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "OAUTHBEARER"},
            ["STREAMVIEW_KAFKA_SASL_OAUTH_TOKEN_FILE"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "OAUTHBEARER",
                "kafka_sasl_oauth_token_file": "@missing",
            },
            ["STREAMVIEW_KAFKA_SASL_OAUTH_TOKEN_FILE", "not a readable file"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "OAUTHBEARER",
                "kafka_sasl_oauth_token_file": "@token",
                "kafka_sasl_password": "p",
            },
            ["STREAMVIEW_KAFKA_SASL_PASSWORD is not used by OAUTHBEARER"],
        ),
    ],
)
def test_a_bad_combination_is_refused_naming_the_variable(
    pki: dict[str, str], values: dict[str, object], fragments: list[str]
) -> None:
    with pytest.raises(KafkaSecurityError) as raised:
        kafka_security(_values(pki, **values))

    for fragment in fragments:
        assert fragment in str(raised.value)


def test_settings_refuse_a_bad_combination_at_start() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"STREAMVIEW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})

    assert "STREAMVIEW_KAFKA_SASL_MECHANISM" in str(raised.value)


def test_settings_read_every_security_variable(pki: dict[str, str]) -> None:
    settings = Settings.from_env(
        {
            "STREAMVIEW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "STREAMVIEW_KAFKA_SSL_CA_FILE": pki["ca"],
            "STREAMVIEW_KAFKA_SSL_CERT_FILE": pki["enc_cert"],
            "STREAMVIEW_KAFKA_SSL_KEY_FILE": pki["enc_key"],
            "STREAMVIEW_KAFKA_SSL_KEY_PASSWORD": "k3y-pass",
            "STREAMVIEW_KAFKA_SSL_CHECK_HOSTNAME": "false",
            "STREAMVIEW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-256",
            "STREAMVIEW_KAFKA_SASL_USERNAME": "streamview",
            "STREAMVIEW_KAFKA_SASL_PASSWORD_FILE": pki["password"],
        }
    )
    kwargs = kafka_security(settings.as_dict()).client_kwargs()

    assert kwargs["security_protocol"] == "SASL_SSL"
    assert kwargs["ssl_context"].check_hostname is False
    assert kwargs["sasl_plain_password"] == "s3cret"


def test_the_repr_of_settings_hides_every_secret() -> None:
    settings = Settings.from_env(
        {
            "STREAMVIEW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "STREAMVIEW_KAFKA_SASL_MECHANISM": "PLAIN",
            "STREAMVIEW_KAFKA_SASL_USERNAME": "streamview-user",
            "STREAMVIEW_KAFKA_SASL_PASSWORD": "kafka-pass-123",
            "STREAMVIEW_CURSOR_SECRET": "cursor-secret-456-long-enough-for-production",
            "STREAMVIEW_OPS_JWT_SECRET": "ops-secret-789-long-enough-for-production",
            "STREAMVIEW_DATABASE_URL": "postgresql://sv:db-pass-789@db.example:5433/sv?sslmode=require",
        }
    )

    shown = repr(settings)
    secrets = ("kafka-pass-123", "cursor-secret-456", "ops-secret-789", "streamview-user")
    for secret in (*secrets, "db-pass-789"):
        assert secret not in shown
    assert "kafka_security_protocol='SASL_PLAINTEXT'" in shown
    assert "'postgresql://sv:***@db.example:5433/sv?sslmode=require'" in shown
