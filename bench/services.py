"""StreamView processes started the way an operator starts them, watched from outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil


def streamview_command(*args: str) -> list[str]:
    """`streamview ARGS` of the interpreter running the benchmark (the project's venv)."""
    script = Path(sys.executable).with_name("streamview")
    if script.is_file():
        return [str(script), *args]
    return [sys.executable, "-c", "from entrypoints.cli import main; main()", *args]


def run_streamview(env: dict[str, str], *args: str, timeout: float = 120) -> None:
    """A one-shot command (e.g. `migrate`); raises with its output when it fails."""
    done = subprocess.run(
        streamview_command(*args),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"streamview {' '.join(args)} failed:\n{done.stderr[-3000:]}")


class Service:
    """A long-running `streamview` command whose peak memory is sampled while it runs."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            streamview_command(*args),
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, never by name
        )
        self.started_at = time.perf_counter()
        self.peak_rss = 0
        self._sampling = True
        self._sampler = threading.Thread(target=self._sample_rss, daemon=True)
        self._sampler.start()

    def _sample_rss(self) -> None:
        try:
            root = psutil.Process(self.process.pid)
            while self._sampling and self.process.poll() is None:
                tree = [root, *root.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in tree if p.is_running())
                self.peak_rss = max(self.peak_rss, rss)
                time.sleep(0.05)
        except psutil.Error:  # the process ended between two samples
            return

    def pids(self) -> set[int]:
        """The process and its children (uvicorn workers, if any)."""
        try:
            root = psutil.Process(self.process.pid)
            return {root.pid, *(child.pid for child in root.children(recursive=True))}
        except psutil.Error:
            return set()

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            lines = self.log_path.read_text(errors="replace").strip().splitlines() or ["no output"]
            tail = "\n".join(lines[-30:])
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}: {lines[-1]}\n{tail}"
            )

    def wait_http(self, url: str, timeout: float = 60) -> None:
        """Until `url` answers 200 (the API is up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: {url} did not answer 200 within {timeout:.0f} s")

    def stop(self, timeout: float = 20) -> int | None:
        """SIGTERM (graceful), then SIGKILL of its process group if it lingers."""
        self._sampling = False
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        self._log.close()
        return self.process.returncode
