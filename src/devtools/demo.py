"""`make demo`: the real thing on this machine — Kafka, Postgres, worker + API, demo traffic."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

from adapters.kafka.security import kafka_security
from devtools.generator import GeneratorOptions, OutgoingRecord, generate
from devtools.producing import publish
from entrypoints.api_secrets import with_dev_secrets
from entrypoints.settings import Settings

console = Console(stderr=True)


@dataclass(frozen=True)
class DemoOptions:
    orders: int = 20_000
    rate: float = 20.0
    port: int = 8080
    duration: float | None = None  # seconds of live trickle; None = until Ctrl-C
    use_existing: bool = False  # Kafka/Postgres from STREAMVIEW_* instead of `stack up`
    secure: bool = False  # `stack up --secure`: mTLS, ACLs, PostgreSQL over TLS
    log_dir: Path = Path("/tmp")


# Both views StreamView ships; STREAMVIEW_VIEWS set in the environment wins.
DEMO_VIEWS = "orders,customers"


def run_demo(options: DemoOptions) -> int:
    with _stack(options) as (env, producer_env):
        _cli(env, "migrate")
        with _service(env, options) as base_url:
            settings = Settings.from_env(env)
            producer = Settings.from_env(env | producer_env)
            token = _token(settings)
            try:
                asyncio.run(_traffic(settings, producer, options, base_url, token))
            except KeyboardInterrupt:
                console.print("\nstopping…")
    console.print("[green]demo stopped; nothing left running that the demo started[/]")
    return 0


@contextlib.contextmanager
def _stack(options: DemoOptions) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The service's environment, and what the demo's producer sets differently (on the
    secured stack the service's principal may not write to the topic: the admin produces)."""
    # A demo is development: the built-in secrets stand in for those not set.
    env = dict(os.environ, STREAMVIEW_HTTP_PORT=str(options.port), STREAMVIEW_DEV_MODE="true")
    env.setdefault("STREAMVIEW_VIEWS", DEMO_VIEWS)
    if options.use_existing:
        yield env, {}
        return
    from devtools.localstack import LocalStack, StackConfig
    from devtools.localstack.certificates import StackCertificates

    config = StackConfig.from_env(secure=options.secure or None)
    stack = LocalStack(config, report=lambda m: console.print(f"[dim]{m}[/]"))
    console.print(
        "starting Kafka, PostgreSQL and the schema registry (the first run downloads their jars)…"
    )
    endpoints = stack.up()
    env |= endpoints.environment()
    producer_env = {}
    if config.secure:
        pki = StackCertificates(config.pki_dir)
        producer_env = {
            "STREAMVIEW_KAFKA_SSL_CERT_FILE": str(pki.admin_cert),
            "STREAMVIEW_KAFKA_SSL_KEY_FILE": str(pki.admin_key),
        }
        console.print(
            "secured stack: StreamView runs as principal 'streamview' over mTLS, with only "
            "its ACLs; to run it yourself against this stack:\n" + endpoints.shell_exports(),
            soft_wrap=True,
        )
    try:
        yield env, producer_env
    finally:
        stopped = stack.down(only=stack.started)
        if stopped:
            console.print(f"stopped {', '.join(stopped)}")


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "entrypoints", *args], env=env, check=True)


@contextlib.contextmanager
def _service(env: dict[str, str], options: DemoOptions) -> Iterator[str]:
    log_path = options.log_dir / f"streamview-demo-{options.port}.log"
    base_url = f"http://127.0.0.1:{options.port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrypoints", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches it through us, once, in order
        )
    try:
        _wait_ready(base_url, process, log_path)
        console.print(f"[green]streamview run is ready[/] (pid {process.pid}, log {log_path})")
        yield base_url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SystemExit(f"streamview run exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise SystemExit(f"streamview run did not become ready in 90 s; see {log_path}")


def _token(settings: Settings) -> str:
    now = int(time.time())
    claims = {"sub": "demo", "roles": ["ops"], "iat": now, "exp": now + 12 * 3600}
    secret = with_dev_secrets(settings).ops_jwt_secret
    assert secret is not None  # development mode fills it in
    return jwt.encode(claims, secret, algorithm="HS256")


async def _traffic(
    settings: Settings, producer: Settings, options: DemoOptions, base_url: str, token: str
) -> None:
    backlog = GeneratorOptions(
        orders=options.orders,
        duplicate_fraction=0.02,
        reorder_fraction=0.02,
        poison_fraction=0.001,
    )
    expected = int(options.orders * backlog.events_per_order * 1.021)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task("publishing the demo backlog", total=expected)
        records, formats = await _backlog_formats(settings, generate(backlog))
        sent = await publish(
            settings.kafka_bootstrap,
            settings.topic,
            records,
            progress=lambda n: bar.update(task, completed=n),
            security=kafka_security(producer.as_dict()),
        )
        bar.update(task, completed=sent, total=sent)
        applied = bar.add_task("projecting (lag → 0)", total=sent)
        await _wait_for_lag_zero(
            base_url, token, lambda lag: bar.update(applied, completed=sent - lag)
        )
    _print_tour(base_url, token, formats)
    live = GeneratorOptions(
        orders=10**9, seed=int(time.time()), order_prefix=f"live{int(time.time())}"
    )
    console.print(f"live trickle: {options.rate:g} events/s — Ctrl-C to stop")
    stop = asyncio.Event()
    if options.duration is not None:
        asyncio.get_running_loop().call_later(options.duration, stop.set)
    await publish(
        settings.kafka_bootstrap,
        settings.topic,
        generate(live),
        options.rate,
        stop=stop,
        security=kafka_security(producer.as_dict()),
    )


async def _wait_for_lag_zero(base_url: str, token: str, show: object) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=5) as client:
        for _ in range(1200):
            lag = (await client.get("/lags")).json().get("totalLag", 0)
            show(lag)  # type: ignore[operator]
            if lag == 0:
                return
            await asyncio.sleep(0.5)


async def _backlog_formats(
    settings: Settings, records: Iterator[OutgoingRecord]
) -> tuple[Iterator[OutgoingRecord], str]:
    """With a registry, two thirds of the backlog's orders go registry-framed (Avro and JSON
    Schema, a third each) beside bare JSON ones."""
    if not settings.schema_registry_url:
        return records, "bare JSON only (no STREAMVIEW_SCHEMA_REGISTRY_URL)"
    from devtools.registry_framing import catalog_for, committed_schemas_dir, reframing

    catalog = catalog_for(
        settings.schema_registry_url,
        settings.schema_registry_user,
        settings.schema_registry_password,
    )
    mixed = await reframing(catalog, committed_schemas_dir(), settings.topic, "mixed")
    return map(mixed, records), (
        "a third of the orders each as bare JSON, registry-framed Avro and JSON Schema "
        f"(registry {settings.schema_registry_url})"
    )


def _print_tour(base_url: str, token: str, formats: str = "") -> None:
    u = base_url.replace("127.0.0.1", "localhost")
    tour = f"""
[bold green]StreamView is ready.[/] Where to look:
  API            {u}/orders  {u}/customers
  Swagger UI     {u}/schema/swagger
  Metrics        {u}/metrics
  Health         {u}/health/ready

Try:
  curl -s '{u}/orders?pageSize=3'
  curl -s '{u}/orders?status=PAID&sort=-totalGross&pageSize=3'
  curl -s '{u}/orders/ord-0000042'
  curl -si '{u}/orders?pageSize=2' | grep -i '^link'
  curl -s '{u}/customers?sort=-orderCount&pageSize=3'              # the customers view
  curl -s '{u}/customers?currency=EUR&sort=-totalGross&pageSize=3'
  curl -s '{u}/customers/cust-00042'
  curl -s '{u}/customers/cust-00042/orders?pageSize=3'
  curl -s -H 'Authorization: Bearer {token}' {u}/lags
  curl -s {u}/metrics | grep ^streamview_
(the token above comes from `streamview token --role ops`)

Backlog formats: {formats}
  curl -s {u}/metrics | grep '^streamview_records_decoded_total'   # by wire format
  streamview schemas list                                # the registry's subjects and ids
"""
    console.print(tour, soft_wrap=True)  # unwrapped: the commands stay copy-pasteable
