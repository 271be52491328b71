"""What every service of the stack reports about itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devtools.localstack.processes import ProcessRecord


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    address: str | None
    data_dir: Path
    log_file: Path

    @classmethod
    def of(
        cls, name: str, process: ProcessRecord | None, data_dir: Path, log_file: Path
    ) -> ServiceStatus:
        """The status of a service whose pid file names `process` (None: not running)."""
        return cls(
            name=name,
            running=process is not None,
            pid=process.pid if process else None,
            address=process.address if process else None,
            data_dir=data_dir,
            log_file=log_file,
        )

    def describe(self) -> str:
        if not self.running:
            return f"{self.name}: stopped (data {self.data_dir})"
        return f"{self.name}: running, pid {self.pid}, on {self.address} (log {self.log_file})"
