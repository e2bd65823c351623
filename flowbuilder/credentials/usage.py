"""What a live connection writes while runs use it: the first use per run (audited), tokens its auth
obtained (a rotated refresh token, a renewed access token), a lapsed grant ("reconnect") and the API
usage the system reports.

Called by :mod:`flowbuilder.credentials.runtime` in workers; kept apart from the user-facing actions so the
runtime does not depend on them (and they may use the runtime to test a connection).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction

from .models import AuthState, Connection, ConnectionUse
from .vault import VaultError, get_vault


def record_use(connection: Connection, run_id: int) -> bool:
    """Audit the first use of ``connection`` by run ``run_id`` (True if this call wrote the row)."""
    with transaction.atomic():
        _, created = ConnectionUse.objects.get_or_create(connection_id=connection.pk, run_id=run_id)
        if created:
            record(
                AuditAction.CONNECTION_USE,
                actor="system",
                organisation=connection.organisation_id,
                obj=connection,
                after={"run_id": run_id, "connector": connection.connector},
            )
    return created


def store_rotated_secrets(connection_id: int, secrets: Mapping[str, Any]) -> int:
    """Persist secrets a token endpoint rotated (e.g. a new refresh token); returns the new version."""
    with transaction.atomic():
        Connection.objects.filter(pk=connection_id).update(
            secrets_ciphertext=get_vault().encrypt(secrets),
            secrets_version=F("secrets_version") + 1,
        )
        version = (
            Connection.objects.filter(pk=connection_id).values_list("secrets_version", flat=True).first()
        )
    return int(version or 0)


def store_tokens(
    connection_id: int, secrets: Mapping[str, Any], *, credential_expires_at: datetime | None = None
) -> int:
    """Persist what a token endpoint answered for a Connect connection (access token and its expiry, a
    rotated refresh token) so every process reuses it; a new refresh token's lifetime moves
    ``credential_expires_at``. Returns the new ``secrets_version``."""
    with transaction.atomic():
        changes: dict[str, Any] = {
            "secrets_ciphertext": get_vault().encrypt(secrets),
            "secrets_version": F("secrets_version") + 1,
        }
        if credential_expires_at is not None:
            changes["credential_expires_at"] = credential_expires_at
        Connection.objects.filter(pk=connection_id).update(**changes)
        version = (
            Connection.objects.filter(pk=connection_id).values_list("secrets_version", flat=True).first()
        )
    return int(version or 0)


def mark_reconnect(connection_id: int, message: str, failed_refresh_token: str | None) -> str | None:
    """The grant behind a connection lapsed (its refresh token was refused). If another process stored a
    newer refresh token meanwhile, return it (the caller retries with it) and change nothing; otherwise
    put the connection into "reconnect" with ``message`` (audited once) and return None."""
    with transaction.atomic():
        row = Connection.objects.select_for_update().filter(pk=connection_id).first()
        if row is None:
            return None
        try:
            stored = get_vault().decrypt(row.secrets_ciphertext).get("refresh_token")
        except VaultError:
            stored = None
        if stored and failed_refresh_token and stored != failed_refresh_token:
            return str(stored)
        if row.auth_state in (AuthState.RECONNECT, AuthState.NOT_CONNECTED):
            return None
        text = message[:500]
        Connection.objects.filter(pk=connection_id).update(
            auth_state=AuthState.RECONNECT, auth_state_message=text
        )
        record(
            AuditAction.CONNECTION_RECONNECT,
            actor="system",
            organisation=row.organisation_id,
            obj=row,
            before={"auth_state": row.auth_state},
            after={"auth_state": AuthState.RECONNECT, "message": text},
        )
    return None


def record_api_usage(connection_id: int, used: int, limit: int, *, every_s: float) -> bool:
    """Store the API usage a response reported, unless it was stored less than ``every_s`` ago (one
    conditional UPDATE: processes race harmlessly). True if this call wrote it."""
    now = timezone.now()
    recent = now - timedelta(seconds=every_s)
    written = (
        Connection.objects.filter(pk=connection_id)
        .filter(Q(api_usage_at__isnull=True) | Q(api_usage_at__lte=recent))
        .update(api_usage_used=max(0, used), api_usage_limit=max(0, limit), api_usage_at=now)
    )
    return bool(written)
