"""Committed event JSON Schemas: present, current, backward compatible, true to the decoder."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import jsonschema_rs
import msgspec
import pytest
from click.testing import CliRunner

from domain.decoding import decode_record
from domain.events import EVENT_TYPES
from domain.records import Accepted
from entrypoints.cli.schemas import SCHEMA_VERSION, command, event_schema, file_name, generated
from tests.support.events import Body, item, item_added, order_created, record, status_changed
from tests.support.schema_compat import backward_problems

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[2] / "deploy" / "schemas"


def _committed(event_type: str) -> dict[str, Any]:
    path = SCHEMAS / file_name(event_type)
    assert path.is_file(), f"{path} missing: run `streamview schemas export` and commit it"
    schema: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return schema


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_event_type_is_backward_compatible_with_its_committed_schema(event_type: str) -> None:
    problems = backward_problems(_committed(event_type), event_schema(event_type))

    assert problems == [], (
        f"{event_type} changed incompatibly with {file_name(event_type)}; keep the old shape "
        f"or bump x-event-version and publish a new schema file: {problems}"
    )


def test_committed_schemas_are_up_to_date() -> None:
    stale = [n for n, text in generated().items() if (SCHEMAS / n).read_text("utf-8") != text]

    assert stale == [], f"run `streamview schemas export` and commit {stale}"


def test_no_committed_event_type_has_disappeared() -> None:
    committed = {p.name.split(".")[0] for p in SCHEMAS.glob(f"*.v{SCHEMA_VERSION}.json")}

    assert committed == set(EVENT_TYPES)


def _valid(body: Body, sequence: int) -> bool:
    return isinstance(decode_record(record(body, sequence)), Accepted)


SAMPLES = [
    (order_created(items=[item(price="19.99"), item(price=5, tax_rate=0.23)]), 1),
    (item_added(price=19.99, tax_rate="1"), 2),
    (status_changed(status="CANCELLED"), 3),
    ({**order_created(), "extra": {"nested": True}}, 1),
    (order_created(items=[item(qty=0)]), 1),
    (order_created(items=[item(price="1.005")]), 1),
    (order_created(items=[item(price="-1")]), 1),
    (order_created(currency="eur"), 1),
    (order_created("o" * 65), 1),
    ({**order_created(), "occurredAt": "2026-11-28T10:15:00"}, 1),
    (item_added(tax_rate="1.5"), 2),
    (item_added(tax_rate="0.1234567890123"), 2),
    (status_changed(status="LOST"), 2),
    ({k: v for k, v in item_added().items() if k != "sku"}, 2),
]


@pytest.mark.parametrize(("body", "sequence"), SAMPLES)
def test_the_committed_schema_agrees_with_the_decoder(body: Body, sequence: int) -> None:
    validator = jsonschema_rs.validator_for(_committed(body["type"]), validate_formats=True)

    assert validator.is_valid(body) == _valid(body, sequence)


def test_export_writes_the_files_and_check_detects_staleness(tmp_path: Path) -> None:
    runner = CliRunner()
    target = ["--dir", str(tmp_path)]

    assert runner.invoke(command, ["export", "--check", *target]).exit_code == 1
    assert runner.invoke(command, ["export", *target]).exit_code == 0
    assert runner.invoke(command, ["export", "--check", *target]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(generated())

    (tmp_path / file_name("OrderCreated")).write_text("{}")
    stale = runner.invoke(command, ["export", "--check", *target])
    assert stale.exit_code == 1
    assert file_name("OrderCreated") in stale.output


# --- the compatibility checker itself ---------------------------------------------------------


def _doc(**properties: Any) -> dict[str, Any]:
    """An object schema in msgspec's shape: a root $ref into $defs; every property required
    unless its schema carries `"optional": True`."""
    required = [n for n, p in properties.items() if not p.pop("optional", False)]
    event = {"type": "object", "properties": properties, "required": required}
    return {"$ref": "#/$defs/Event", "$defs": {"Event": event}}


def _s(type_: str | list[str], **constraints: Any) -> dict[str, Any]:
    return {"type": type_, **constraints}


BASE = {"id": _s("string", maxLength=64), "qty": _s("integer", minimum=1)}


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (dict(BASE), None),
        ({**BASE, "note": _s("string", optional=True)}, None),
        ({**BASE, "qty": _s("number", minimum=0)}, None),  # widened type and bound
        ({**BASE, "id": _s("string", maxLength=128)}, None),
        ({**BASE, "id": {"anyOf": [_s("string"), _s("null")]}}, None),
        ({**BASE, "note": _s("string")}, "$.note: new required"),
        ({"id": BASE["id"]}, "$.qty: field removed"),
        ({**BASE, "qty": _s("string")}, "$.qty: type narrowed"),
        ({**BASE, "id": _s("string", maxLength=32)}, "$.id: maxLength narrowed"),
        ({**BASE, "qty": _s("integer", minimum=2)}, "$.qty: minimum narrowed"),
        ({**BASE, "qty": _s("integer", minimum=1, maximum=9)}, "$.qty: maximum narrowed"),
        ({**BASE, "id": _s("string", maxLength=64, pattern="^a")}, "$.id: pattern changed"),
        ({**BASE, "id": _s("string", enum=["a"])}, "$.id: enum added"),
    ],
)
def test_checker_on_synthetic_pairs(new: dict[str, Any], problem: str | None) -> None:
    problems = backward_problems(_doc(**dict(BASE)), _doc(**{k: dict(v) for k, v in new.items()}))

    if problem is None:
        assert problems == []
    else:
        assert [p for p in problems if p.startswith(problem)], problems


def test_checker_sees_nested_changes_through_refs_and_any_of() -> None:
    def doc(status: list[str], qty_max: int, nullable: bool) -> dict[str, Any]:
        price = {"anyOf": [_s("string"), _s("null")]} if nullable else _s("string")
        item = {
            "type": "object",
            "properties": {"qty": _s("integer", maximum=qty_max), "price": price},
        }
        return {
            "$ref": "#/$defs/E",
            "$defs": {
                "Item": item,
                "E": {
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/$defs/Item"}},
                        "status": {"enum": status},
                    }
                },
            },
        }

    old = doc(["A", "B"], 10, nullable=True)

    assert backward_problems(old, doc(["A", "B", "C"], 20, nullable=True)) == []
    assert backward_problems(old, doc(["A"], 5, nullable=False)) == [
        "$.items[].qty: maximum narrowed from 10 to 5",
        "$.items[].price: type narrowed, ['null'] no longer allowed",
        "$.status: enum values removed: ['B']",
    ]


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class V1(msgspec.Struct, rename="camel"):
    event_id: Annotated[str, msgspec.Meta(max_length=64)]
    colour: Colour


class V2Optional(V1):
    note: str | None = None


class V2Required(V1):
    note: str


class V2Narrowed(msgspec.Struct, rename="camel"):
    event_id: Annotated[str, msgspec.Meta(max_length=32)]
    colour: Annotated[str, msgspec.Meta(pattern="^red$")]


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (V1, []),
        (V2Optional, []),
        (V2Required, ["$.note: new required"]),
        (V2Narrowed, ["$.eventId: maxLength narrowed from 64 to 32", "$.colour: pattern changed"]),
    ],
)
def test_checker_on_msgspec_generated_schemas(new: type, expected: list[str]) -> None:
    problems = backward_problems(msgspec.json.schema(V1), msgspec.json.schema(new))

    assert [p.split(" from ")[0] if "pattern" in p else p for p in problems] == expected
