"""Talking to an organisation's OpenID provider: discovery, tokens, keys, user info.

Every request goes through the safe HTTP client with the organisation's egress policy: the issuer is
typed in by an admin, so it must not become a way to reach internal addresses. Discovery documents are
kept for a few minutes per process (a cache, refetched when it expires; the provider is the truth).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt

from connectors.errors import ConnectorError
from connectors.http.client import SafeClient
from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.credentials.runtime import policy_for

from .models import OrganisationSSO

DISCOVERY_TTL_S = 300.0
#: Signature algorithms we accept for id_tokens (never "none", never the client secret's HS256).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


class SsoError(FlowbuilderError):
    """Single sign-on could not complete; ``message`` is safe to show on the sign-in page."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str
    algorithm: str


_lock = threading.Lock()
_discovered: dict[tuple[int, str], tuple[float, Provider]] = {}


def client_for(config: OrganisationSSO) -> SafeClient:
    return SafeClient(
        policy=policy_for(config.organisation_id),
        timeout=(5.0, 10.0),
        deadline=20.0,
        retries=1,
        max_response_bytes=1024 * 1024,
    )


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def provider(config: OrganisationSSO) -> Provider:
    """The endpoints in the discovery document (``<issuer>/.well-known/openid-configuration``)."""
    key = (config.pk, config.issuer)
    now = time.monotonic()
    with _lock:
        cached = _discovered.get(key)
    if cached and cached[0] > now:
        return cached[1]
    url = config.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        doc = client_for(config).get(url).json()
    except ConnectorError as exc:
        raise SsoError(
            f"The sign-in service of {config.organisation.name} could not be reached: {exc.message}",
            hint="Ask your administrator to check the single sign-on issuer and the egress allow-list.",
        ) from exc
    if not isinstance(doc, dict) or not _same_issuer(str(doc.get("issuer", "")), config.issuer):
        raise SsoError(f"The sign-in service of {config.organisation.name} names another issuer.")
    offered = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithm = next((a for a in offered if a in ALGORITHMS), "")
    try:
        found = Provider(
            issuer=str(doc["issuer"]),
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
            userinfo_endpoint=str(doc.get("userinfo_endpoint") or ""),
            algorithm=algorithm,
        )
    except KeyError as exc:
        raise SsoError(f"The sign-in service's discovery document has no {exc.args[0]}.") from exc
    if not found.algorithm:
        raise SsoError("The sign-in service signs id_tokens with no algorithm we accept (RS256 or stronger).")
    with _lock:
        _discovered[key] = (now + DISCOVERY_TTL_S, found)
    return found


def forget(config: OrganisationSSO) -> None:
    with _lock:
        for key in [k for k in _discovered if k[0] == config.pk]:
            del _discovered[key]


def fetch_token(config: OrganisationSSO, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = client_for(config).post(provider(config).token_endpoint, data=payload, retries=0).json()
    except ConnectorError as exc:
        raise SsoError(f"The sign-in service refused the sign-in: {exc.message}") from exc
    if not isinstance(answer, dict) or not answer.get("id_token"):
        raise SsoError("The sign-in service answered without an id_token.")
    return answer


def signing_key(config: OrganisationSSO, token: str) -> Any:
    header = jwt.get_unverified_header(token)
    try:
        keys = client_for(config).get(provider(config).jwks_uri).json().get("keys", [])
    except (ConnectorError, AttributeError) as exc:
        raise SsoError("The sign-in service's keys could not be read.") from exc
    for key in keys:
        if header.get("kid") and key.get("kid") != header.get("kid"):
            continue
        if key.get("alg") and key.get("alg") != header.get("alg"):
            continue
        return jwt.PyJWK(key).key
    raise SsoError("The id_token is signed with a key the sign-in service does not publish.")


def verified_claims(config: OrganisationSSO, token: str, *, nonce: str | None) -> dict[str, Any]:
    """The id_token's claims after checking signature, algorithm, issuer, audience, expiry and nonce."""
    found = provider(config)
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") not in ALGORITHMS:
            raise SsoError("The id_token is not signed with an algorithm we accept.")
        claims = jwt.decode(
            token,
            signing_key(config, token),
            algorithms=[header["alg"]],
            audience=config.client_id,
            issuer=found.issuer,
            leeway=30,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise SsoError(f"The id_token is not valid: {exc}.") from exc
    if nonce is not None and claims.get("nonce") != nonce:
        raise SsoError("The id_token does not answer this sign-in (nonce).")
    return claims


def userinfo(config: OrganisationSSO, access_token: str) -> dict[str, Any]:
    endpoint = provider(config).userinfo_endpoint
    if not endpoint or not access_token:
        return {}
    try:
        answer = client_for(config).get(endpoint, headers={"Authorization": f"Bearer {access_token}"}).json()
    except ConnectorError as exc:
        raise SsoError(f"The sign-in service's user info could not be read: {exc.message}") from exc
    return answer if isinstance(answer, dict) else {}
