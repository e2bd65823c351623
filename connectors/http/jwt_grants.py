"""OAuth 2.0 grants that prove the client with a JWT signed by its private key (PyJWT + cryptography).

* :class:`OAuth2JWTBearer` (RFC 7523 2.1), Salesforce's JWT bearer flow: the JWT *is* the grant
  (``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=...``), signed RS256 with the
  connected app's certificate key; claims ``iss`` (consumer key), ``sub`` (user name), ``aud`` (the
  login host), ``exp`` (at most 3 minutes ahead). No client secret, no refresh token: a new JWT each
  time the access token is refused.
* :class:`OAuth2ClientAssertion` (RFC 7523 2.2), NetSuite's client credentials (M2M) flow: a client
  credentials grant where ``client_assertion`` replaces the secret. NetSuite documents the header
  ``typ=JWT``, ``alg`` one of PS256/384/512 or ES256/384/512, ``kid`` = the certificate id of the
  mapping, and the claims ``iss`` (client id), ``scope``, ``aud`` (the token endpoint), ``iat``, ``exp``
  (less than an hour after ``iat``).

Keys are PEM text from the vault; a key that does not load, or does not fit the algorithm, is refused
with a message that names the field, never the value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from connectors.errors import InvalidInput

from .auth import OAuth2Auth

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
EC_CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}
NETSUITE_ALGORITHMS = ("PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def load_private_key(
    pem: str, algorithm: str, *, field: str = "private_key", min_rsa_bits: int = 2048
) -> Any:
    """The private key object for ``algorithm``; InvalidInput naming ``field`` if it does not fit."""
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise InvalidInput(
            f"The {field} is not an unencrypted PEM private key.",
            hint="Paste the private key (-----BEGIN PRIVATE KEY-----) of the uploaded certificate.",
        ) from None
    if algorithm in RSA_ALGORITHMS:
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InvalidInput(
                f"{algorithm} needs an RSA key; the {field} is not one.", hint="Pick an ES algorithm."
            )
        if key.key_size < min_rsa_bits:
            raise InvalidInput(
                f"The {field} is an RSA key of {key.key_size} bits; at least {min_rsa_bits} are needed.",
                hint=f"Create a certificate with an RSA key of {min_rsa_bits} bits or more (or an EC key).",
            )
        return key
    curve = EC_CURVES.get(algorithm)
    if curve is None:
        raise InvalidInput(f"Signing algorithm {algorithm!r} is not supported.")
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != curve:
        raise InvalidInput(f"{algorithm} needs an EC {curve} key; the {field} is not one.")
    return key


def sign_jwt(
    claims: Mapping[str, Any], key: Any, algorithm: str, headers: Mapping[str, Any] | None = None
) -> str:
    return jwt.encode(dict(claims), key, algorithm=algorithm, headers=dict(headers or {}))


class OAuth2JWTBearer(OAuth2Auth):
    """Salesforce's OAuth 2.0 JWT bearer flow (server to server, pre-authorised connected app)."""

    grant_type = JWT_BEARER_GRANT

    def __init__(
        self,
        token_url: str,
        client_id: str,
        *,
        subject: str,
        audience: str,
        private_key: str,
        algorithm: str = "RS256",
        lifetime_s: float = 180.0,  # Salesforce: the assertion expires within 3 minutes
        clock: Callable[[], float] = time.time,
        **kw: Any,
    ) -> None:
        super().__init__(token_url, client_id, "", clock=clock, **kw)
        self._pem = private_key
        self._key = load_private_key(private_key, algorithm)
        self.subject = subject
        self.audience = audience
        self.algorithm = algorithm
        self.lifetime_s = lifetime_s

    def secrets(self) -> Iterable[str]:
        return [*super().secrets(), self._pem.strip()]

    def assertion(self) -> str:
        claims = {
            "iss": self.client_id,
            "sub": self.subject,
            "aud": self.audience,
            "exp": int(self._clock() + self.lifetime_s),
        }
        return sign_jwt(claims, self._key, self.algorithm)

    def _grant_params(self) -> dict[str, str]:
        return {"assertion": self.assertion()}

    def _client_authentication(self, form: dict[str, str], headers: dict[str, str]) -> None:
        return None  # the signed assertion is the proof; Salesforce takes no client secret here


class OAuth2ClientAssertion(OAuth2Auth):
    """Client credentials where a JWT signed with the client's key replaces the secret (NetSuite M2M)."""

    grant_type = "client_credentials"

    def __init__(
        self,
        token_url: str,
        client_id: str,
        *,
        private_key: str,
        key_id: str,
        algorithm: str = "PS256",
        scopes: Sequence[str] = (),
        audience: str | None = None,
        lifetime_s: float = 300.0,
        send_client_id: bool = False,
        min_rsa_bits: int = 2048,
        clock: Callable[[], float] = time.time,
        **kw: Any,
    ) -> None:
        super().__init__(token_url, client_id, "", clock=clock, **kw)
        self._pem = private_key
        self._key = load_private_key(private_key, algorithm, min_rsa_bits=min_rsa_bits)
        self.key_id = key_id
        self.algorithm = algorithm
        self.scopes = list(scopes)
        self.audience = audience or token_url
        self.lifetime_s = lifetime_s
        self.send_client_id = send_client_id

    def secrets(self) -> Iterable[str]:
        return [*super().secrets(), self._pem.strip()]

    def assertion(self) -> str:
        now = int(self._clock())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "aud": self.audience,
            "iat": now,
            "exp": now + int(self.lifetime_s),
        }
        if self.scopes:
            # A list, as in NetSuite's sample request ("scope": ["restlets", "rest_webservices"]).
            claims["scope"] = self.scopes
        headers = {"typ": "JWT", "kid": self.key_id}
        return sign_jwt(claims, self._key, self.algorithm, headers)

    def _grant_params(self) -> dict[str, str]:
        return {}

    def _client_authentication(self, form: dict[str, str], headers: dict[str, str]) -> None:
        form["client_assertion_type"] = CLIENT_ASSERTION_TYPE
        form["client_assertion"] = self.assertion()
        if self.send_client_id:
            form["client_id"] = self.client_id
