"""StreamView against the secured local stack: mTLS and SASL_SSL/SCRAM with only the ACLs of
adapters.kafka.acls, PostgreSQL with sslmode=verify-full; bad credentials named at start; a
missing ACL named and waited for."""

from __future__ import annotations

import asyncio
import datetime
import random
from pathlib import Path
from typing import Any

import psycopg
import pytest
from loguru import logger

from adapters.kafka.acls import Operation, Resource
from adapters.kafka.offsets import KafkaEndOffsets
from application.ingestion.worker import EXIT_FAILED
from application.ports import ConsumerState
from devtools.generator import GeneratorOptions, OutgoingRecord, generate, poison
from devtools.localstack import kafka_admin
from devtools.localstack.certificates import generate as generate_pki
from devtools.localstack.certificates import issue, make_ca
from entrypoints.bootstrap import build_container
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring.lifetimes import holding
from tests.integration.rebuild_support import FINAL, OPS_SECRET, Service, streamview_run
from tests.integration.secure_support import SecureStack
from tests.integration.worker_support import (
    caught_up,
    eventually,
    migrated,
    produce,
    read_log,
    running_worker,
    stored_views,
    worker_settings,
)
from tests.support.processes import free_port


def _records(orders: int, prefix: str) -> list[OutgoingRecord]:
    good = list(generate(GeneratorOptions(orders=orders, seed=3, order_prefix=prefix)))
    return [*good[:20], poison(random.Random(3), "invalid_json"), *good[20:]]


def _settings(
    kafka: dict[str, Any], database_url: str, topic: str, group: str, **more: Any
) -> Settings:
    kafka = dict(kafka)
    return worker_settings(
        kafka.pop("kafka_bootstrap"), database_url, topic, group, **kafka, **more
    )


async def _ends(stack: SecureStack, topic: str) -> dict[int, int]:
    offsets = KafkaEndOffsets(stack.kafka_bootstrap, security=stack.admin())
    try:
        return await offsets.end_offsets(topic)
    finally:
        await offsets.close()


@pytest.mark.parametrize("via", ["mtls", "sasl", "oauth"])
async def test_streamview_runs_with_only_the_documented_acls(
    secure_stack: SecureStack, secure_topic, secure_database_url, tmp_path: Path, via: str
) -> None:
    topic, group = secure_topic()
    admin = secure_stack.admin()
    await migrated(secure_database_url)
    await produce(secure_stack.kafka_bootstrap, topic, _records(30, via), security=admin)
    ends = await _ends(secure_stack, topic)
    settings = _settings(
        secure_stack.client_settings(via),
        secure_database_url,
        topic,
        group,
        http_host="127.0.0.1",
        http_port=free_port(),
        ops_jwt_secret=OPS_SECRET,
    )

    async with streamview_run(settings, tmp_path / "run.log") as service:
        await caught_up(secure_database_url, group, topic, ends, seconds=120)
        order = await service.http.get(f"/orders/{via}-0000001")
        lags = await _lags(service)
        views_before = await stored_views(secure_database_url)
        location = await service.start_rebuild("blue-green")
        rebuilt = await service.rebuild_until(location, lambda s: s["state"] in FINAL)

    assert order.status_code == 200, order.text
    assert order.json()["orderId"] == f"{via}-0000001"
    assert (lags["state"], lags["totalLag"], lags.get("problems", [])) == ("RUNNING", 0, [])
    assert rebuilt["state"] == "SUCCEEDED", rebuilt
    assert await stored_views(secure_database_url) == views_before
    letters = await read_log(secure_stack.kafka_bootstrap, f"{topic}.dlq", security=admin)
    assert [letter.header("x-dlq-reason") for letter in letters] == [b"invalid_json"]


async def _lags(service: Service) -> dict[str, Any]:
    response = await service.http.get("/lags", headers=service.ops)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ((Resource.GROUP, Operation.READ), "READ on consumer group"),
        ((Resource.TOPIC, Operation.WRITE), "WRITE on the dead-letter topic"),
        ((Resource.TOPIC, Operation.READ), "READ (or DESCRIBE_CONFIGS) on topic"),
    ],
    ids=["group READ", "DLQ WRITE", "topic READ"],
)
async def test_a_missing_acl_is_named_and_waited_for(
    secure_stack: SecureStack,
    secure_topic,
    secure_database_url,
    missing: tuple[Resource, Operation],
    named: str,
) -> None:
    topic, group = secure_topic(grant=lambda acl: (acl.resource, acl.operation) != missing)
    admin = secure_stack.admin()
    await migrated(secure_database_url)
    await produce(secure_stack.kafka_bootstrap, topic, _records(5, "acl"), security=admin)
    ends = await _ends(secure_stack, topic)
    settings = _settings(secure_stack.client_settings("mtls"), secure_database_url, topic, group)
    logged = _capture_errors()
    try:
        async with running_worker(settings) as worker:
            container = worker.container

            async def failed_naming_the_acl() -> bool:
                problems = container.write_side.topic_problems().current()
                return container.write_side.consumer_status().state == ConsumerState.FAILED and any(
                    named in p.message for p in problems
                )

            await eventually(failed_naming_the_acl, f"FAILED naming {named}", seconds=60)
            assert not worker.task.done()  # waiting for the ACL, not exited
            acl = next(a for a in _all_acls(topic, group) if (a.resource, a.operation) == missing)
            assert not kafka_admin.create_acls(secure_stack.kafka_bootstrap, [acl], admin)
            await caught_up(secure_database_url, group, topic, ends, seconds=90)
            await eventually(
                lambda: _is_running(container), "RUNNING once the ACL is granted", seconds=60
            )
            report = await container.ops.report_lag()()
        kafka_admin.delete_acls(secure_stack.kafka_bootstrap, [acl], admin)
    finally:
        logger.remove(logged.sink_id)
    assert any(named in line for line in logged.lines)
    assert report.total_lag == 0


async def _is_running(container: Any) -> bool:
    return bool(container.write_side.consumer_status().state == ConsumerState.RUNNING)


def _all_acls(topic: str, group: str) -> list[Any]:
    from adapters.kafka.acls import needed_acls

    return needed_acls("streamview", topic, f"{topic}.dlq", group)


class _Captured:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sink_id = logger.add(lambda m: self.lines.append(str(m)), level="ERROR")


def _capture_errors() -> _Captured:
    return _Captured()


def _wrong_ca(stack: SecureStack, tmp: Path) -> dict[str, Any]:
    other = generate_pki(tmp / "other")
    return {**stack.client_settings("mtls"), "kafka_ssl_ca_file": str(other.ca)}


def _foreign_client_cert(stack: SecureStack, tmp: Path) -> dict[str, Any]:
    other = generate_pki(tmp / "other")
    return {
        **stack.client_settings("mtls"),
        "kafka_ssl_cert_file": str(other.client_cert),
        "kafka_ssl_key_file": str(other.client_key),
    }


def _wrong_password(stack: SecureStack, tmp: Path) -> dict[str, Any]:
    values = stack.client_settings("sasl")
    del values["kafka_sasl_password_file"]
    return {**values, "kafka_sasl_password": "not-the-password"}


@pytest.mark.parametrize(
    ("make_settings", "message"),
    [
        (
            _wrong_ca,
            "is not trusted: certificate signature failure; set STREAMVIEW_KAFKA_SSL_CA_FILE",
        ),
        (_foreign_client_cert, "refused the client certificate (STREAMVIEW_KAFKA_SSL_CERT_FILE"),
        (
            _wrong_password,
            "check STREAMVIEW_KAFKA_SASL_USERNAME and STREAMVIEW_KAFKA_SASL_PASSWORD",
        ),
    ],
    ids=["wrong CA", "client certificate of another CA", "wrong password"],
)
async def test_bad_credentials_stop_the_worker_at_start_with_a_clear_message(
    secure_stack: SecureStack, secure_database_url, tmp_path: Path, make_settings, message: str
) -> None:
    await migrated(secure_database_url)
    settings = _settings(
        make_settings(secure_stack, tmp_path), secure_database_url, "orders.x", "streamview-x"
    )
    container = build_container(settings)
    logged = _capture_errors()
    try:
        async with holding(container), asyncio.timeout(60):  # both, as `streamview run`
            code = await container.ingestion.worker().run(asyncio.Event())
            readiness = await container.ops.kafka_probe().problem()  # what /health/ready says
    finally:
        logger.remove(logged.sink_id)

    assert code == EXIT_FAILED
    assert container.write_side.consumer_status().state == ConsumerState.FAILED
    assert any(message in line for line in logged.lines), logged.lines
    assert readiness is not None and message in readiness
    assert "not-the-password" not in readiness + "".join(logged.lines)


def test_an_expired_client_certificate_is_refused_with_the_settings(
    secure_stack: SecureStack, tmp_path: Path
) -> None:
    ca = make_ca()
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=10)
    issue(ca, "streamview", valid_from=past, days=1).write(
        tmp_path / "expired.pem", tmp_path / "expired-key.pem"
    )
    values = {
        **secure_stack.client_settings("mtls"),
        "kafka_ssl_cert_file": str(tmp_path / "expired.pem"),
        "kafka_ssl_key_file": str(tmp_path / "expired-key.pem"),
    }

    with pytest.raises(SettingsError, match=r"STREAMVIEW_KAFKA_SSL_CERT_FILE: .* expired on"):
        Settings.from_env({f"STREAMVIEW_{k.upper()}": v for k, v in values.items()})


async def test_postgres_takes_verified_tls_connections_only(
    secure_stack: SecureStack, secure_database_url: str, tmp_path: Path
) -> None:
    other = generate_pki(tmp_path / "other")
    base = secure_database_url.split("?")[0]

    async with await psycopg.AsyncConnection.connect(secure_database_url) as conn:
        row = await (
            await conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        ).fetchone()
    assert row == (True,)
    assert "sslmode=verify-full" in secure_database_url

    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        await psycopg.AsyncConnection.connect(f"{base}?sslmode=disable")
    wrong_ca = secure_database_url.replace(str(secure_stack.pki.ca), str(other.ca))
    with pytest.raises(psycopg.OperationalError, match="SSL error"):
        await psycopg.AsyncConnection.connect(wrong_ca)
