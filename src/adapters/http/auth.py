"""OpsOnly: a bearer JWT, signature and `exp` checked, whose `roles` claim contains `ops`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.security.jwt import Token

REALM = "streamview-ops"
OPS_ROLE = "ops"


class OpsClaims(msgspec.Struct, frozen=True):
    """The claims the policy reads; others are allowed and ignored."""

    exp: int | float
    sub: str | None = None
    roles: list[str] | str = []

    @property
    def role_set(self) -> frozenset[str]:
        # A space-separated string is how some issuers put several roles in one claim.
        return frozenset(self.roles.split() if isinstance(self.roles, str) else self.roles)


class OpsPolicy:
    """Verifies ops tokens: HS256 with a shared secret, or RS256/ES256 with a PEM key or JWKS."""

    def __init__(self, keys: dict[str | None, tuple[Any, str]]) -> None:
        self._keys = keys  # kid (None: any) -> (verification key, its one algorithm)

    @classmethod
    def shared_secret(cls, secret: str) -> OpsPolicy:
        return cls({None: (secret, "HS256")})

    @classmethod
    def from_settings(cls, secret: str, public_key_file: str | None) -> OpsPolicy:
        if not public_key_file:
            return cls.shared_secret(secret)
        text = Path(public_key_file).read_text()
        if text.lstrip().startswith("{"):  # a JWKS document: one key per `kid`
            keys = jwt.PyJWKSet.from_json(text).keys
            return cls({k.key_id: (k.key, k.algorithm_name) for k in keys})
        return cls({None: (text, "RS256")})

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
                options={"require": ["exp"], "verify_exp": True},
            )
            return msgspec.convert(payload, OpsClaims)
        except (jwt.InvalidTokenError, KeyError, msgspec.ValidationError):
            raise _unauthorized("the token is malformed, forged or expired") from None


def _challenge(error: str | None) -> str:
    return f'Bearer realm="{REALM}"' + (f', error="{error}"' if error else "")


def _unauthorized(detail: str, error: str | None = "invalid_token") -> NotAuthorizedException:
    return NotAuthorizedException(detail, headers={"WWW-Authenticate": _challenge(error)})
