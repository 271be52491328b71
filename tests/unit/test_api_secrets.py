"""The API's secrets: its own outside development mode, refused when missing, empty or short,
key files parsed at start; each refusal names the variable and exits 2 without a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from loguru import logger

from entrypoints.api_secrets import DEV_SECRETS, with_dev_secrets
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.cli import main
from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit

GOOD = "0123456789abcdef0123456789abcdef"  # 32 bytes
PRODUCTION = {
    "STREAMVIEW_BACKEND": "memory",
    "STREAMVIEW_OPS_JWT_SECRET": GOOD,
    "STREAMVIEW_CURSOR_SECRET": GOOD[::-1],
}


def serve(env: dict[str, str], *args: str) -> tuple[int, str]:
    """`streamview serve` up to the point where it would start uvicorn (it must not get there)."""
    environ = {name: None for name in _streamview_variables()} | env
    result = CliRunner().invoke(main, ["serve", *args], env=environ)
    return result.exit_code, result.output


def _streamview_variables() -> list[str]:
    import os

    return [name for name in os.environ if name.startswith("STREAMVIEW_")]


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("STREAMVIEW_OPS_JWT_SECRET", "STREAMVIEW_OPS_JWT_SECRET (or STREAMVIEW_OPS_JWT_PUBLIC"),
        ("STREAMVIEW_CURSOR_SECRET", "STREAMVIEW_CURSOR_SECRET not set"),
    ],
)
def test_serve_refuses_to_start_without_a_secret_of_its_own(missing: str, named: str) -> None:
    code, output = serve({k: v for k, v in PRODUCTION.items() if k != missing})

    assert code == 2
    assert named in output
    assert "Traceback" not in output


@pytest.mark.parametrize("variable", ["STREAMVIEW_OPS_JWT_SECRET", "STREAMVIEW_CURSOR_SECRET"])
@pytest.mark.parametrize("value", ["sekrit", "31-bytes-31-bytes-31-bytes-31-b"])
def test_a_secret_under_32_bytes_is_refused_naming_it(variable: str, value: str) -> None:
    code, output = serve(PRODUCTION | {variable: value})

    assert code == 2
    assert f"{variable} is {len(value)} bytes" in output
    assert value not in output.replace(variable, "")  # the secret itself is not echoed


@pytest.mark.parametrize("dev", [False, True], ids=["production", "development"])
@pytest.mark.parametrize("value", ["", "   "], ids=["empty", "blank"])
def test_an_empty_secret_is_refused_in_every_mode(dev: bool, value: str) -> None:
    env = PRODUCTION | {"STREAMVIEW_CURSOR_SECRET": value}
    code, output = serve(env, *(["--dev"] if dev else []))

    assert code == 2
    assert "STREAMVIEW_CURSOR_SECRET is empty" in output


def test_multibyte_secrets_are_measured_in_bytes() -> None:
    settings = Settings.from_env({}, cursor_secret="é" * 16, ops_jwt_secret=GOOD)

    assert settings.cursor_secret == "é" * 16


def test_a_command_without_the_api_needs_no_secret() -> None:
    # `consume`, `migrate`, `rebuild`, `produce` read these settings and start no API.
    settings = Settings.from_env({})

    assert (settings.ops_jwt_secret, settings.cursor_secret, settings.dev_mode) == (
        None,
        None,
        False,
    )
    with pytest.raises(SettingsError, match=r"STREAMVIEW_OPS_JWT_SECRET .* and STREAMVIEW_CURSOR"):
        create_app_from_container(build_container(settings))


def test_development_mode_uses_the_built_in_secrets_and_says_so() -> None:
    settings = with_dev_secrets(Settings.from_env({"STREAMVIEW_DEV_MODE": "true"}))
    warnings: list[str] = []
    sink = logger.add(lambda message: warnings.append(str(message)), level="WARNING")
    try:
        create_app_from_container(build_container(Settings.from_env({}, dev_mode=True)))
    finally:
        logger.remove(sink)

    assert settings.ops_jwt_secret == DEV_SECRETS["ops_jwt_secret"]
    assert settings.cursor_secret == DEV_SECRETS["cursor_secret"]
    assert any("development mode" in warning for warning in warnings)


def test_development_mode_keeps_the_secrets_that_are_set() -> None:
    settings = with_dev_secrets(Settings.from_env({}, dev_mode=True, cursor_secret="short"))

    assert settings.cursor_secret == "short"
    assert settings.ops_jwt_secret == DEV_SECRETS["ops_jwt_secret"]


def test_the_dev_flag_of_serve_is_development_mode() -> None:
    code, output = serve({"STREAMVIEW_BACKEND": "memory"}, "--dev", "--port", "0", "--help")
    assert code == 0 and "--dev" in output


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read"),
        ("not a key", "no PEM public key"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "no PEM public key"),
        ('{"keys": [{"kty": "RSA", "n": "x"}]}', "not a usable JWKS"),
        ("{not json", "not a usable JWKS"),
    ],
    ids=["missing", "text", "bad PEM", "bad JWKS", "bad JSON"],
)
def test_an_unusable_key_file_stops_the_start_naming_the_variable(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    key_file = tmp_path / "ops-key.pem"
    if content is not None:
        key_file.write_text(content)
    env = PRODUCTION | {"STREAMVIEW_OPS_JWT_PUBLIC_KEY_FILE": str(key_file)}

    code, output = serve(env)

    assert code == 2
    assert "STREAMVIEW_OPS_JWT_PUBLIC_KEY_FILE" in output and reason in output
    assert "Traceback" not in output


def test_an_ec_public_key_verifies_es256_tokens(tmp_path: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    key_file = tmp_path / "ops-key.pem"
    key_file.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = Settings.from_env(
        {}, cursor_secret=GOOD, backend="memory", ops_jwt_public_key_file=str(key_file)
    )
    policy = build_container(settings).ops.ops_policy()
    now = int(time.time())
    token = jwt.encode({"roles": ["ops"], "iat": now, "exp": now + 60}, private, "ES256")

    assert policy.authorize(f"Bearer {token}").role_set == {"ops"}


# --- streamview token ----------------------------------------------------------------------


def token(env: dict[str, str], *args: str) -> tuple[int, str]:
    environ = {name: None for name in _streamview_variables()} | env
    result = CliRunner().invoke(main, ["token", *args], env=environ)
    return result.exit_code, result.output


def test_token_needs_the_secret_outside_development_mode() -> None:
    code, output = token({})

    assert code != 0 and "STREAMVIEW_OPS_JWT_SECRET" in output


def test_token_carries_issuer_and_audience_and_respects_the_lifetime() -> None:
    env = PRODUCTION | {"STREAMVIEW_OPS_JWT_ISSUER": "me", "STREAMVIEW_OPS_JWT_AUDIENCE": "sv"}

    code, output = token(env, "--ttl", "60")
    claims = jwt.decode(output.strip(), GOOD, ["HS256"], audience="sv", issuer="me")

    assert code == 0 and claims["exp"] - claims["iat"] == 60
    code, output = token(env | {"STREAMVIEW_OPS_JWT_MAX_LIFETIME_S": "30"}, "--ttl", "60")
    assert code != 0 and "STREAMVIEW_OPS_JWT_MAX_LIFETIME_S" in output


def test_token_in_development_mode_signs_with_the_development_secret() -> None:
    code, output = token({}, "--dev")

    assert code == 0
    assert jwt.decode(output.strip(), DEV_SECRETS["ops_jwt_secret"], ["HS256"])["roles"] == ["ops"]


def test_run_refuses_to_start_without_its_secrets_before_touching_kafka_or_postgres() -> None:
    environ = {name: None for name in _streamview_variables()}
    result = CliRunner().invoke(main, ["run"], env=environ | {"STREAMVIEW_BACKEND": "postgres"})

    assert result.exit_code == 2
    assert "STREAMVIEW_OPS_JWT_SECRET" in result.output
    assert "STREAMVIEW_CURSOR_SECRET" in result.output
