"""OAuth 1.0a request signing (RFC 5849), as NetSuite token-based authentication (TBA) uses it.

Every request carries ``Authorization: OAuth realm="<account>", oauth_consumer_key, oauth_token,
oauth_signature_method="HMAC-SHA256", oauth_timestamp, oauth_nonce, oauth_version="1.0",
oauth_signature``; the signature covers the method, the URL with its query and, for form-encoded bodies
only, the body's parameters (a JSON body is not part of the signature base string). The base string and
the HMAC are oauthlib's (a maintained implementation of RFC 5849); this module feeds it the request
exactly as the safe client sends it, after the URL and body are final.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER, Client

from .auth import Auth

FORM = "application/x-www-form-urlencoded"
METHODS = {"HMAC-SHA256": SIGNATURE_HMAC_SHA256, "HMAC-SHA1": SIGNATURE_HMAC_SHA1}


class OAuth1Auth(Auth):
    """Signs each request with the consumer key/secret and the access token id/secret."""

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        token: str,
        token_secret: str,
        *,
        realm: str | None = None,
        signature_method: str = "HMAC-SHA256",
        nonce: Callable[[], str] | None = None,  # tests pin these; oauthlib makes fresh ones otherwise
        timestamp: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        if signature_method not in METHODS:
            raise ValueError(f"signature_method must be one of {sorted(METHODS)}")
        self.consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self.token = token
        self._token_secret = token_secret
        self.realm = realm
        self.signature_method = signature_method
        self._nonce = nonce
        self._timestamp = timestamp

    def secrets(self) -> Iterable[str]:
        return [v for v in (self._consumer_secret, self._token_secret) if v]

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | str | None
    ) -> dict[str, str]:
        client = Client(
            self.consumer_key,
            client_secret=self._consumer_secret,
            resource_owner_key=self.token,
            resource_owner_secret=self._token_secret,
            signature_method=METHODS[self.signature_method],
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
            realm=self.realm,
            nonce=self._nonce() if self._nonce else None,
            timestamp=self._timestamp() if self._timestamp else None,
        )
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        signed_body: Any = None
        if body and content_type.split(";")[0].strip().lower() == FORM:
            signed_body = body.decode() if isinstance(body, bytes) else body
        _, signed, _ = client.sign(
            url,
            http_method=method.upper(),
            body=signed_body,
            headers={"Content-Type": FORM} if signed_body else {},
        )
        return {"Authorization": signed["Authorization"]}
