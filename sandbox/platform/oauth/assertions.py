"""Signed JWT assertions (Salesforce's JWT bearer flow, NetSuite's client-credentials client assertion),
verified with PyJWT against the certificates uploaded for the client.

Each caller states what its vendor documents: the algorithms, whether the certificate is named by `kid`,
the audiences, the issuer and the longest lifetime; every refusal says which check failed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import jwt

from .clients import Certificate
from .errors import OAuthError


def _fail(message: str, reason: str = "assertion_invalid", error: str = "invalid_grant") -> OAuthError:
    return OAuthError(error, message, reason=reason)


def header(assertion: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise _fail("invalid assertion: not a signed JWT") from None


def unverified_claims(assertion: str) -> dict[str, Any]:
    """The claims before verification: only to find the client the assertion names."""
    header(assertion)
    try:
        return jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise _fail("invalid assertion: not a signed JWT") from None


def verify(
    assertion: str,
    certificates: Sequence[Certificate],
    *,
    algorithms: Sequence[str],
    audiences: Sequence[str],
    issuer: str,
    require: Sequence[str],
    by_kid: bool,
    max_ahead: int | None = None,
    max_lifetime: int | None = None,
    leeway: int = 10,
) -> dict[str, Any]:
    """The verified claims, or OAuthError("invalid_grant", <which check failed>)."""
    head = header(assertion)
    alg = head.get("alg")
    if alg not in algorithms:
        raise _fail(
            f"invalid assertion: alg must be one of {', '.join(algorithms)}, not {alg}", "assertion_alg"
        )
    if by_kid:
        kid = head.get("kid")
        if not kid:
            raise _fail("invalid assertion: the header must name the certificate id as kid", "assertion_kid")
        candidates = [c for c in certificates if c.id == kid]
        if not candidates:
            raise _fail(
                f"invalid assertion: no certificate with id {kid} is mapped to this client", "assertion_kid"
            )
    else:
        candidates = list(certificates)
        if not candidates:
            raise _fail(
                "invalid assertion: the client has no certificate for digital signatures", "assertion_kid"
            )
    claims: dict[str, Any] | None = None
    for cert in candidates:
        try:
            claims = jwt.decode(
                assertion,
                key=cert.public_key(),
                algorithms=[alg],
                audience=list(audiences),
                issuer=issuer,
                leeway=leeway,
                options={"require": list(require)},
            )
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise _fail("invalid assertion: expired (exp is in the past)", "assertion_expired") from None
        except jwt.InvalidAudienceError:
            raise _fail("audience is invalid", "assertion_audience") from None
        except jwt.InvalidIssuerError:
            raise _fail("invalid assertion: iss must be the client id", "assertion_issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _fail(f"invalid assertion: the {exc.claim} claim is required", "assertion_claims") from None
        except jwt.ImmatureSignatureError:
            raise _fail("invalid assertion: iat or nbf is in the future", "assertion_expired") from None
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise _fail(f"invalid assertion: {exc}") from None
    if claims is None:
        raise _fail(
            "invalid assertion: the signature does not verify with the uploaded certificate",
            "assertion_signature",
        )
    exp, iat = claims.get("exp"), claims.get("iat")
    if isinstance(exp, int | float):
        if max_ahead is not None and exp > time.time() + max_ahead + leeway:
            raise _fail(f"invalid assertion: exp may be at most {max_ahead} s ahead", "assertion_expired")
        if max_lifetime is not None and isinstance(iat, int | float) and exp - iat > max_lifetime:
            raise _fail(
                f"invalid assertion: exp may be at most {max_lifetime} s after iat", "assertion_expired"
            )
    return claims
