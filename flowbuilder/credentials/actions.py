"""Every change to a connection: create, update, delete, test, first use by a run, token rotation, and
re-encryption to the newest key. (Connect, the OAuth consent in the browser, is in ``connect.py``.)

An edit that changes where the credentials go (the base URL's host, a token or login URL, an account id
that names the hosts: see ``destinations.py``) keeps no stored secret the edit did not enter again,
unless an admin confirms the new host explicitly; either way the audit row names both hosts.

Each function that a person triggers takes a keyword-only ``actor``, checks the actor may act, runs in
one transaction and writes an audit row. Audit rows and messages carry field *names* and non-secret
values only; a secret value never leaves this module except encrypted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from jsonschema import Draft202012Validator

from connectors.base import Connector, CredentialType
from connectors.errors import ConnectorError
from connectors.http.redact import Redactor
from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.tenancy.models import Organisation
from flowbuilder.tenancy.permissions import can

from . import runtime
from .destinations import destinations, origin_text
from .models import AuthState, Connection, Environment
from .runtime import get_connector
from .vault import VaultError, get_vault

log = logging.getLogger(__name__)

EDITABLE = ("name", "environment", "base_url", "config")
MESSAGE_CHARS = 500


# --- helpers ---------------------------------------------------------------------------------------------


def _require(actor: Any, action: str, obj: Any) -> None:
    if not can(actor, action, obj):
        raise PermissionDeniedError(f"You may not {action} connections of this organisation.")


def _credential_type(connector: Connector, key: str) -> CredentialType:
    try:
        return connector.credential_type(key)
    except ConnectorError as exc:
        raise InvalidInputError(exc.message, field="credential_type", hint=exc.hint) from exc


def _check_base_url(base_url: str) -> str:
    base_url = (base_url or "").strip()
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError("The base URL must be an http:// or https:// URL.", field="base_url")
    return base_url


def _check_config(connector: Connector, base_url: str, config: Mapping[str, Any]) -> None:
    errors = sorted(
        Draft202012Validator(connector.config_schema).iter_errors({**config, "base_url": base_url}),
        key=lambda e: list(e.absolute_path),
    )
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path)
        raise InvalidInputError(
            f"Connection settings are invalid{' at ' + where if where else ''}: {first.message}",
            field="config",
        )


def _check_credentials(ctype: CredentialType, values: Mapping[str, Any]) -> None:
    """Validate against the credential type's schema without ever echoing a value."""
    errors = sorted(
        Draft202012Validator(ctype.schema).iter_errors(dict(values)), key=lambda e: list(e.absolute_path)
    )
    if not errors:
        return
    first = errors[0]
    if first.validator == "required":
        # "'client_secret' is a required property": names the field, never a value.
        message = f"{ctype.label}: {first.message}."
        missing = first.message.split("'")[1] if first.message.count("'") >= 2 else ""
        field = f"credentials.{missing}" if missing else "credentials"
    else:
        where = "/".join(str(p) for p in first.absolute_path) or "(credentials)"
        message = f"{ctype.label}: the value of {where} is invalid ({first.validator})."
        field = f"credentials.{where}"
    raise InvalidInputError(message, field=field, hint="Fill in every required credential field.")


def _refuse_token_fields(ctype: CredentialType, values: Mapping[str, Any]) -> None:
    """Access and refresh tokens of a Connect type come from the consent, never from the API."""
    for name in ctype.token_fields():
        if name in values:
            raise InvalidInputError(
                f"{name} is set by Connect, not typed in.",
                field=f"credentials.{name}",
                hint="Save the connection, then click Connect.",
            )


def initial_auth_state(ctype: CredentialType) -> str:
    return AuthState.NOT_CONNECTED if ctype.authorization is not None else AuthState.OK


def split_credentials(ctype: CredentialType, values: Mapping[str, Any]) -> tuple[dict, dict]:
    """(non-secret fields, secret fields) by the credential type's ``writeOnly`` markers."""
    secret_names = set(ctype.secret_fields())
    plain = {k: v for k, v in values.items() if k not in secret_names}
    secret = {k: v for k, v in values.items() if k in secret_names}
    return plain, secret


def _merge(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a partial update: a key set to None is removed, others replace."""
    merged = dict(current)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _public(connection: Connection) -> dict[str, Any]:
    """What an audit row may hold about a connection: everything except secret values."""
    return {
        "name": connection.name,
        "environment": connection.environment,
        "connector": connection.connector,
        "base_url": connection.base_url,
        "config": connection.config,
        "credential_type": connection.credential_type,
        "credentials": connection.credentials,
        "secrets_set": list(connection.secret_fields_set),
        "auth_state": connection.auth_state,
    }


def _save(connection: Connection, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            connection.save(**kwargs)
    except IntegrityError as exc:
        raise InvalidInputError(
            f"A connection named {connection.name!r} already exists in {connection.environment}.",
            field="name",
        ) from exc


# --- create / update / delete --------------------------------------------------------------------------


def create_connection(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    connector: str,
    base_url: str,
    credential_type: str,
    credentials: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    environment: str = Environment.DEV,
) -> Connection:
    _require(actor, "change", organisation)
    spec = get_connector(connector)
    ctype = _credential_type(spec, credential_type)
    base_url = _check_base_url(base_url)
    config = dict(config or {})
    config.pop("base_url", None)
    _check_config(spec, base_url, config)
    values = {k: v for k, v in (credentials or {}).items() if v is not None}
    _refuse_token_fields(ctype, values)
    _check_credentials(ctype, values)
    plain, secret = split_credentials(ctype, values)
    connection = Connection(
        organisation=organisation,
        environment=environment,
        name=name,
        connector=spec.key,
        base_url=base_url,
        config=config,
        credential_type=ctype.key,
        credentials=plain,
        secrets_ciphertext=get_vault().encrypt(secret) if secret else "",
        secret_fields_set=sorted(secret),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        auth_state=initial_auth_state(ctype),
    )
    with transaction.atomic():
        _save(connection)
        record(
            AuditAction.CONNECTION_CREATE,
            actor=actor,
            organisation=organisation,
            obj=connection,
            after=_public(connection),
        )
    return connection


def update_connection(
    *,
    actor: Any,
    connection: Connection,
    credentials: Mapping[str, Any] | None = None,
    confirm_host_change: bool = False,
    **fields: Any,
) -> Connection:
    """Change settings and/or credentials. Secret fields not sent keep their stored value; a field sent
    as null is cleared. Changing ``credential_type`` starts the credentials afresh.

    If the edit sends the credentials somewhere new (see ``destinations.py``), stored secrets it does
    not enter again are dropped (a missing required one is a 400 naming it; Connect tokens go, so the
    connection must be connected again), unless ``confirm_host_change`` comes from an admin."""
    _require(actor, "change", connection)
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        before = _public(connection)
        spec = get_connector(connection.connector)
        old_hosts = _old_destinations(spec, connection)
        for key in EDITABLE:
            if key in fields and fields[key] is not None:
                setattr(connection, key, fields[key])
        connection.base_url = _check_base_url(connection.base_url)
        connection.config = {k: v for k, v in (connection.config or {}).items() if k != "base_url"}
        _check_config(spec, connection.base_url, connection.config)

        new_type = fields.get("credential_type") or connection.credential_type
        ctype = _credential_type(spec, new_type)
        type_changed = new_type != connection.credential_type
        _refuse_token_fields(ctype, credentials or {})
        if type_changed:
            current_plain: dict[str, Any] = {}
            current_secret: dict[str, Any] = {}
        else:
            current_plain = dict(connection.credentials or {})
            try:
                current_secret = get_vault().decrypt(connection.secrets_ciphertext)
            except VaultError:  # the key is gone: the user must enter every secret again
                current_secret = {}
        plain_changes, secret_changes = split_credentials(ctype, credentials or {})
        plain = _merge(current_plain, plain_changes)
        new_hosts = destinations(spec, ctype, connection.base_url, connection.config, plain)
        moved = sorted(new_hosts - old_hosts)
        host_change = ""
        if moved and current_secret:
            host_change = _check_host_change(
                actor,
                connection,
                ctype,
                moved,
                old_hosts,
                set(current_secret),
                secret_changes,
                confirm_host_change,
            )
            if host_change == "secrets re-entered":
                current_secret = {}  # nothing stored may follow the credentials to the new host
        secret = _merge(current_secret, secret_changes)
        if type_changed or credentials is not None or host_change:
            _check_credentials(ctype, {**plain, **secret})
        secrets_changed = secret != current_secret or type_changed or host_change == "secrets re-entered"
        connection.credential_type = ctype.key
        connection.credentials = plain
        if secrets_changed:
            connection.secrets_ciphertext = get_vault().encrypt(secret) if secret else ""
            connection.secret_fields_set = sorted(secret)
            connection.secrets_version = (connection.secrets_version or 0) + 1
        if type_changed or (ctype.authorization is not None and "access_token" not in secret):
            connection.auth_state = initial_auth_state(ctype)
            connection.auth_state_message = ""
            connection.credential_expires_at = None
        elif secrets_changed and ctype.authorization is None:
            connection.auth_state, connection.auth_state_message = (
                AuthState.OK,
                "",
            )  # new secrets, fresh start
        _save(connection)
        after = _public(connection)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if secrets_changed:
            changed["secrets_changed"] = True
        before_row = {k: before.get(k) for k in changed if k in before}
        if old_hosts != new_hosts:
            before_row["hosts"] = sorted(old_hosts)
            changed["hosts"] = sorted(new_hosts)
        if host_change:
            changed["host_change"] = host_change
        record(
            AuditAction.CONNECTION_UPDATE,
            actor=actor,
            organisation=connection.organisation_id,
            obj=connection,
            before=before_row,
            after=changed,
        )
    return connection


def _old_destinations(spec: Connector, connection: Connection) -> set[str]:
    """Where the stored credentials go today (a credential type the connector no longer offers: the
    base URL's host only)."""
    try:
        ctype = spec.credential_type(connection.credential_type)
    except ConnectorError:
        return {origin_text(connection.base_url)}
    return destinations(
        spec, ctype, connection.base_url, connection.config or {}, connection.credentials or {}
    )


def _check_host_change(
    actor: Any,
    connection: Connection,
    ctype: CredentialType,
    moved: list[str],
    old_hosts: set[str],
    stored: set[str],
    secret_changes: Mapping[str, Any],
    confirmed: bool,
) -> str:
    """How a change of destination may proceed: "confirmed by admin" or "secrets re-entered" (every
    stored secret a person typed is in this edit; Connect tokens are dropped and need a new Connect);
    otherwise a 400 naming the first secret to enter again."""
    was = ", ".join(sorted(old_hosts)) or "(none)"
    if confirmed:
        if not can(actor, "admin", connection):
            raise PermissionDeniedError(
                "Only an admin of the organisation may keep the stored secrets for a new host."
            )
        return "confirmed by admin"
    required = set(ctype.schema.get("required") or []) | stored
    missing = [f for f in ctype.secret_fields() if f in required and secret_changes.get(f) in (None, "")]
    if missing:
        raise InvalidInputError(
            f"This change sends the connection's credentials to {', '.join(moved)} (was {was}): enter "
            f"the secret again ({missing[0]}) or ask an admin to confirm the new host.",
            field=f"credentials.{missing[0]}",
            hint="Stored secrets never follow a connection to a new host unless they are entered again.",
        )
    return "secrets re-entered"


def delete_connection(*, actor: Any, connection: Connection) -> None:
    _require(actor, "change", connection)
    with transaction.atomic():
        record(
            AuditAction.CONNECTION_DELETE,
            actor=actor,
            organisation=connection.organisation_id,
            obj=connection,
            before=_public(connection),
        )
        connection.delete()


# --- test ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    ok: bool
    message: str
    tested_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "tested_at": self.tested_at}


def test_connection(*, actor: Any, connection: Connection) -> TestResult:
    """Call the connector's ``test_connection`` with the organisation's egress policy; record the result.

    Never raises for a remote, configuration or decryption problem: those come back as ``ok=False``
    with a message the user can act on.
    """
    _require(actor, "change", connection)
    ok, message = _probe(connection)
    now = timezone.now()
    message = message[:MESSAGE_CHARS]
    with transaction.atomic():
        changes: dict[str, Any] = {"last_tested_at": now, "last_test_ok": ok, "last_test_message": message}
        state = (
            Connection.objects.filter(pk=connection.pk)
            .values_list("auth_state", "auth_state_message")
            .first()
        )
        if state is not None:  # the probe may have marked it "reconnect"
            connection.auth_state, connection.auth_state_message = state
        if ok and connection.auth_state == AuthState.RECONNECT:
            # Working again (e.g. another process stored a fresh refresh token): no longer "reconnect".
            restored = AuthState.CONNECTED if connection.connected_at else AuthState.OK
            changes.update(auth_state=restored, auth_state_message="")
            connection.auth_state, connection.auth_state_message = restored, ""
        Connection.objects.filter(pk=connection.pk).update(**changes)
        record(
            AuditAction.CONNECTION_TEST,
            actor=actor,
            organisation=connection.organisation_id,
            obj=connection,
            after={"ok": ok, "message": message},
        )
    connection.last_tested_at, connection.last_test_ok, connection.last_test_message = now, ok, message
    return TestResult(ok, message, now)


def _probe(connection: Connection) -> tuple[bool, str]:
    secrets: dict[str, Any] = {}
    handle = None
    try:
        secrets = get_vault().decrypt(connection.secrets_ciphertext)
        handle = runtime.build_runtime(connection, secrets, retries=0)
        ok, message = handle.test_connection()
    except VaultError as exc:
        ok, message = False, str(exc)
    except ConnectorError as exc:  # invalid config or credentials, refused egress, ...
        ok, message = False, exc.message + (f" {exc.hint}" if exc.hint else "")
    except Exception as exc:  # never a 500 for a test; the type is enough to investigate
        log.warning("connection %s: test failed with %s", connection.pk, type(exc).__name__)
        ok, message = (
            False,
            f"The test could not run ({type(exc).__name__}). Check the base URL and settings.",
        )
    finally:
        if handle is not None:
            handle.close()
    # Defence in depth: whatever a connector put in its message, no secret value leaves here.
    redactor = Redactor([str(v) for v in secrets.values() if isinstance(v, str)])
    return ok, redactor.text(str(message))


# --- key rotation --------------------------------------------------------------------------------------


@dataclass
class RotationReport:
    total: int = 0
    rotated: int = 0
    empty: int = 0
    failed: int = 0
    failed_ids: list[int] | None = None


def rotate_all_secrets(*, actor: Any = "system") -> RotationReport:
    """Re-encrypt every connection's secrets with the newest key (MultiFernet.rotate), row by row."""
    vault = get_vault()
    report = RotationReport(failed_ids=[])
    ids = list(Connection.objects.order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            row = (
                Connection.objects.select_for_update().filter(pk=pk).only("pk", "secrets_ciphertext").first()
            )
            if row is None:
                continue
            report.total += 1
            if not row.secrets_ciphertext:
                report.empty += 1
                continue
            try:
                token = vault.rotate(row.secrets_ciphertext)
            except VaultError:
                report.failed += 1
                report.failed_ids.append(pk)
                continue
            Connection.objects.filter(pk=pk).update(secrets_ciphertext=token)
            report.rotated += 1
    record(
        AuditAction.CREDENTIALS_ROTATE_KEYS,
        actor=actor,
        object_type="credentials.connection",
        after={
            "total": report.total,
            "rotated": report.rotated,
            "empty": report.empty,
            "failed": report.failed,
            "failed_ids": report.failed_ids,
        },
    )
    return report
