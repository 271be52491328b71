"""The pure parts of the local stack: settings, server.properties, ports, pid files."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from devtools.cli.stack import command as stack_command
from devtools.localstack import Endpoints, StackConfig, StackError, shared_stack
from devtools.localstack.config import default_cache_dir, default_state_dir
from devtools.localstack.java import parse_java_major
from devtools.localstack.kafka import new_cluster_id, render_server_properties
from devtools.localstack.kafka_jars import explain_maven_failure
from devtools.localstack.pg_binaries import debian_bin_dir
from devtools.localstack.ports import find_listener, listening_inodes, port_is_free
from devtools.localstack.postgres import server_options
from devtools.localstack.processes import PidFile, ProcessRecord

pytestmark = pytest.mark.unit


def config_from(env: dict[str, str], **overrides: object) -> StackConfig:
    return StackConfig.from_env(env, run_as_root=False, **overrides)


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line and line[0] != "#")
    return dict(pairs)


# -- settings -------------------------------------------------------------------------------


def test_defaults_without_environment() -> None:
    config = config_from({"HOME": "/home/dev"})
    assert (config.kafka_port, config.kafka_controller_port, config.postgres_port) == (
        9092,
        9093,
        5432,
    )
    assert config.topic_partitions == 6
    assert config.kafka_bootstrap == "127.0.0.1:9092"
    assert config.database_url == "postgresql://streamview@127.0.0.1:5432/streamview"
    assert config.all_topics() == ("orders.events", "orders.events.dlq")


def test_environment_sets_ports_version_partitions_and_dirs(tmp_path: Path) -> None:
    config = config_from(
        {
            "STREAMVIEW_STACK_KAFKA_PORT": "29092",
            "STREAMVIEW_STACK_POSTGRES_PORT": "25432",
            "STREAMVIEW_KAFKA_VERSION": "4.1.0",
            "STREAMVIEW_TOPIC_PARTITIONS": "3",
            "STREAMVIEW_STATE_DIR": str(tmp_path / "state"),
            "STREAMVIEW_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    assert config.kafka_port == 29092
    assert config.kafka_controller_port == 29093  # follows the broker port
    assert config.postgres_port == 25432
    assert config.kafka_version == "4.1.0"
    assert config.topic_partitions == 3
    assert config.state_dir == tmp_path / "state"
    assert config.kafka_libs_dir == tmp_path / "cache" / "kafka-4.1.0" / "libs"


def test_explicit_settings_beat_the_environment() -> None:
    config = config_from(
        {"STREAMVIEW_STACK_KAFKA_PORT": "29092", "STREAMVIEW_STACK_KAFKA_CONTROLLER_PORT": "7000"},
        kafka_port=19092,
        postgres_port=None,  # None means "not given": the default stays
    )
    assert config.kafka_port == 19092
    assert config.kafka_controller_port == 7000
    assert config.postgres_port == 5432


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("STREAMVIEW_STACK_KAFKA_PORT", "kafka", "not a port number"),
        ("STREAMVIEW_STACK_POSTGRES_PORT", "70000", "outside 1..65535"),
        ("STREAMVIEW_TOPIC_PARTITIONS", "0", "at least 1"),
    ],
)
def test_bad_environment_values_are_named(name: str, value: str, complaint: str) -> None:
    with pytest.raises(StackError, match=f"{name}.*{complaint}"):
        config_from({name: value})


def test_the_three_ports_must_differ() -> None:
    with pytest.raises(StackError, match=r"\d different ports"):
        config_from({}, kafka_port=5431)  # controller would take 5432, PostgreSQL's port


def test_state_dir_as_root_avoids_roots_home() -> None:
    assert default_state_dir({}, as_root=True) == Path("/var/tmp/streamview")
    assert default_state_dir({"XDG_STATE_HOME": "/x/state"}, as_root=False) == Path(
        "/x/state/streamview"
    )
    assert default_state_dir({"STREAMVIEW_STATE_DIR": "/srv/sv"}, as_root=True) == Path("/srv/sv")
    assert default_cache_dir({"XDG_CACHE_HOME": "/x/cache"}) == Path("/x/cache/streamview")


# -- Kafka and PostgreSQL settings ------------------------------------------------------------


def test_server_properties_describe_a_one_node_kraft_cluster(tmp_path: Path) -> None:
    config = config_from({}, kafka_port=19092, state_dir=tmp_path)
    rendered = properties(render_server_properties(config, tmp_path / "data"))

    assert rendered["process.roles"] == "broker,controller"
    assert rendered["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert rendered["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert rendered["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert rendered["log.dirs"] == str(tmp_path / "data")
    assert rendered["group.initial.rebalance.delay.ms"] == "0"
    assert rendered["offsets.topic.num.partitions"] == "1"
    replication = {key: value for key, value in rendered.items() if "replication.factor" in key}
    assert replication and set(replication.values()) == {"1"}
    # Kafka refuses a dedupe buffer of 1 MiB or less per cleaner thread.
    assert int(rendered["log.cleaner.dedupe.buffer.size"]) > 1024 * 1024


def test_cluster_ids_look_like_kafkas() -> None:
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22}", i) and not i.startswith("-") for i in ids)


def test_postgres_listens_on_tcp_only() -> None:
    options = server_options(config_from({}, postgres_port=15432))
    assert "-c port=15432" in options
    assert "-c listen_addresses=127.0.0.1" in options
    assert "unix_socket_directories=''" in options


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_402"', 8),
        ("no version here", None),
    ],
)
def test_java_major_version(output: str, major: int | None) -> None:
    assert parse_java_major(output) == major


@pytest.mark.parametrize(
    ("maven_output", "explanation"),
    [
        (
            "[ERROR] Could not find artifact org.apache.kafka:kafka_2.13:jar:9.9.9 in central",
            "Kafka 9.9.9 is not on Maven Central",
        ),
        (
            "[ERROR] No plugin found for prefix 'dependency' in the current project",
            "could not reach Maven Central",
        ),
        (
            "[ERROR] Could not transfer artifact x:y:pom:1 from/to central: Connection refused",
            "could not reach Maven Central",
        ),
        ("[ERROR] something else entirely", "Maven failed to download"),
    ],
)
def test_maven_failures_are_explained(maven_output: str, explanation: str) -> None:
    message = explain_maven_failure("9.9.9", maven_output)
    assert explanation in message
    assert maven_output in message  # Maven's own words are kept


def test_debian_postgres_newest_major_wins(tmp_path: Path) -> None:
    for major in ("9.6", "15", "13"):
        bin_dir = tmp_path / major / "bin"
        bin_dir.mkdir(parents=True)
        (bin_dir / "postgres").touch()
    assert debian_bin_dir(tmp_path) == tmp_path / "15" / "bin"
    assert debian_bin_dir(tmp_path / "missing") is None


def test_endpoints_print_as_shell_exports() -> None:
    exports = Endpoints("127.0.0.1:9092", "postgresql://streamview@127.0.0.1:5432/streamview")
    assert exports.shell_exports().splitlines() == [
        "export STREAMVIEW_KAFKA_BOOTSTRAP=127.0.0.1:9092",
        "export STREAMVIEW_DATABASE_URL=postgresql://streamview@127.0.0.1:5432/streamview",
    ]


# -- ports and processes ----------------------------------------------------------------------


def test_a_listening_port_is_detected_with_its_process() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        listener = find_listener(port)
        assert listener is not None and listener.pid == os.getpid()
    assert port_is_free("127.0.0.1", port)


def test_listening_sockets_are_read_from_proc_net_tcp() -> None:
    lines = [
        # 127.0.0.1:9092 listening (state 0A), inode 111
        "0: 0100007F:2384 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 111 1",
        # 127.0.0.1:9092 connected (state 01): a client, not a listener
        "1: 0100007F:2384 0100007F:C350 01 00000000:00000000 00:00000000 00000000 0 0 222 1",
        # 127.0.0.1:5432 listening
        "2: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 333 1",
    ]
    assert listening_inodes(lines, 9092) == {"111"}
    assert listening_inodes(lines, 5432) == {"333"}
    assert listening_inodes(lines, 1234) == set()


def test_pid_file_recognises_only_the_same_process(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "x.pid")
    assert pid_file.read() is None
    record = pid_file.write(os.getpid(), "python", "127.0.0.1:1")
    assert pid_file.read() == record
    assert pid_file.running_process() == record
    # Same pid, another start time: the number was reused by some other process.
    assert not ProcessRecord(record.pid, record.start_ticks + 1, "python").is_running()
    # Same pid and start, but not the command we started.
    assert not ProcessRecord(record.pid, record.start_ticks, "kafka.Kafka /nowhere").is_running()
    pid_file.remove()
    assert pid_file.running_process() is None


def test_cli_offers_up_down_and_status() -> None:
    result = CliRunner().invoke(stack_command, ["--help"])
    assert result.exit_code == 0
    assert {"up", "down", "status"} <= set(re.findall(r"^\s+(\w+)\s", result.output, re.M))


# -- sharing one stack between processes ------------------------------------------------------


class FakeStack:
    """Stands in for LocalStack: records what shared_stack asks of it."""

    def __init__(self, state_dir: Path, starts: tuple[str, ...]) -> None:
        self.config = StackConfig.from_env({}, run_as_root=False, state_dir=state_dir)
        self.started: tuple[str, ...] = ()
        self._starts = starts
        self.stopped: list[set[str]] = []

    def up(self) -> Endpoints:
        self.started = self._starts
        return Endpoints("k:1", "postgresql://p")

    def down(self, only: set[str]) -> list[str]:
        self.stopped.append(set(only))
        return sorted(only)


def lease_of(pid: int) -> str:
    return f"{pid}-{Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[19]}"


def test_the_last_sharer_stops_what_sharers_started(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path, starts=("kafka", "postgres"))
    (tmp_path / "leases").mkdir()
    (tmp_path / "leases" / "999999999-1").touch()  # a crashed sharer: its lease is void
    with shared_stack(stack) as endpoints:  # type: ignore[arg-type]
        assert endpoints.kafka_bootstrap == "k:1"
    assert stack.stopped == [{"kafka", "postgres"}]
    assert list((tmp_path / "leases").iterdir()) == []


def test_a_sharer_leaves_the_stack_to_the_others_still_using_it(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path, starts=("kafka",))
    (tmp_path / "leases").mkdir()
    (tmp_path / "leases" / lease_of(os.getppid())).touch()  # a live process: another sharer
    with shared_stack(stack):  # type: ignore[arg-type]
        pass
    assert stack.stopped == []
    # ...and whoever leaves last later stops what this one started.
    assert (tmp_path / "started-by-sharers.json").read_text() == '["kafka"]'


def test_services_running_before_any_sharer_are_never_stopped(tmp_path: Path) -> None:
    stack = FakeStack(tmp_path, starts=())  # everything was already up: reused
    with shared_stack(stack):  # type: ignore[arg-type]
        pass
    assert stack.stopped == [set()]


def test_the_secured_stack_needs_a_fourth_port_for_sasl() -> None:
    with pytest.raises(StackError, match="different ports"):
        config_from({}, secure=True, kafka_port=19092, kafka_sasl_port=19093)


def test_the_secured_stack_keeps_its_data_apart_and_asks_postgres_for_verified_tls() -> None:
    config = config_from({}, secure=True, kafka_port=29092)
    plain = config_from({}, kafka_port=29092)

    assert config.kafka_sasl_port == 29094
    assert (config.kafka_dir, config.postgres_dir) != (plain.kafka_dir, plain.postgres_dir)
    assert "sslmode=verify-full" in config.database_url
    assert f"sslrootcert={config.pki_dir}/ca.pem" in config.database_url
    assert "sslmode" not in plain.database_url


def test_the_secured_broker_requires_client_certificates_and_authorizes_every_request(
    tmp_path: Path,
) -> None:
    from devtools.localstack.certificates import StackCertificates

    config = config_from({}, secure=True, kafka_port=29092, state_dir=tmp_path)
    rendered = properties(
        render_server_properties(config, tmp_path / "data", StackCertificates(config.pki_dir))
    )

    assert rendered["listeners"] == (
        "SSL://127.0.0.1:29092,SASL_SSL://127.0.0.1:29094,CONTROLLER://127.0.0.1:29093"
    )
    assert rendered["listener.security.protocol.map"] == "CONTROLLER:SSL,SSL:SSL,SASL_SSL:SASL_SSL"
    assert rendered["ssl.client.auth"] == "required"
    assert rendered["listener.name.sasl_ssl.ssl.client.auth"] == "none"
    assert rendered["sasl.enabled.mechanisms"] == "SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER"
    assert rendered["authorizer.class.name"].endswith("StandardAuthorizer")
    assert rendered["allow.everyone.if.no.acl.found"] == "false"
    assert rendered["super.users"] == "User:streamview-broker;User:streamview-admin"
    assert rendered["ssl.truststore.location"] == str(config.pki_dir / "ca.pem")


def test_the_secured_postgres_takes_tls_only(tmp_path: Path) -> None:
    config = config_from({}, secure=True, state_dir=tmp_path)

    options = server_options(config)

    assert "-c ssl=on" in options
    assert f"-c hba_file={config.postgres_dir}/tls/pg_hba.conf" in options
    assert "ssl" not in server_options(config_from({}, state_dir=tmp_path))


def test_the_secured_stack_prints_how_to_use_it_over_mtls_and_sasl(tmp_path: Path) -> None:
    from devtools.localstack.manager import secure_endpoints

    config = config_from({}, secure=True, state_dir=tmp_path)

    exports = secure_endpoints(config).shell_exports()

    assert "export STREAMVIEW_KAFKA_SECURITY_PROTOCOL=SSL\n" in exports
    assert f"export STREAMVIEW_KAFKA_SSL_CERT_FILE={tmp_path}/pki/client.pem\n" in exports
    assert "sslmode=verify-full" in exports
    assert "#   export STREAMVIEW_KAFKA_SECURITY_PROTOCOL=SASL_SSL\n" in exports
    assert (
        f"#   export STREAMVIEW_KAFKA_SASL_PASSWORD_FILE={tmp_path}/pki/scram-password" in exports
    )
