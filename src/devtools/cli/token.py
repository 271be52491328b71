"""`streamview token`: an ops JWT for local use, signed with the configured secret."""

from __future__ import annotations

import time

import click


@click.command("token")
@click.option("--role", "roles", multiple=True, default=("ops",), show_default=True)
@click.option("--subject", default="local-operator", show_default=True)
@click.option("--ttl", default=3600, show_default=True, help="Seconds until the token expires.")
@click.option(
    "--dev", is_flag=True, help="Sign with the development secret (= STREAMVIEW_DEV_MODE=true)."
)
def command(roles: tuple[str, ...], subject: str, ttl: int, dev: bool) -> None:
    """Print a bearer token (HS256, STREAMVIEW_OPS_JWT_SECRET) for the ops endpoints.

    It carries STREAMVIEW_OPS_JWT_ISSUER / _AUDIENCE when they are set, and its lifetime
    must not exceed STREAMVIEW_OPS_JWT_MAX_LIFETIME_S (the API refuses longer-lived tokens).

    \b
    Example:
      curl -H "Authorization: Bearer $(streamview token --role ops)" localhost:8080/lags
    """
    import jwt

    from entrypoints.api_secrets import missing_message, variable, with_dev_secrets
    from entrypoints.settings import Settings

    try:
        settings = with_dev_secrets(Settings.from_env(dev_mode=dev or None))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if settings.ops_jwt_secret is None:
        raise click.ClickException(missing_message([variable("ops_jwt_secret")]))
    if not 0 < ttl <= settings.ops_jwt_max_lifetime_s:
        raise click.ClickException(
            f"--ttl must be between 1 and STREAMVIEW_OPS_JWT_MAX_LIFETIME_S "
            f"({settings.ops_jwt_max_lifetime_s})"
        )
    now = int(time.time())
    claims: dict[str, object] = {"sub": subject, "roles": list(roles), "iat": now}
    claims["exp"] = now + ttl
    if settings.ops_jwt_issuer:
        claims["iss"] = settings.ops_jwt_issuer
    if settings.ops_jwt_audience:
        claims["aud"] = settings.ops_jwt_audience
    click.echo(jwt.encode(claims, settings.ops_jwt_secret, algorithm="HS256"))
