"""The token endpoint's request side and the JSON error shape, shared by the simulator and relay.

Both serve `POST /oauth2/token` with the client-credentials grant in the three styles
the client supports (JSON body as the seed sends it, form body and HTTP Basic as RFC
6749 wants). Nothing here logs or echoes a credential.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from aiohttp import web

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_HTTP_ERRORS = {
    400: "invalid_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "request_too_large",
}
BASIC_CHALLENGE = {"WWW-Authenticate": 'Basic realm="cxone"'}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(
    status: int,
    error: str,
    description: str,
    headers: Mapping[str, str] | None = None,
    *,
    description_key: str = "error_description",
) -> web.Response:
    """The one shape of every error: `error` plus a sentence under `description_key`."""
    return web.json_response(
        {"error": error, description_key: description},
        status=status,
        headers={**NO_STORE, **(headers or {})},
    )


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn aiohttp's plain-text errors (404, 405, 413 …) into the JSON error shape."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return error_response(
            exc.status, _HTTP_ERRORS.get(exc.status, "http_error"), exc.reason, headers
        )


@dataclass(frozen=True)
class ClientCredentials:
    """A well-formed client-credentials request; `secret` never shows in a repr."""

    client_id: str
    secret: str = field(repr=False)
    requested_scopes: tuple[str, ...]
    via_basic: bool


async def read_client_credentials(request: web.Request) -> ClientCredentials | web.Response:
    """The token request's credentials, or the RFC 6749 error response to send instead."""
    fields = await _token_fields(request)
    if isinstance(fields, web.Response):
        return fields
    try:
        basic = _basic_credentials(request)
    except ValueError:
        return error_response(
            401,
            "invalid_client",
            "The Authorization header is not valid HTTP Basic credentials.",
            BASIC_CHALLENGE,
        )
    grant_type = fields.get("grant_type")
    if not grant_type:
        return error_response(400, "invalid_request", "grant_type is missing.")
    if grant_type != "client_credentials":
        return error_response(
            400, "unsupported_grant_type", "Only the client_credentials grant is supported."
        )
    client_id, secret = basic if basic else (fields.get("client_id"), fields.get("client_secret"))
    if not client_id or not secret:
        return error_response(
            401,
            "invalid_client",
            "Client authentication is missing: send client_id and client_secret "
            "in the body, or HTTP Basic credentials.",
            BASIC_CHALLENGE,
        )
    scopes = tuple(dict.fromkeys(fields.get("scope", "").split()))
    return ClientCredentials(client_id, secret, scopes, via_basic=basic is not None)


def bearer_token(request: web.Request) -> str | None:
    """The `Authorization: Bearer` value, None when absent."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def invalid_token(status: int = 401, *, description_key: str = "error_description") -> web.Response:
    return error_response(
        status,
        "invalid_token",
        "The access token is missing, unknown, revoked or expired; request a new one.",
        {"WWW-Authenticate": 'Bearer error="invalid_token"'},
        description_key=description_key,
    )


def insufficient_scope(scope: str, *, description_key: str = "error_description") -> web.Response:
    return error_response(
        403,
        "insufficient_scope",
        f"The access token lacks the '{scope}' scope.",
        {"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        description_key=description_key,
    )


async def _token_fields(request: web.Request) -> dict[str, str] | web.Response:
    """The token request's parameters from a JSON body (the seed) or a form body (RFC 6749)."""
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text() or "{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error_response(400, "invalid_request", "The JSON body could not be parsed.")
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            return error_response(
                400, "invalid_request", "The JSON body must be an object of string fields."
            )
        return {str(k): v for k, v in body.items()}
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
        try:
            form = await request.post()
        except ValueError:  # e.g. multipart without a boundary
            return error_response(400, "invalid_request", "The form body could not be parsed.")
        return {k: v for k, v in form.items() if isinstance(v, str)}
    return error_response(
        400,
        "invalid_request",
        "Send the token request as application/x-www-form-urlencoded or application/json.",
    )


def _basic_credentials(request: web.Request) -> tuple[str, str] | None:
    """(id, secret) from HTTP Basic, None when absent; ValueError when malformed."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("malformed Basic credentials") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise ValueError("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)
