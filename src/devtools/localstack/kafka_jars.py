"""Downloading the Kafka broker jars from Maven Central, once per version, into a cache dir.

deploy/kafka/pom.xml names the artifacts; Maven resolves and copies them (and their
dependencies) into <cache>/kafka-<version>/libs. A marker file is written only after a
complete copy, so an interrupted download is redone rather than half used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from devtools.localstack.config import StackConfig
from devtools.localstack.errors import StackError
from devtools.localstack.locks import file_lock

ENV_DEPLOY_DIR = "STREAMVIEW_KAFKA_DEPLOY_DIR"
COMPLETE_MARKER = ".download-complete"
# What Maven prints when it cannot reach a repository. With an empty ~/.m2 the first thing
# it fails to fetch is the dependency plugin itself, hence "no plugin found for prefix".
NETWORK_SYMPTOMS = (
    "could not transfer",
    "transfer failed",
    "failed to read artifact descriptor",
    "no plugin found for prefix",
    "unknown host",
    "unknownhostexception",
    "name or service not known",
    "temporary failure in name resolution",
    "connection refused",
    "connect timed out",
    "read timed out",
    "network is unreachable",
    "no route to host",
)


def find_kafka_deploy_dir() -> Path:
    """deploy/kafka of the checkout this package runs from (editable install), or the override."""
    if os.environ.get(ENV_DEPLOY_DIR):
        return Path(os.environ[ENV_DEPLOY_DIR])
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "deploy" / "kafka"
        if (candidate / "pom.xml").is_file():
            return candidate
    raise StackError(
        "cannot find deploy/kafka/pom.xml: run from a StreamView checkout (editable install) "
        f"or set {ENV_DEPLOY_DIR} to the folder holding it"
    )


def jars_are_complete(libs_dir: Path) -> bool:
    return (libs_dir.parent / COMPLETE_MARKER).is_file() and any(libs_dir.glob("kafka_2.13-*.jar"))


def ensure_kafka_jars(config: StackConfig, report: Callable[[str], None]) -> Path:
    """The libs dir with every jar of the broker, downloading it first if needed."""
    libs_dir = config.kafka_libs_dir
    if jars_are_complete(libs_dir):
        return libs_dir
    version_dir = libs_dir.parent
    with file_lock(version_dir.with_name(version_dir.name + ".lock")):
        if jars_are_complete(libs_dir):  # another process finished while we waited
            return libs_dir
        report(f"downloading Kafka {config.kafka_version} jars with Maven into {libs_dir} ...")
        partial_dir = version_dir / "libs.partial"
        shutil.rmtree(partial_dir, ignore_errors=True)
        shutil.rmtree(libs_dir, ignore_errors=True)
        partial_dir.mkdir(parents=True)
        _run_maven(config.kafka_version, partial_dir)
        partial_dir.rename(libs_dir)
        (version_dir / COMPLETE_MARKER).write_text(f"kafka_2.13 {config.kafka_version}\n")
    return libs_dir


def _run_maven(kafka_version: str, output_dir: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "the Kafka jars are fetched with Maven and no `mvn` is on PATH; "
            "install it with: apt-get install maven"
        )
    pom = find_kafka_deploy_dir() / "pom.xml"
    command = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",  # plain text in error messages
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        "-DincludeScope=runtime",
        f"-Dkafka.version={kafka_version}",
        f"-DoutputDirectory={output_dir}",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise StackError(
            "Maven did not finish downloading the Kafka jars within 15 minutes: "
            "is Maven Central reachable from here (network, proxy in ~/.m2/settings.xml)?"
        ) from None
    if result.returncode != 0:
        raise StackError(explain_maven_failure(kafka_version, result.stdout + result.stderr))


def explain_maven_failure(kafka_version: str, output: str) -> str:
    tail = "\n".join(output.strip().splitlines()[-15:])
    lowered = output.lower()
    if f"kafka_2.13:jar:{kafka_version}" in output and "could not find artifact" in lowered:
        return (
            f"Kafka {kafka_version} is not on Maven Central (org.apache.kafka:kafka_2.13)\n{tail}"
        )
    if any(symptom in lowered for symptom in NETWORK_SYMPTOMS):
        return (
            "Maven could not reach Maven Central to download the Kafka jars; check the network "
            f"or the proxy/mirror in ~/.m2/settings.xml. Maven said:\n{tail}"
        )
    return f"Maven failed to download the Kafka {kafka_version} jars:\n{tail}"
