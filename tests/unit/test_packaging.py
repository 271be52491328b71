"""The wheel carries the service and its developer tooling, `streamview bench` included."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PIP_WHEEL = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("streamview-*.whl")
    return built


def test_the_wheel_ships_the_benchmarks_without_a_checkouts_results(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "entrypoints/cli/__init__.py",
        "devtools/cli/bench.py",
        "bench/runner.py",
        "bench/scenarios/ingest.py",
        "bench/connect/pom.xml",
        "adapters/postgres/migrations/0001_views.sql",
        "views/customers/domain.py",
    } <= names
    assert not [name for name in names if name.startswith("bench/results/")]


def test_the_installed_bench_runs_outside_a_checkout(wheel: Path, tmp_path: Path) -> None:
    installed = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(installed)
    # The installed copy first, and nothing of this checkout on the path.
    keep = f"[p for p in sys.path if p not in {[str(ROOT), str(ROOT / 'src'), '']!r}]"
    probe = (
        "import sys\n"
        f"sys.path = [{str(installed)!r}] + {keep}\n"
        "import bench.runner, devtools.cli.bench\n"
        "print(bench.runner.__file__)\n"
        "print(bench.runner.IN_CHECKOUT, bench.runner.RESULTS_DIR)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    module, where = done.stdout.splitlines()
    assert module == str(installed / "bench" / "runner.py")
    assert where == "False bench-results"
