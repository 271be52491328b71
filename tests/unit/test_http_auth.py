"""OpsOnly on the ops endpoints: 401 for no or invalid tokens, 403 without the ops role."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from adapters.http import ops
from adapters.memory.topic import MemoryTopic
from application.ports import EndOffsets
from entrypoints.asgi import create_app_from_container
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.settings import Settings

pytestmark = pytest.mark.unit

SECRET = "test-ops-secret-long-enough-for-hs256"
HOUR = 3600


def claims(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {"sub": "alice", "roles": ["ops"], "exp": int(time.time()) + HOUR}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, object], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def ops_container(**settings: object) -> Container:
    container = build_container(
        Settings.from_env({}, dev_mode=True, backend="memory", ops_jwt_secret=SECRET, **settings)
    )
    container.infrastructure.end_offsets.override(MemoryTopic("orders.events", partitions=2))
    return container


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(create_app_from_container(ops_container())) as client:
        yield client


UNAUTHORIZED = {
    "no header": None,
    "another scheme": "Basic YWxpY2U6c2VjcmV0",
    "bearer without token": "Bearer ",
    "malformed token": "Bearer not.a.jwt",
    "not ascii": "Bearer ☃".encode(),
    "forged signature": "Bearer "
    + hs256(claims(), secret="someone-elses-secret-for-hs256-signing"),
    "expired": "Bearer " + hs256(claims(exp=int(time.time()) - 60)),
    "missing exp": "Bearer " + hs256(claims(exp=None)),
    "alg none": "Bearer " + jwt.encode(claims(), "", algorithm="none"),  # "": no key,
}


@pytest.mark.parametrize("path", ["/lags", "/ops/lags"])
@pytest.mark.parametrize("case", UNAUTHORIZED)
async def test_no_or_invalid_token_is_401_with_a_bearer_challenge(client, path, case):
    header = UNAUTHORIZED[case]
    response = await client.get(path, headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith('Bearer realm="streamview-ops"')
    assert response.json()["status"] == 401


@pytest.mark.parametrize(
    "roles", [["viewer"], [], "admin viewer", None, ["OPS"], ["operations"]], ids=repr
)
async def test_valid_token_without_the_ops_role_is_403(client, roles):
    response = await client.get("/lags", headers=bearer(hs256(claims(roles=roles))))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("roles", [["ops"], ["viewer", "ops"], "admin ops"], ids=repr)
async def test_ops_role_gets_the_lag_report(client, roles):
    response = await client.get("/ops/lags", headers=bearer(hs256(claims(roles=roles))))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "groupId": "streamview-orders",
        "topic": "orders.events",
        "state": "STARTING",
        "totalLag": 0,
        "partitions": [
            {"partition": 0, "committedOffset": 0, "endOffset": 0, "lag": 0},
            {"partition": 1, "committedOffset": 0, "endOffset": 0, "lag": 0},
        ],
        # Beyond the contract (added fields): the stream's views, each as far behind as it.
        "views": [{"view": "orders", "totalLag": 0}],
    }


async def test_token_without_subject_or_issued_at_is_accepted(client):
    token = hs256({"roles": ["ops"], "exp": int(time.time()) + HOUR})
    assert (await client.get("/lags", headers=bearer(token))).status_code == 200


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- asymmetric keys: a PEM public key or a JWKS file ---------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def jwks(key: rsa.RSAPrivateKey, kid: str) -> str:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [{**jwk, "kid": kid, "alg": "RS256", "use": "sig"}]})


@pytest.mark.parametrize("key_format", ["pem", "jwks"])
async def test_rs256_tokens_verify_against_the_configured_public_key(tmp_path, rsa_key, key_format):
    key_file = tmp_path / f"ops-key.{key_format}"
    key_file.write_text(pem(rsa_key) if key_format == "pem" else jwks(rsa_key, "k1"))
    container = ops_container(ops_jwt_public_key_file=str(key_file))
    good = jwt.encode(claims(), rsa_key, algorithm="RS256", headers={"kid": "k1"})
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), other_key, algorithm="RS256", headers={"kid": "k1"})
    async with AsyncTestClient(create_app_from_container(container)) as client:
        assert (await client.get("/lags", headers=bearer(good))).status_code == 200
        assert (await client.get("/lags", headers=bearer(forged))).status_code == 401
        # With a public key configured only RS256 is accepted: HS256 tokens are refused.
        assert (await client.get("/lags", headers=bearer(hs256(claims())))).status_code == 401


async def test_open_endpoints_need_no_token(client):
    for path in ("/orders", "/health/live", "/health/ready", "/metrics", "/schema/openapi.json"):
        assert (await client.get(path)).status_code == 200, path


class BrokerDown:
    def __init__(self, hang: bool = False) -> None:
        self._hang = hang

    async def end_offsets(self, topic: str) -> dict[int, int]:
        if self._hang:
            await asyncio.Event().wait()
        raise ConnectionError("broker 127.0.0.1:9092 unreachable")


@pytest.mark.parametrize("hang", [False, True], ids=["refused", "hanging"])
async def test_lag_during_a_broker_outage_is_a_503_problem(monkeypatch, hang):
    monkeypatch.setattr(ops, "LAG_TIMEOUT_SECONDS", 0.05)
    container = ops_container()
    container.infrastructure.end_offsets.override(providers.Object(BrokerDown(hang)))
    async with AsyncTestClient(create_app_from_container(container)) as client:
        response = await client.get("/lags", headers=bearer(hs256(claims())))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503


# --- issuer, audience, lifetime ----------------------------------------------------------------


async def status_with(token: str, **settings: object) -> int:
    async with AsyncTestClient(create_app_from_container(ops_container(**settings))) as client:
        return (await client.get("/lags", headers=bearer(token))).status_code


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"iss": "idp", "aud": "streamview"}, 200),
        ({"iss": "other", "aud": "streamview"}, 401),
        ({"iss": "idp", "aud": "another-service"}, 401),
        ({"aud": "streamview"}, 401),  # no issuer
        ({"iss": "idp"}, 401),  # no audience
    ],
    ids=repr,
)
async def test_issuer_and_audience_are_checked_when_configured(extra, expected):
    token = hs256(claims(**extra))
    assert await status_with(token, ops_jwt_issuer="idp", ops_jwt_audience="streamview") == expected


async def test_issuer_and_audience_are_not_required_when_not_configured():
    assert await status_with(hs256(claims(iss="anyone"))) == 200


@pytest.mark.parametrize(
    ("lifetime", "issued_ago", "expected"),
    [
        (3600, 0, 200),
        (24 * HOUR, 60, 200),  # exactly the maximum
        (24 * HOUR + 1, 60, 401),
        (10 * 365 * 24 * HOUR, 0, 401),  # a token for ten years
        (None, 0, 200),  # no iat: exp - now counts, one hour
    ],
    ids=repr,
)
async def test_tokens_living_longer_than_the_maximum_are_refused(lifetime, issued_ago, expected):
    now = int(time.time())
    if lifetime is None:
        token = hs256(claims(iat=None, exp=now + HOUR))
    else:
        iat = now - issued_ago
        token = hs256(claims(iat=iat, exp=iat + lifetime))
    assert await status_with(token) == expected


async def test_without_iat_a_far_expiry_is_refused_and_the_maximum_is_configurable():
    far = hs256(claims(exp=int(time.time()) + 48 * HOUR))
    assert await status_with(far) == 401
    assert await status_with(far, ops_jwt_max_lifetime_s=72 * HOUR) == 200
    assert await status_with(hs256(claims()), ops_jwt_max_lifetime_s=60) == 401


def _signed_raw(payload: str, secret: str = SECRET) -> str:
    """A correctly signed token with a payload no JSON encoder writes (NaN, 1e999)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b'{"alg": "HS256", "typ": "JWT"}'
    signing_input = f"{b64(header)}.{b64(payload.encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.mark.parametrize(
    "payload",
    [
        '{"roles": ["ops"], "exp": NaN}',
        '{"roles": ["ops"], "exp": 1e999}',
        '{"roles": ["ops"], "exp": 4102444800, "iat": -1e999}',
        '{"roles": ["ops"], "exp": 99999999999999999999999999999}',
    ],
)
async def test_signed_tokens_with_absurd_numbers_are_401_not_500(client, payload):
    response = await client.get("/lags", headers=bearer(_signed_raw(payload)))
    assert response.status_code == 401


def _stand_in_for_the_ports() -> None:
    """Never called: mypy (make lint) checks these fakes against the Protocols they stand in
    for, so that a port that changes breaks its fake too."""
    offsets: EndOffsets = BrokerDown()
    del offsets
