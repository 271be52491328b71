"""`streamview schemas register | check | list` against the real registry of the local stack."""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from pathlib import Path

from click.testing import CliRunner, Result

from entrypoints.cli import main
from tests.support.registry import SCHEMAS, avsc


def _run(registry_url: str, *args: str) -> Result:
    env = {"STREAMVIEW_SCHEMA_REGISTRY_URL": registry_url}
    return CliRunner().invoke(main, ["schemas", *args], env=env, catch_exceptions=False)


def test_register_is_idempotent_and_list_shows_the_subjects(registry_url: str) -> None:
    topic = f"cli.{uuid.uuid4().hex[:10]}"

    first = _run(registry_url, "register", "--topic", topic)
    again = _run(registry_url, "register", "--topic", topic)
    listed = _run(registry_url, "list")

    assert first.exit_code == again.exit_code == listed.exit_code == 0, first.output
    assert first.output == again.output  # the same ids, nothing new
    lines = {line.split()[0]: line for line in listed.output.splitlines() if topic in line}
    assert sorted(lines) == sorted(
        f"{topic}-{name}"
        for name in (
            "OrderCreated",
            "OrderCreated-json",
            "OrderItemAdded",
            "OrderItemAdded-json",
            "OrderStatusChanged",
            "OrderStatusChanged-json",
        )
    )
    assert "versions 1,2 " in lines[f"{topic}-OrderCreated"]  # v1 then v2
    assert "versions 1 " in lines[f"{topic}-OrderStatusChanged"]


def test_check_passes_the_committed_schemas_and_refuses_a_breaking_one(
    registry_url: str, tmp_path: Path
) -> None:
    topic = f"cli.{uuid.uuid4().hex[:10]}"
    assert _run(registry_url, "register", "--topic", topic).exit_code == 0
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    breaking = copy.deepcopy(avsc("OrderCreated.v2"))
    breaking["fields"].append({"name": "loyaltyTier", "type": "string"})  # no default
    (tmp_path / "schemas" / "OrderCreated.v3.avsc").write_text(json.dumps(breaking))

    passing = _run(registry_url, "check", "--topic", topic)
    failing = CliRunner().invoke(
        main,
        ["schemas", "check", "--topic", topic, "--dir", str(tmp_path / "schemas")],
        env={"STREAMVIEW_SCHEMA_REGISTRY_URL": registry_url},
    )

    assert passing.exit_code == 0, passing.output
    assert passing.output.count("ok ") == 6
    assert failing.exit_code == 1
    assert f"INCOMPATIBLE  {topic}-OrderCreated: OrderCreated.v3.avsc" in failing.output
    assert "1 of 6 schemas are not BACKWARD compatible" in failing.output
