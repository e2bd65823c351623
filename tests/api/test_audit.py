"""The audit chain behind the API: one row per mutation; ``audit_verify`` passes intact, fails tampered."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from flowbuilder.audit.models import AuditEvent
from tests.support.documents import manual_document

from .mixins import last_audit_id


def _drive_api(client_as, world) -> list[str]:
    """A day in the life through the API; returns the audit actions each call should write."""
    builder, operator, admin = client_as("builder"), client_as("operator"), client_as("admin")
    expected = []
    flow = builder.post("/api/flows/", {"organisation": world.a.id, "name": "Audit me"}, format="json").json()
    expected.append("flow.create")
    builder.patch(f"/api/flows/{flow['id']}/", {"description": "d"}, format="json")
    expected.append("flow.update")
    builder.put(
        f"/api/flows/{flow['id']}/draft/",
        {"document": manual_document(), "revision": flow["draft_revision"]},
        format="json",
    )
    expected.append("flow.save_draft")
    builder.post(
        f"/api/flows/{flow['id']}/validate/", {"document": manual_document()}, format="json"
    )  # no mutation
    builder.post(f"/api/flows/{flow['id']}/publish/", {}, format="json")
    expected.append("flow.publish")
    run = builder.post(f"/api/flows/{flow['id']}/run/", {"input": {"n": 1}}, format="json").json()
    expected.append("run.start")
    operator.post(f"/api/runs/{run['id']}/cancel/")
    expected.append("run.cancel")
    operator.post(f"/api/runs/{run['id']}/retry/")
    expected.append("run.retry")
    operator.post(f"/api/runs/{run['id']}/replay/")
    expected.append("run.replay")
    admin.post(
        "/api/memberships/",
        {"organisation": world.a.id, "username": "a-viewer", "role": "approver"},
        format="json",
    )
    expected.append("membership.set")
    builder.delete(f"/api/flows/{flow['id']}/")
    expected.append("flow.delete")
    return expected


def test_every_api_mutation_writes_one_row_with_actor_and_organisation(client_as, world):
    since = last_audit_id()
    expected = _drive_api(client_as, world)
    rows = list(AuditEvent.objects.filter(id__gt=since).order_by("id"))
    assert [r.action for r in rows] == expected
    for row in rows:
        assert row.actor_id is not None, row.action
        assert row.organisation_id == world.a.id, row.action
        assert row.object_type and row.object_id, row.action


def test_audit_rows_are_append_only(client_as, world):
    _drive_api(client_as, world)
    row = AuditEvent.objects.first()
    row.action = "forged"
    with pytest.raises(RuntimeError):
        row.save()
    with pytest.raises(RuntimeError):
        row.delete()


def test_audit_verify_passes_on_intact_chain(client_as, world, capsys):
    _drive_api(client_as, world)
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "flow.read"),
        ("actor_label", "someone-else"),
        ("object_id", "999"),
        ("after", '{"name": "x"}'),
    ],
)
def test_audit_verify_fails_after_raw_sql_tamper(client_as, world, column, value):
    _drive_api(client_as, world)
    victim = AuditEvent.objects.order_by("id")[3]
    table = AuditEvent._meta.db_table
    cast = "::jsonb" if column in ("after", "before") and connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s{cast} WHERE id = %s", [value, victim.id])  # noqa: S608
    with pytest.raises(CommandError, match=rf"\b{victim.id}\b"):
        call_command("audit_verify")


def test_audit_verify_fails_after_a_row_is_deleted(client_as, world):
    _drive_api(client_as, world)
    rows = list(AuditEvent.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [rows[2]])  # noqa: S608
    with pytest.raises(CommandError, match=rf"\b{rows[3]}\b"):
        call_command("audit_verify")
