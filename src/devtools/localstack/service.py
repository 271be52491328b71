"""What every service of the stack reports about itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    address: str | None
    data_dir: Path
    log_file: Path

    def describe(self) -> str:
        if not self.running:
            return f"{self.name}: stopped (data {self.data_dir})"
        return f"{self.name}: running, pid {self.pid}, on {self.address} (log {self.log_file})"
