"""OpsOnly: a bearer JWT, signature and `exp` checked, whose `roles` claim contains `ops`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import Token

REALM = "streamview-ops"
OPS_ROLE = "ops"
DEFAULT_MAX_LIFETIME_SECONDS = 86_400
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}


# Besides the library's: a signed `exp` or `iat` of NaN or 1e999 (JSON allows neither, Python's
# decoder reads both) may fail in int() or in arithmetic.
_REFUSED = (jwt.InvalidTokenError, KeyError, msgspec.ValidationError, ArithmeticError, ValueError)


class KeyFileError(ValueError):
    """The public key file cannot be read, or holds no usable PEM key or JWKS."""


@dataclass(frozen=True)
class TokenRules:
    """What a token must also satisfy besides its signature: `iss`, `aud` when configured, and
    a lifetime (`exp` - `iat`, or `exp` - now without `iat`) of at most `max_lifetime_s`."""

    issuer: str | None = None
    audience: str | None = None
    max_lifetime_s: int = DEFAULT_MAX_LIFETIME_SECONDS


class OpsClaims(msgspec.Struct, frozen=True):
    """The claims the policy reads; others are allowed and ignored."""

    exp: int | float
    iat: int | float | None = None
    sub: str | None = None
    roles: list[str] | str = []

    @property
    def role_set(self) -> frozenset[str]:
        # A space-separated string is how some issuers put several roles in one claim.
        return frozenset(self.roles.split() if isinstance(self.roles, str) else self.roles)


class OpsPolicy:
    """Verifies ops tokens: HS256 with a shared secret, or RS256/ES256 with a PEM key or JWKS."""

    def __init__(
        self, keys: dict[str | None, tuple[Any, str]], rules: TokenRules | None = None
    ) -> None:
        self._keys = keys  # kid (None: any) -> (verification key, its one algorithm)
        self._rules = rules or TokenRules()

    @classmethod
    def shared_secret(cls, secret: str, rules: TokenRules | None = None) -> OpsPolicy:
        return cls({None: (secret, "HS256")}, rules)

    @classmethod
    def from_settings(
        cls, secret: str | None, public_key_file: str | None, rules: TokenRules | None = None
    ) -> OpsPolicy:
        """The key file (PEM public key or JWKS) when given, else the shared secret. The file
        is read and parsed here, at start: a bad one is a KeyFileError, not a failing request."""
        if public_key_file:
            return cls(_public_keys(public_key_file), rules)
        if not secret:
            raise ValueError("an ops JWT secret or public key file is required")
        return cls.shared_secret(secret, rules)

    def authorize(self, authorization: str | None) -> OpsClaims:
        """The token's claims, or NotAuthorized (401) / PermissionDenied (403)."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized("a bearer token with the ops role is required", error=None)
        claims = self._verified(token.strip())
        if OPS_ROLE not in claims.role_set:
            raise PermissionDeniedException(
                f"the token's roles do not include {OPS_ROLE!r}",
                headers={"WWW-Authenticate": _challenge("insufficient_scope")},
            )
        return claims

    def guard(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        connection.scope["auth"] = self.authorize(connection.headers.get("authorization"))

    def _verified(self, token: str) -> OpsClaims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key, algorithm = self._keys.get(kid) or self._keys[None]
            payload = Token.decode_payload(
                token,
                secret=key,
                algorithms=[algorithm],
                issuer=self._rules.issuer,
                audience=self._rules.audience,
                options={"require": ["exp"], "verify_exp": True},
            )
            claims = msgspec.convert(payload, OpsClaims)
        except _REFUSED:
            raise _unauthorized("the token is malformed, forged or expired") from None
        lifetime = claims.exp - (time.time() if claims.iat is None else claims.iat)
        if not lifetime <= self._rules.max_lifetime_s:
            raise _unauthorized(
                f"the token's lifetime exceeds {self._rules.max_lifetime_s} s; ask for a "
                "shorter-lived one"
            )
        return claims


def _public_keys(path: str) -> dict[str | None, tuple[Any, str]]:
    try:
        text = Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(f"cannot read {path}: {error.__class__.__name__}") from None
    if text.lstrip().startswith("{"):  # a JWKS document: one key per `kid`
        try:
            keys = jwt.PyJWKSet.from_json(text).keys
        except (jwt.PyJWKSetError, jwt.PyJWKError, ValueError) as error:
            raise KeyFileError(f"{path} is not a usable JWKS: {error}") from None
        return {k.key_id: (k.key, k.algorithm_name) for k in keys}
    try:
        key = load_pem_public_key(text.encode())
    except (ValueError, TypeError):
        raise KeyFileError(f"{path} holds no PEM public key (nor a JWKS)") from None
    return {None: (key, _algorithm_of(key, path))}


def _algorithm_of(key: object, path: str) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name in _EC_ALGORITHMS:
        return _EC_ALGORITHMS[key.curve.name]
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "EdDSA"
    raise KeyFileError(f"{path}: unsupported key type {type(key).__name__}")


def _challenge(error: str | None) -> str:
    return f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")


def _unauthorized(detail: str, error: str | None = "invalid_token") -> NotAuthorizedException:
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": _challenge(error)})
