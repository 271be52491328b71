"""The API's secrets: its own outside development mode, the built-in ones only inside it.

`STREAMVIEW_OPS_JWT_SECRET` (or `STREAMVIEW_OPS_JWT_PUBLIC_KEY_FILE`) verifies ops tokens and
`STREAMVIEW_CURSOR_SECRET` signs list cursors. Anyone can read the built-in ones in the source,
so they stand in only when development mode is asked for (`STREAMVIEW_DEV_MODE=true`, `--dev`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from entrypoints.settings import Settings

MIN_SECRET_BYTES = 32
DEV_SECRETS = {
    "ops_jwt_secret": "streamview-dev-ops-jwt-secret-never-use-in-production",
    "cursor_secret": "streamview-dev-cursor-secret-never-use-in-production",
}
_HOW = f"a random value of at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)"
_DEV = "or STREAMVIEW_DEV_MODE=true (`--dev`) for local development only"


def variable(field: str) -> str:
    return f"STREAMVIEW_{field.upper()}"


def check_secrets(settings: Settings) -> None:
    """Empty secrets are refused in every mode, short ones outside development mode."""
    for field in DEV_SECRETS:
        value: str | None = getattr(settings, field)
        if value is None:
            continue
        if not value.strip():
            raise ValueError(f"{variable(field)} is empty; set it to {_HOW}")
        size = len(value.encode())
        if size < MIN_SECRET_BYTES and not settings.dev_mode:
            raise ValueError(f"{variable(field)} is {size} bytes; set it to {_HOW}")


def missing_message(variables: list[str]) -> str:
    return f"{' and '.join(variables)} not set: set each to {_HOW}, {_DEV}"


def with_dev_secrets(settings: Settings) -> Settings:
    """In development mode the built-in secrets stand in for those not set; else unchanged."""
    if not settings.dev_mode:
        return settings
    unset = {f: v for f, v in DEV_SECRETS.items() if getattr(settings, f) is None}
    return msgspec.structs.replace(settings, **unset) if unset else settings
