"""Every error becomes an RFC 9457 problem here, in one place; no stack trace leaves the process."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import ParameterKwarg
from litestar.types import ExceptionHandlersMap
from loguru import logger

from application.errors import ApplicationError, Conflict, InvalidParameter, NotFound, Unavailable

PROBLEM_JSON = "application/problem+json"
TYPE_INVALID_PARAMETERS = "urn:streamview:problem:invalid-parameters"
TYPE_NOT_FOUND = "urn:streamview:problem:not-found"
TYPE_CONFLICT = "urn:streamview:problem:conflict"
TYPE_UNAUTHORIZED = "urn:streamview:problem:unauthorized"
TYPE_FORBIDDEN = "urn:streamview:problem:forbidden"
TYPE_NOT_READY = "urn:streamview:problem:not-ready"
TYPE_UNAVAILABLE = "urn:streamview:problem:unavailable"
# What a client is told to wait before retrying a request the database could not serve.
RETRY_AFTER_SECONDS = 2


class InvalidParam(msgspec.Struct, frozen=True):
    name: str
    reason: str


class Problem(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str
    invalid_params: list[InvalidParam] | None = None


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = "about:blank",
    invalid_params: list[InvalidParam] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(type_, HTTPStatus(status).phrase, status, detail, invalid_params)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_spec(description: str, body: type[Problem] | None = None) -> ResponseSpec:
    """The OpenAPI description of a problem response."""
    return ResponseSpec(
        body or Problem,
        description=description,
        media_type=PROBLEM_JSON,
        generate_examples=False,
        examples=[Example(summary="an invalid parameter", value=_EXAMPLE)],
    )


def unavailable_spec() -> dict[int, ResponseSpec]:
    """The 503 of every route that reads the database (with a `Retry-After` header)."""
    return {503: problem_spec("The database did not answer in time; retry after `Retry-After` s")}


_EXAMPLE = {
    "type": TYPE_INVALID_PARAMETERS,
    "title": "Bad Request",
    "status": 400,
    "detail": "invalid parameter pageSize: must be between 1 and 500",
    "invalidParams": [{"name": "pageSize", "reason": "must be between 1 and 500"}],
}


def _application_error(request: Request[Any, Any, Any], exc: ApplicationError) -> Response[Any]:
    if isinstance(exc, InvalidParameter):
        return problem_response(
            400,
            f"invalid parameter {exc.name}: {exc.reason}",
            type_=TYPE_INVALID_PARAMETERS,
            invalid_params=[InvalidParam(exc.name, exc.reason)],
        )
    if isinstance(exc, NotFound):
        return problem_response(404, str(exc), type_=TYPE_NOT_FOUND)
    if isinstance(exc, Conflict):
        return problem_response(409, str(exc), type_=TYPE_CONFLICT)
    if isinstance(exc, Unavailable):
        logger.warning("{} {} answered 503: {}", request.method, request.url.path, exc)
        return problem_response(
            503,
            f"{exc}; retry later",
            type_=TYPE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return _unexpected(request, exc)


def _validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    wire = _wire_names(request)
    errors = exc.extra if isinstance(exc.extra, list) else []
    params = [
        InvalidParam(wire.get(str(e.get("key")), str(e.get("key"))), str(e.get("message")))
        for e in errors
        if isinstance(e, dict) and e.get("key")
    ]
    detail = "; ".join(f"{p.name}: {p.reason}" for p in params) or "the request is malformed"
    return problem_response(
        400, detail, type_=TYPE_INVALID_PARAMETERS, invalid_params=params or None
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if exc.status_code == 500:
        return _unexpected(request, exc)
    detail = exc.detail
    if isinstance(exc, NotFoundException) and detail == HTTPStatus.NOT_FOUND.phrase:
        detail = f"no endpoint at {request.url.path}"
    type_ = _HTTP_TYPES.get(exc.status_code, "about:blank")
    return problem_response(exc.status_code, detail, type_=type_, headers=exc.headers)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.opt(exception=exc).error("unhandled error on {} {}", request.method, request.url.path)
    return problem_response(500, "an unexpected error occurred; it has been logged")


def _wire_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Python parameter names -> the names the client used (`page_size` -> `pageSize`)."""
    try:
        parameters = request.route_handler.parsed_fn_signature.parameters
    except Exception:  # no route matched: nothing to translate
        return {}
    names = {}
    for name, field in parameters.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, ParameterKwarg):
            names[name] = kwarg.name or name
    return names


_HTTP_TYPES = {401: TYPE_UNAUTHORIZED, 403: TYPE_FORBIDDEN}

EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ApplicationError: _application_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _unexpected,
}
