"""The local registry's pieces that need no JVM: waiting for the child's exec, settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools.localstack import LocalStack, StackConfig
from devtools.localstack.processes import process_cmdline
from devtools.localstack.registry import _wait_for_exec

pytestmark = pytest.mark.unit


def test_the_pid_file_waits_until_the_child_runs_its_program() -> None:
    # The child keeps python's command line for a while, then becomes `sleep 30`.
    late_exec = "import os, time; time.sleep(0.3); os.execv('/bin/sleep', ['sleep', '30'])"
    process = subprocess.Popen([sys.executable, "-c", late_exec])
    try:
        _wait_for_exec(process, "sleep 30")

        assert process_cmdline(process.pid) == "sleep 30"
    finally:
        process.kill()
        process.wait()


def test_the_stack_exports_the_registry_url_unless_turned_off(tmp_path: Path) -> None:
    config = StackConfig.from_env(env={}, state_dir=tmp_path, cache_dir=tmp_path)
    without = StackConfig.from_env(
        env={"STREAMVIEW_STACK_REGISTRY": "0"}, state_dir=tmp_path, cache_dir=tmp_path
    )

    exports = LocalStack(config).endpoints.shell_exports()

    assert (
        "export STREAMVIEW_SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7\n" in exports
    )
    assert "SCHEMA_REGISTRY" not in LocalStack(without).endpoints.shell_exports()


def test_a_bad_registry_switch_is_named(tmp_path: Path) -> None:
    from devtools.localstack import StackError

    with pytest.raises(StackError, match="STREAMVIEW_STACK_REGISTRY='maybe'"):
        StackConfig.from_env(env={"STREAMVIEW_STACK_REGISTRY": "maybe"}, state_dir=tmp_path)
