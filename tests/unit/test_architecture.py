"""Imports point inwards: the domain is pure, the application knows no adapter technology."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"

# What each layer may import besides the standard library, by top-level package. An allowlist,
# so that any new technology in these layers is a deliberate decision made here. Logging is
# cross-cutting (STYLE: loguru with bound context), not an adapter.
ALLOWED = {
    "domain": {"msgspec", "domain"},
    "application": {"msgspec", "loguru", "domain", "application"},
}


def imported_packages(source: str) -> set[str]:
    """Top-level packages a module imports (relative imports stay in its own package)."""
    packages: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            packages.add(node.module.split(".")[0])
    return packages


def violations(layer: str) -> dict[str, set[str]]:
    allowed = ALLOWED[layer] | set(sys.stdlib_module_names)
    found = {}
    for path in sorted((SRC / layer).rglob("*.py")):
        foreign = imported_packages(path.read_text(encoding="utf-8")) - allowed
        if foreign:
            found[str(path.relative_to(SRC))] = foreign
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    assert list((SRC / layer).rglob("*.py")), f"no modules found under src/{layer}"
    assert violations(layer) == {}


def test_the_checker_sees_every_kind_of_import() -> None:
    source = """
import os, aiokafka.structs
from psycopg import sql
from litestar import get
from . import sibling
from adapters.memory.views import MemoryViewStore
def later():
    import entrypoints.container
if True:
    from decimal import Decimal
"""
    assert imported_packages(source) == {
        "os",
        "aiokafka",
        "psycopg",
        "litestar",
        "adapters",
        "entrypoints",
        "decimal",
    }


def test_adapter_technologies_are_not_allowed_in_the_application() -> None:
    forbidden = {"aiokafka", "psycopg", "psycopg_pool", "litestar", "adapters", "entrypoints"}

    assert not forbidden & (ALLOWED["application"] | set(sys.stdlib_module_names))


# --- a view's pure domain ---------------------------------------------------------------------


def view_domain_modules(view: Path) -> list[Path]:
    """A view's pure domain: its `domain.py`, or every module of its `domain/` package."""
    module = view / "domain.py"
    return ([module] if module.is_file() else []) + sorted((view / "domain").rglob("*.py"))


def imported_names(source: str, package: str) -> set[str]:
    """Dotted names a module imports, relative ones resolved against its `package`;
    `from a.b import c` gives `a.b.c` (a submodule or a name of `a.b`: either way, of `a.b`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [base])])
            names.update(base if a.name == "*" else f"{base}.{a.name}" for a in node.names)
    return names


def view_domain_violations(view: Path) -> dict[str, set[str]]:
    """What a view's domain imports beyond msgspec, the stdlib, `domain` and its own modules
    (`view` is `<root>/views/<name>`; module names are taken from `<root>`)."""
    root = view.parent.parent
    own = f"{view.parent.name}.{view.name}.domain."
    allowed = ALLOWED["domain"] | set(sys.stdlib_module_names)
    found = {}
    for path in view_domain_modules(view):
        package = ".".join(path.relative_to(root).parts[:-1])
        foreign = {
            name
            for name in imported_names(path.read_text(encoding="utf-8"), package)
            if name.split(".")[0] not in allowed and not f"{name}.".startswith(own)
        }
        if foreign:
            found[path.relative_to(root).as_posix()] = foreign
    return found


def view_packages() -> list[str]:
    return sorted(p.name for p in (SRC / "views").iterdir() if (p / "__init__.py").is_file())


def test_the_customers_view_is_found() -> None:
    assert "customers" in view_packages()


@pytest.mark.parametrize("view", view_packages())
def test_a_views_domain_is_pure_and_imports_no_other_view(view: str) -> None:
    """A view's domain may use the core domain and its own modules: its projection stays a
    pure function, and views meet only through the core's events."""
    assert view_domain_modules(SRC / "views" / view), f"src/views/{view} has no domain"
    assert view_domain_violations(SRC / "views" / view) == {}


def test_the_view_rule_sees_foreign_imports_in_a_module_and_in_a_package(tmp_path: Path) -> None:
    views = tmp_path / "views"
    (views / "till" / "domain").mkdir(parents=True)
    (views / "shop").mkdir()
    (views / "shop" / "domain.py").write_text(
        "from decimal import Decimal\n"
        "import msgspec\n"
        "from domain.events import OrderCreated\n"
        "from views.shop.domain import Decimal as D\n"
        "from psycopg import sql\n"
        "from views.till.domain import Till\n"
        "from . import store\n"
        "import adapters.memory\n"
    )
    (views / "till" / "domain" / "__init__.py").write_text("from .rules import rule\n")
    (views / "till" / "domain" / "rules.py").write_text(
        "from . import money\n"
        "from views.till.domain.money import cents\n"
        "from ..store import Store\n"
        "def later():\n"
        "    import litestar\n"
    )

    assert view_domain_violations(views / "shop") == {
        "views/shop/domain.py": {
            "psycopg.sql",
            "views.till.domain.Till",
            "views.shop.store",
            "adapters.memory",
        }
    }
    assert view_domain_violations(views / "till") == {
        "views/till/domain/rules.py": {"views.till.store.Store", "litestar"}
    }


def imported_modules(source: str) -> set[str]:
    """Dotted names of what a module imports (`from a.b import c` gives `a.b`)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def adapter_packages() -> list[str]:
    return sorted(p.name for p in (SRC / "adapters").iterdir() if (p / "__init__.py").is_file())


@pytest.mark.parametrize("adapter", adapter_packages())
def test_an_adapter_imports_no_other_adapter_and_no_entrypoint(adapter: str) -> None:
    """Adapters meet only in the composition root: one that needs another's work gets it
    through a port (or a plain callable) wired in entrypoints.wiring."""
    found = {}
    for path in sorted((SRC / "adapters" / adapter).rglob("*.py")):
        outward = {
            module
            for module in imported_modules(path.read_text(encoding="utf-8"))
            if module.split(".")[0] in {"entrypoints", "devtools"}
            or (module.startswith("adapters.") and module.split(".")[1] != adapter)
            or module == "adapters"
        }
        if outward:
            found[str(path.relative_to(SRC))] = outward
    assert found == {}


def test_the_service_imports_no_developer_tooling() -> None:
    """`entrypoints` (the service's ways in) runs without `devtools`; the CLI registers the
    developer commands by module name only."""
    found = {}
    for layer in ("domain", "application", "adapters", "entrypoints", "views"):
        for path in sorted((SRC / layer).rglob("*.py")):
            if "devtools" in imported_packages(path.read_text(encoding="utf-8")):
                found[str(path.relative_to(SRC))] = "devtools"
    assert found == {}


def test_the_outward_checks_see_a_neighbouring_adapter() -> None:
    source = "from adapters.kafka.records import to_raw_record\nimport entrypoints.bootstrap"
    assert imported_modules(source) == {"adapters.kafka.records", "entrypoints.bootstrap"}


def test_the_live_path_knows_the_rebuild_only_through_its_ports() -> None:
    """The consume loop, the projection, the reads and the worker (`application.ingestion`)
    import nothing of `application.rebuild`; the composition root hands them the rebuild's
    gate and watcher."""
    found = {}
    live_path = [
        *sorted((SRC / "application").glob("*.py")),
        *sorted((SRC / "application" / "ingestion").glob("*.py")),
    ]
    for path in live_path:
        rebuild = {
            module
            for module in imported_modules(path.read_text(encoding="utf-8"))
            if module.startswith("application.rebuild")
        }
        if rebuild:
            found[str(path.relative_to(SRC))] = rebuild
    assert found == {}


PORT_MODULES = {"ports/write.py", "ports/read.py", "ports/ops.py", "rebuild/ports.py"}


def protocols_outside_the_ports(application: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(application.rglob("*.py")):
        where = path.relative_to(application).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            bases = [ast.unparse(b) for b in getattr(node, "bases", [])]
            if isinstance(node, ast.ClassDef) and "Protocol" in bases and where not in PORT_MODULES:
                found.setdefault(where, []).append(node.name)
    return found


def test_every_port_of_the_application_is_declared_with_its_side() -> None:
    assert protocols_outside_the_ports(SRC / "application") == {}


def test_the_port_check_sees_a_protocol_declared_elsewhere(tmp_path: Path) -> None:
    (tmp_path / "ports").mkdir()
    (tmp_path / "ports" / "write.py").write_text("class Sink(Protocol): ...\n")
    (tmp_path / "queries.py").write_text("class Reader(Protocol): ...\nclass Query: ...\n")
    assert protocols_outside_the_ports(tmp_path) == {"queries.py": ["Reader"]}
