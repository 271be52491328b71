"""Finding a Java runtime that can run a Kafka 4 broker (Java 17 or newer)."""

from __future__ import annotations

import re
import shutil
import subprocess

from devtools.localstack.errors import StackError

MINIMUM_JAVA = 17
_INSTALL_HINT = "install one with: apt-get install openjdk-17-jre-headless"


def parse_java_major(version_output: str) -> int | None:
    """Major version from `java -version` output: '17.0.15' -> 17, '1.8.0_402' -> 8."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', version_output)
    if match is None:
        return None
    major = int(match.group(1))
    if major == 1 and match.group(2):  # Java 8 and older call themselves 1.x
        return int(match.group(2))
    return major


def find_java() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            f"Kafka needs Java {MINIMUM_JAVA}+ and no `java` is on PATH; {_INSTALL_HINT}"
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    major = parse_java_major(result.stderr + result.stdout)
    if major is not None and major < MINIMUM_JAVA:
        raise StackError(
            f"Kafka 4 needs Java {MINIMUM_JAVA}+, but {java} is Java {major}; {_INSTALL_HINT} "
            "(and select it with update-alternatives --config java)"
        )
    return java
