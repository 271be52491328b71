"""Settings come from STREAMVIEW_* variables; a bad value stops the start with a clear message."""

from __future__ import annotations

from decimal import Decimal

import pytest

from entrypoints.settings import Settings, SettingsError

pytestmark = pytest.mark.unit


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})

    assert settings.backend == "postgres"
    assert (settings.topic, settings.dlq_topic) == ("orders.events", "orders.events.dlq")
    assert settings.default_tax_rate == Decimal(0)
    assert (settings.http_port, settings.batch_max_records) == (8080, 2000)
    assert settings.db_pool_min <= settings.db_pool_max


def test_values_are_parsed_from_strings() -> None:
    settings = Settings.from_env(
        {
            "STREAMVIEW_BACKEND": "memory",
            "STREAMVIEW_HTTP_PORT": "9000",
            "STREAMVIEW_DEFAULT_TAX_RATE": "0.23",
            "STREAMVIEW_ALLOW_REBUILD": "false",
            "STREAMVIEW_TOPIC": "shop.orders",
            "STREAMVIEW_OPS_JWT_PUBLIC_KEY_FILE": "/etc/streamview/ops.pem",
        }
    )

    assert settings.backend == "memory"
    assert settings.http_port == 9000
    assert settings.default_tax_rate == Decimal("0.23")
    assert settings.allow_rebuild is False
    assert settings.topic == "shop.orders"
    assert settings.ops_jwt_public_key_file == "/etc/streamview/ops.pem"


def test_other_variables_are_ignored() -> None:
    settings = Settings.from_env({"HTTP_PORT": "1", "STREAMVIEW_NOT_A_SETTING": "x", "PATH": "/"})

    assert settings == Settings.from_env({})


def test_explicit_overrides_win_over_the_environment_unless_none() -> None:
    environ = {"STREAMVIEW_HTTP_PORT": "9000", "STREAMVIEW_TOPIC": "from-env"}

    settings = Settings.from_env(environ, http_port=7000, topic=None)

    assert (settings.http_port, settings.topic) == (7000, "from-env")


@pytest.mark.parametrize(
    ("environ", "fragments"),
    [
        ({"STREAMVIEW_HTTP_PORT": "eighty"}, ["STREAMVIEW_HTTP_PORT", "int"]),
        ({"STREAMVIEW_HTTP_PORT": "70000"}, ["STREAMVIEW_HTTP_PORT", "65535"]),
        ({"STREAMVIEW_BATCH_MAX_RECORDS": "0"}, ["STREAMVIEW_BATCH_MAX_RECORDS", ">= 1"]),
        ({"STREAMVIEW_BACKEND": "mysql"}, ["STREAMVIEW_BACKEND", "mysql"]),
        ({"STREAMVIEW_ALLOW_REBUILD": "perhaps"}, ["STREAMVIEW_ALLOW_REBUILD", "bool"]),
        ({"STREAMVIEW_DEFAULT_TAX_RATE": "lots"}, ["STREAMVIEW_DEFAULT_TAX_RATE", "decimal"]),
        (
            {"STREAMVIEW_DEFAULT_TAX_RATE": "1.5"},
            ["STREAMVIEW_DEFAULT_TAX_RATE", "between 0 and 1"],
        ),
        ({"STREAMVIEW_LOG_FORMAT": "xml"}, ["STREAMVIEW_LOG_FORMAT"]),
        (
            {"STREAMVIEW_DB_POOL_MIN": "20", "STREAMVIEW_DB_POOL_MAX": "5"},
            ["STREAMVIEW_DB_POOL_MIN", "STREAMVIEW_DB_POOL_MAX"],
        ),
        (
            {"STREAMVIEW_SCHEMA_REGISTRY_URL": "registry:8081"},
            ["STREAMVIEW_SCHEMA_REGISTRY_URL", "http://"],
        ),
        (
            {"STREAMVIEW_SCHEMA_REGISTRY_PASSWORD": "secret"},
            ["STREAMVIEW_SCHEMA_REGISTRY_PASSWORD", "STREAMVIEW_SCHEMA_REGISTRY_USER"],
        ),
    ],
)
def test_bad_values_raise_a_settings_error_naming_the_setting(
    environ: dict[str, str], fragments: list[str]
) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(environ)

    for fragment in fragments:
        assert fragment in str(raised.value)


def test_the_process_environment_is_the_default_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMVIEW_CONSUMER_GROUP", "group-from-env")

    assert Settings.from_env().consumer_group == "group-from-env"


def test_as_dict_feeds_the_container_configuration() -> None:
    values = Settings.from_env({"STREAMVIEW_BACKEND": "memory"}).as_dict()

    assert values["backend"] == "memory"
    assert set(values) == set(Settings.__struct_fields__)


def test_the_schema_registry_is_off_unless_configured() -> None:
    assert Settings.from_env({}).schema_registry_url is None
    configured = Settings.from_env(
        {
            "STREAMVIEW_SCHEMA_REGISTRY_URL": "https://registry.example:8081",
            "STREAMVIEW_SCHEMA_REGISTRY_USER": "streamview",
            "STREAMVIEW_SCHEMA_REGISTRY_PASSWORD": "secret",
        }
    )
    assert (configured.schema_registry_url, configured.schema_registry_user) == (
        "https://registry.example:8081",
        "streamview",
    )
