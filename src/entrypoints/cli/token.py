"""`streamview token`: an ops JWT for local use, signed with the configured secret."""

from __future__ import annotations

import time

import click


@click.command("token")
@click.option("--role", "roles", multiple=True, default=("ops",), show_default=True)
@click.option("--subject", default="local-operator", show_default=True)
@click.option("--ttl", default=3600, show_default=True, help="Seconds until the token expires.")
def command(roles: tuple[str, ...], subject: str, ttl: int) -> None:
    """Print a bearer token (HS256, STREAMVIEW_OPS_JWT_SECRET) for the ops endpoints.

    \b
    Example:
      curl -H "Authorization: Bearer $(streamview token --role ops)" localhost:8080/lags
    """
    import jwt

    from entrypoints.settings import Settings

    secret = Settings.from_env().ops_jwt_secret
    now = int(time.time())
    claims = {"sub": subject, "roles": list(roles), "iat": now, "exp": now + ttl}
    click.echo(jwt.encode(claims, secret, algorithm="HS256"))
