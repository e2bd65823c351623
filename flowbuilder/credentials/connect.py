"""Connect: authorising a connection through the system's own consent page (OAuth 2.0 authorization
code with ``state`` and PKCE). The actions of the flow, as ``actions.py`` holds the others.

1. :func:`start_authorization` (the Connect button): a :class:`PendingAuthorization` bound to the person
   and the connection, short-lived, holding a hash of ``state`` and the encrypted PKCE verifier; the
   answer is the system's authorize URL for the browser.
2. The browser comes back to ``/oauth/callback/?code=&state=``; :func:`complete_authorization` consumes
   the pending row (single use, same person, not expired), exchanges the code at the token endpoint
   (with the verifier and the same ``redirect_uri``) through the safe client under the organisation's
   egress policy, stores the tokens in the vault, records the instance URL where the system names one
   (Salesforce ``instance_url``) and when the refresh token lapses where that is known, and audits it.

Nothing here logs or returns a token, a code or a verifier.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.base import AuthorizationCodeGrant, CredentialType
from connectors.errors import ConnectorError
from connectors.http.auth import TokenSet
from connectors.http.client import SafeClient
from connectors.http.oauth_code import authorization_url, exchange_code, new_pkce, new_state
from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.tenancy.permissions import can

from .actions import _check_credentials, _credential_type, _public
from .destinations import origin_text
from .models import AuthState, Connection, PendingAuthorization
from .runtime import get_connector, policy_for
from .vault import VaultError, get_vault


@dataclass(frozen=True)
class StartedAuthorization:
    authorize_url: str
    expires_at: datetime


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _grant(connection: Connection) -> tuple[Any, CredentialType, AuthorizationCodeGrant]:
    spec = get_connector(connection.connector)
    ctype = _credential_type(spec, connection.credential_type)
    if ctype.authorization is None:
        raise InvalidInputError(
            f"{ctype.label} is not authorised with Connect.",
            field="credential_type",
            hint="Pick a credential type marked Connect, or enter the credentials in the form.",
        )
    return spec, ctype, ctype.authorization


def _values(connection: Connection) -> dict[str, Any]:
    try:
        secrets = get_vault().decrypt(connection.secrets_ciphertext)
    except VaultError as exc:
        raise InvalidInputError(
            str(exc), field="credentials", hint="Enter the client secret again."
        ) from None
    return {**(connection.credentials or {}), **secrets}


def _settings(spec: Any, connection: Connection) -> dict[str, Any]:
    config = connection.runtime_config()
    return {**config, "base_url": spec.base_url(config)}


def start_authorization(*, actor: Any, connection: Connection, redirect_uri: str) -> StartedAuthorization:
    """Begin Connect: store the pending authorization and return where to send the browser."""
    if not can(actor, "change", connection):
        raise PermissionDeniedError("You may not change connections of this organisation.")
    spec, ctype, grant = _grant(connection)
    values = _values(connection)
    typed = {k: v for k, v in values.items() if k not in ctype.token_fields()}
    _check_credentials(ctype, typed)
    config = _settings(spec, connection)
    state = new_state()
    verifier, challenge = new_pkce() if grant.pkce else ("", None)
    url = authorization_url(
        grant.authorize_url(values, config),
        client_id=str(values.get("client_id") or ""),
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
        scope=grant.scope(values),
        extra_params=grant.extra_params,
    )
    now = timezone.now()
    expires = now + timedelta(seconds=settings.FLOWBUILDER_OAUTH_PENDING_TTL_S)
    with transaction.atomic():
        PendingAuthorization.objects.filter(expires_at__lt=now).delete()
        PendingAuthorization.objects.create(
            connection=connection,
            user=actor,
            state_hash=_hash(state),
            verifier_ciphertext=get_vault().encrypt({"code_verifier": verifier}),
            redirect_uri=redirect_uri,
            token_url=grant.token_url(values, config),
            expires_at=expires,
        )
        record(
            AuditAction.CONNECTION_AUTHORIZE,
            actor=actor,
            organisation=connection.organisation_id,
            obj=connection,
            after={"authorize_host": origin_text(url), "expires_at": expires.isoformat()},
        )
    return StartedAuthorization(authorize_url=url, expires_at=expires)


def pending_connection_id(state: str) -> int | None:
    """The connection a callback's ``state`` belongs to (to send the browser back to it), if any."""
    return (
        PendingAuthorization.objects.filter(state_hash=_hash(state or ""))
        .values_list("connection_id", flat=True)
        .first()
    )


def complete_authorization(
    *, actor: Any, state: str, code: str = "", error: str = "", error_description: str = ""
) -> Connection:
    """Finish Connect from the callback's query parameters. Raises InvalidInputError (field ``state``
    or ``code``) when the authorization is unknown, used, expired, someone else's or refused."""
    pending = _consume(actor, state)
    connection = pending.connection
    if error:
        said = f"{error}: {error_description}" if error_description else error
        raise InvalidInputError(f"The system did not authorise the connection ({said[:200]}).", field="code")
    if not code:
        raise InvalidInputError("The callback carried no authorization code.", field="code")
    if not can(actor, "change", connection):
        raise PermissionDeniedError("You may not change connections of this organisation.")
    spec, ctype, grant = _grant(connection)
    values = _values(connection)
    config = _settings(spec, connection)
    if grant.token_url(values, config) != pending.token_url:
        raise InvalidInputError(
            "The connection's token endpoint changed since Connect was clicked.",
            field="state",
            hint="Click Connect again.",
        )
    verifier = get_vault().decrypt(pending.verifier_ciphertext).get("code_verifier") or None
    token = _exchange(connection, grant, values, pending, code, verifier)
    return _store(actor, connection.pk, ctype, grant, token)


def _consume(actor: Any, state: str) -> PendingAuthorization:
    """Take the pending authorization out (single use: a replayed callback finds nothing)."""
    unknown = InvalidInputError(
        "This Connect link is unknown, already used or expired.", field="state", hint="Click Connect again."
    )
    if not state:
        raise unknown
    with transaction.atomic():
        pending = (
            PendingAuthorization.objects.select_for_update()
            .select_related("connection")
            .filter(state_hash=_hash(state))
            .first()
        )
        if pending is None:
            raise unknown
        pending.delete()
    if pending.expires_at < timezone.now():
        raise unknown
    if pending.user_id != getattr(actor, "pk", None):
        raise InvalidInputError(
            "This Connect was started by another user.", field="state", hint="Click Connect yourself."
        )
    return pending


def _exchange(
    connection: Connection,
    grant: AuthorizationCodeGrant,
    values: dict[str, Any],
    pending: PendingAuthorization,
    code: str,
    verifier: str | None,
) -> TokenSet:
    client = SafeClient(policy=policy_for(connection.organisation_id), retries=1)
    try:
        return exchange_code(
            client,
            token_url=pending.token_url,
            client_id=str(values.get("client_id") or ""),
            client_secret=str(values.get("client_secret") or ""),
            auth_method=grant.auth_method,
            code=code,
            redirect_uri=pending.redirect_uri,
            code_verifier=verifier,
        )
    except ConnectorError as exc:
        raise InvalidInputError(
            f"The code could not be exchanged for tokens: {client.redactor.text(exc.message)}",
            field="code",
            hint=exc.hint or "Check the client id and secret, then click Connect again.",
        ) from None
    finally:
        client.close()


def _store(
    actor: Any, connection_id: int, ctype: CredentialType, grant: AuthorizationCodeGrant, token: TokenSet
) -> Connection:
    now = timezone.now()
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        before = _public(connection)
        before["base_url"] = connection.base_url
        secrets = _values_secret(connection)
        for name in ctype.token_fields():
            secrets.pop(name, None)
        secrets["access_token"] = token.access_token
        if token.expires_at is not None:
            secrets["expires_at"] = token.expires_at
        if token.refresh_token:
            secrets["refresh_token"] = token.refresh_token
        connection.secrets_ciphertext = get_vault().encrypt(secrets)
        connection.secret_fields_set = sorted(secrets)
        connection.secrets_version = (connection.secrets_version or 0) + 1
        connection.auth_state, connection.auth_state_message = AuthState.CONNECTED, ""
        connection.connected_at = now
        connection.credential_expires_at = _grant_expiry(grant, token, now)
        instance = str(token.raw.get(grant.instance_url_field) or "") if grant.instance_url_field else ""
        if instance and urlsplit(instance).scheme in ("http", "https"):
            connection.base_url = instance.rstrip("/")
        connection.save()
        after = {
            "auth_state": connection.auth_state,
            "secrets_set": connection.secret_fields_set,
            "credential_expires_at": connection.credential_expires_at.isoformat()
            if connection.credential_expires_at
            else None,
            "scope": str(token.raw.get("scope") or ""),
        }
        if connection.base_url != before["base_url"]:
            after["base_url"] = connection.base_url  # the instance the token was issued for
        record(
            AuditAction.CONNECTION_CONNECT,
            actor=actor,
            organisation=connection.organisation_id,
            obj=connection,
            before={"auth_state": before["auth_state"], "base_url": before["base_url"]},
            after=after,
        )
    return connection


def _values_secret(connection: Connection) -> dict[str, Any]:
    try:
        return get_vault().decrypt(connection.secrets_ciphertext)
    except VaultError:
        return {}


def _grant_expiry(grant: AuthorizationCodeGrant, token: TokenSet, now: datetime) -> datetime | None:
    """When the refresh token stops working: what the system says, else its documented lifetime."""
    if not token.refresh_token:
        return None
    if token.refresh_expires_at:
        return datetime.fromtimestamp(token.refresh_expires_at, tz=UTC)
    if grant.refresh_token_lifetime_s:
        return now + timedelta(seconds=grant.refresh_token_lifetime_s)
    return None
