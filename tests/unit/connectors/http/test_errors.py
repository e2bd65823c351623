"""The one status -> error mapping the safe client and every connector use."""

from __future__ import annotations

import json

import pytest

from connectors.errors import (
    AuthError,
    ConflictError,
    HTTPStatusError,
    NotFound,
    RateLimited,
    TransientHTTPError,
)
from connectors.http.client import SafeResponse
from connectors.http.errors import error_body, error_class, error_for_status, response_error
from connectors.http.redact import Redactor


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, HTTPStatusError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFound),
        (409, ConflictError),
        (412, ConflictError),
        (422, HTTPStatusError),
        (429, RateLimited),
        (408, TransientHTTPError),
        (500, TransientHTTPError),
        (503, TransientHTTPError),
        (501, HTTPStatusError),  # the server cannot do it: retrying will not help
    ],
)
def test_status_classes(status, cls):
    assert error_class(status) is cls
    error = error_for_status(status, "m", hint="h", body_excerpt="b", retry_after=3.0)
    assert type(error) is cls and error.message == "m" and error.hint == "h"
    if error.retryable:
        assert error.retry_after == 3.0 and error.status == status
    else:
        assert error.retry_after is None and error.body_excerpt == "b"


def test_refused_and_kind_overrides():
    class AcmeError(HTTPStatusError):
        pass

    assert type(error_for_status(400, "m", refused=AcmeError)) is AcmeError
    assert type(error_for_status(404, "m", refused=AcmeError)) is NotFound
    assert type(error_for_status(403, "m", kind=RateLimited, retry_after=60)) is RateLimited


def _response(status: int, body: object, **headers: str) -> SafeResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return SafeResponse(status=status, headers=headers, body=raw, url="https://acme.example/x")


def test_response_error_formats_redacts_and_keeps_the_code():
    redactor = Redactor()
    redactor.add_secret("tok-SECRET")
    response = _response(400, {"message": "bad tok-SECRET " + "x" * 600})
    message = "bad tok-SECRET " + "x" * 600
    error = response_error("Acme", "POST", response, redactor=redactor, message=message, code="E1", hint="h")
    assert type(error) is HTTPStatusError and error.error_code == "E1" and error.hint == "h"
    assert error.message.startswith("Acme POST failed (HTTP 400, E1): bad [REDACTED] xxx")
    assert len(error.message) < 460 and "tok-SECRET" not in error.body_excerpt
    plain = response_error("Acme", "GET", _response(404, b""), redactor=redactor)
    assert type(plain) is NotFound and plain.message == "Acme GET failed (HTTP 404)."


def test_response_error_waits_for_retry_after_or_the_default():
    redactor = Redactor()
    limited = _response(403, {}, **{"Retry-After": "12"})
    assert response_error("Acme", "GET", limited, redactor=redactor, kind=RateLimited).retry_after == 12.0
    silent = _response(403, {})
    error = response_error(
        "Acme", "GET", silent, redactor=redactor, kind=RateLimited, default_retry_after=300
    )
    assert error.retryable and error.retry_after == 300


def test_error_body_tolerates_empty_and_non_json():
    assert error_body(_response(400, b"")) is None
    assert error_body(_response(400, b"<html>oops</html>")) is None
    assert error_body(_response(400, {"a": 1})) == {"a": 1}
