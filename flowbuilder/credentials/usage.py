"""What a live connection writes while runs use it: the first use per run (audited) and rotated secrets.

Called by :mod:`flowbuilder.credentials.runtime` in workers; kept apart from the user-facing actions so the
runtime does not depend on them (and they may use the runtime to test a connection).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction

from .models import Connection, ConnectionUse
from .vault import get_vault


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
