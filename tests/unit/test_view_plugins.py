"""View plug-ins: found through their entry point group, enabled by STREAMVIEW_VIEWS."""

from __future__ import annotations

from importlib import resources

import pytest

from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings, SettingsError
from entrypoints.views import (
    ORDERS_VIEW,
    UnknownView,
    ViewPlugin,
    enabled_views,
    installed_views,
    parse_view_names,
    view_schemas,
)

pytestmark = pytest.mark.unit

NOTES = ViewPlugin(name="notes", stream="orders", summary="a view of a test")
INSTALLED = {"orders": ORDERS_VIEW, "notes": NOTES}


def test_view_names_are_split_trimmed_and_kept_once_in_order() -> None:
    assert parse_view_names(" orders, notes ,,orders ") == ("orders", "notes")


def test_enabled_views_are_the_named_plugins_in_the_given_order() -> None:
    assert enabled_views(("orders", "notes"), INSTALLED) == [ORDERS_VIEW, NOTES]


def test_a_view_that_is_not_installed_is_named_with_those_that_are() -> None:
    with pytest.raises(UnknownView, match=r"not installed: billing \(installed: notes, orders\)"):
        enabled_views(("orders", "billing"), INSTALLED)


def test_orders_cannot_be_left_out_it_holds_the_streams_sequencing() -> None:
    with pytest.raises(UnknownView, match="must include orders"):
        enabled_views(("notes",), INSTALLED)


def test_the_installed_views_include_the_built_in_ones() -> None:
    installed = installed_views()

    assert installed["orders"] is ORDERS_VIEW
    assert installed["customers"].stream == "orders"
    assert installed["customers"].migrations is not None


def test_only_views_with_migrations_bring_a_schema() -> None:
    folder = resources.files("views.customers") / "migrations"
    with_tables = ViewPlugin(name="t", stream="orders", summary="", migrations=folder)

    (schema,) = view_schemas([ORDERS_VIEW, with_tables])

    assert schema.view == "t"
    assert [m.version for m in schema.migrations()][:1] == [1]


def test_an_unknown_view_stops_the_start_with_a_settings_error() -> None:
    settings = Settings.from_env({"STREAMVIEW_BACKEND": "memory", "STREAMVIEW_VIEWS": "orders,x"})

    with pytest.raises(SettingsError, match="not installed: x"):
        build_container(settings)


def test_an_empty_view_list_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="STREAMVIEW_VIEWS"):
        Settings.from_env({"STREAMVIEW_VIEWS": " "})
