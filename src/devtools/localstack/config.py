"""Settings of the local stack: defaults, environment variables, and where state and jars live."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from devtools.localstack.errors import StackError

DEFAULT_KAFKA_VERSION = "4.4.0"
EVENTS_TOPIC = "orders.events"
DEAD_LETTER_SUFFIX = ".dlq"

# Environment variables read by StackConfig.from_env (flags of `streamview stack` override them).
ENV_KAFKA_PORT = "STREAMVIEW_STACK_KAFKA_PORT"
ENV_KAFKA_CONTROLLER_PORT = "STREAMVIEW_STACK_KAFKA_CONTROLLER_PORT"
ENV_KAFKA_SASL_PORT = "STREAMVIEW_STACK_KAFKA_SASL_PORT"
ENV_POSTGRES_PORT = "STREAMVIEW_STACK_POSTGRES_PORT"
ENV_STATE_DIR = "STREAMVIEW_STATE_DIR"
ENV_CACHE_DIR = "STREAMVIEW_CACHE_DIR"
ENV_KAFKA_VERSION = "STREAMVIEW_KAFKA_VERSION"
ENV_TOPIC_PARTITIONS = "STREAMVIEW_TOPIC_PARTITIONS"
ENV_REGISTRY_PORT = "STREAMVIEW_STACK_REGISTRY_PORT"
ENV_REGISTRY = "STREAMVIEW_STACK_REGISTRY"  # "0"/"false"/"no": no schema registry


def parse_switch(name: str, raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise StackError(f"{name}={raw!r} is not one of 1, 0, true, false, yes, no, on, off")


def _is_root() -> bool:
    return os.geteuid() == 0


def default_state_dir(env: Mapping[str, str], *, as_root: bool) -> Path:
    """Where data, logs and pid files live.

    As root the server runs as an unprivileged user, which must reach its data dir without
    root's home (mode 0700) being opened to everyone: hence /var/tmp rather than ~/.local/state.
    """
    if env.get(ENV_STATE_DIR):
        return Path(env[ENV_STATE_DIR]).expanduser()
    if as_root:
        return Path("/var/tmp/streamview")
    xdg_state = env.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(xdg_state) / "streamview"


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """Where downloaded Kafka jars are kept: outside the repo, shared by every state dir."""
    if env.get(ENV_CACHE_DIR):
        return Path(env[ENV_CACHE_DIR]).expanduser()
    xdg_cache = env.get("XDG_CACHE_HOME") or str(Path("~/.cache").expanduser())
    return Path(xdg_cache) / "streamview"


def parse_port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"{name}={raw!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise StackError(f"{name}={port} is outside 1..65535")
    return port


def parse_positive_int(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise StackError(f"{name}={raw!r} is not a whole number") from None
    if value < 1:
        raise StackError(f"{name}={value} must be at least 1")
    return value


@dataclass(frozen=True)
class StackConfig:
    """Everything `stack up` needs to know; immutable so one instance describes one stack."""

    state_dir: Path
    cache_dir: Path
    host: str = "127.0.0.1"
    kafka_port: int = 9092
    kafka_controller_port: int = 9093
    postgres_port: int = 5432
    # A Confluent-compatible schema registry (devtools.localstack.registry).
    registry: bool = True
    registry_port: int = 8081
    kafka_version: str = DEFAULT_KAFKA_VERSION
    topic_partitions: int = 6
    topics: tuple[str, ...] = field(default=(EVENTS_TOPIC,))
    database: str = "streamview"
    database_user: str = "streamview"
    # OS user that runs PostgreSQL when we are root (postgres refuses to run as root).
    os_user: str = "streamview"
    run_as_root: bool = field(default_factory=_is_root)
    # The secured variant (`stack up --secure`): mTLS on kafka_port, SASL_SSL/SCRAM on
    # kafka_sasl_port, ACLs, PostgreSQL with TLS only. Its data lives apart from the plain one.
    secure: bool = False
    kafka_sasl_port: int = 9094
    consumer_group: str = "streamview-orders"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> StackConfig:
        """Defaults, then environment variables, then explicit overrides (None = not given).

        The controller port follows the broker port (+1) unless given, so moving Kafka to
        another port takes one setting.
        """
        env = os.environ if env is None else env
        given = {key: value for key, value in overrides.items() if value is not None}

        def pick(key: str, env_name: str, parse: Callable[[str, str], Any]) -> None:
            if key not in given and env.get(env_name):
                given[key] = parse(env_name, env[env_name].strip())

        pick("kafka_port", ENV_KAFKA_PORT, parse_port)
        pick("kafka_controller_port", ENV_KAFKA_CONTROLLER_PORT, parse_port)
        pick("kafka_sasl_port", ENV_KAFKA_SASL_PORT, parse_port)
        pick("postgres_port", ENV_POSTGRES_PORT, parse_port)
        pick("kafka_version", ENV_KAFKA_VERSION, lambda _name, raw: raw)
        pick("topic_partitions", ENV_TOPIC_PARTITIONS, parse_positive_int)
        pick("registry_port", ENV_REGISTRY_PORT, parse_port)
        pick("registry", ENV_REGISTRY, parse_switch)
        if "kafka_port" in given and "kafka_controller_port" not in given:
            given["kafka_controller_port"] = given["kafka_port"] + 1
        if "kafka_port" in given and "kafka_sasl_port" not in given:
            given["kafka_sasl_port"] = given["kafka_port"] + 2
        given.setdefault("run_as_root", _is_root())
        given.setdefault("state_dir", default_state_dir(env, as_root=given["run_as_root"]))
        given.setdefault("cache_dir", default_cache_dir(env))
        config = cls(**given)
        config.validate()
        return config

    def validate(self) -> None:
        ports = {
            "Kafka": self.kafka_port,
            "Kafka controller": self.kafka_controller_port,
            "PostgreSQL": self.postgres_port,
        }
        if self.secure:
            ports["Kafka SASL_SSL"] = self.kafka_sasl_port
        if self.registry:
            ports["schema registry"] = self.registry_port
        if len(set(ports.values())) != len(ports):
            listed = ", ".join(f"{name} {port}" for name, port in ports.items())
            raise StackError(f"the stack needs {len(ports)} different ports, got {listed}")
        if not self.kafka_version or "/" in self.kafka_version:
            raise StackError(f"bad Kafka version {self.kafka_version!r}")

    # Paths derived from the state and cache dirs, in one place so nothing else builds them.
    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / ("kafka-secure" if self.secure else "kafka")

    @property
    def postgres_dir(self) -> Path:
        return self.state_dir / ("postgres-secure" if self.secure else "postgres")

    @property
    def pki_dir(self) -> Path:
        """Certificates and the SCRAM password of the secured stack, made at its start."""
        return self.state_dir / "pki"

    @property
    def scram_password_file(self) -> Path:
        return self.pki_dir / "scram-password"

    @property
    def kafka_sasl_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_sasl_port}"

    @property
    def kafka_libs_dir(self) -> Path:
        return self.cache_dir / f"kafka-{self.kafka_version}" / "libs"

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def database_url(self) -> str:
        return self.database_url_for(self.database)

    def database_url_for(self, database: str) -> str:
        url = f"postgresql://{self.database_user}@{self.host}:{self.postgres_port}/{database}"
        if not self.secure:
            return url
        pki = self.pki_dir
        tls = {
            "sslmode": "verify-full",
            "sslrootcert": pki / "ca.pem",
            "sslcert": pki / "client.pem",
            "sslkey": pki / "client-key.pem",
        }
        return f"{url}?{urlencode(tls, safe='/')}"

    def all_topics(self) -> tuple[str, ...]:
        """The configured topics and, for each, its dead-letter topic."""
        return tuple(name for topic in self.topics for name in (topic, topic + DEAD_LETTER_SUFFIX))
