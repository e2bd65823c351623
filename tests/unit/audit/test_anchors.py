"""Truncation of the audit chain is caught: anchors recorded outside the event table name the head.

A flipped byte and a removed middle row break the hash links (tests/api/test_audit.py); deleting the
newest rows leaves a shorter chain that is still valid, so only something outside the table can tell.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from flowbuilder.audit import tasks
from flowbuilder.audit.actions import anchor_chain, record, verify_chain
from flowbuilder.audit.models import AuditAction, AuditAnchor, AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def _rows(n: int, start: int = 0) -> list[AuditEvent]:
    return [record(AuditAction.FLOW_CREATE, actor="system", object_id=start + i) for i in range(n)]


def _delete_newest(count: int, *, forge_head: bool) -> list[int]:
    """What an attacker with database access does: delete the newest rows (raw SQL, bypassing the
    model's refusal) and, if ``forge_head``, move the head back so it matches the new newest row."""
    ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:count])
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE id IN ({','.join(['%s'] * len(ids))})",  # noqa: S608
            ids,
        )
    if forge_head:
        newest = AuditEvent.objects.order_by("-id").first()
        AuditChainHead.objects.filter(pk=1).update(last_hash=newest.hash)
    return sorted(ids)


def test_deleting_the_newest_rows_after_an_anchor_is_detected_even_with_a_forged_head():
    _rows(6)
    anchor = anchor_chain()
    assert anchor is not None and anchor.row_count == 6
    deleted = _delete_newest(2, forge_head=True)
    report = verify_chain()
    assert not report.ok
    assert report.broken_at == anchor.last_event_id == deleted[-1]
    assert "newest rows were deleted" in report.reason


def test_deleting_the_newest_rows_is_detected_by_the_head_when_no_anchor_exists_yet():
    _rows(4)
    _delete_newest(1, forge_head=False)
    report = verify_chain()
    assert not report.ok and "newest rows were deleted" in report.reason


def test_audit_verify_command_names_the_missing_anchored_row():
    _rows(5)
    call_command("audit_verify")  # intact: it anchors the head
    anchor = AuditAnchor.objects.get()
    _delete_newest(3, forge_head=True)
    with pytest.raises(CommandError, match=rf"\b{anchor.last_event_id}\b.*newest rows were deleted"):
        call_command("audit_verify")


def test_rows_appended_after_an_anchor_still_verify_and_a_changed_anchored_row_does_not():
    _rows(3)
    first = anchor_chain()
    _rows(3, start=3)
    second = anchor_chain()
    assert verify_chain().ok and verify_chain().checked == 6
    assert (first.row_count, second.row_count) == (3, 6)
    # A replaced middle row re-hashed to a consistent chain still disagrees with the anchors.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditEvent._meta.db_table} SET object_id = %s WHERE id = %s",  # noqa: S608
            ["forged", first.last_event_id],
        )
    report = verify_chain()
    assert not report.ok and report.broken_at == first.last_event_id


def test_anchor_task_is_scheduled_and_writes_only_when_the_chain_grew():
    schedule = settings.CELERY_BEAT_SCHEDULE["anchor-audit-chain"]
    assert schedule["task"] == "audit.anchor" == tasks.anchor.name
    assert tasks.anchor() is None  # empty trail: nothing to anchor
    _rows(2)
    newest = AuditEvent.objects.order_by("-id").first()
    assert tasks.anchor() == newest.id
    assert tasks.anchor() is None  # unchanged since the last anchor
    assert AuditAnchor.objects.count() == 1
    anchor = AuditAnchor.objects.get()
    with pytest.raises(RuntimeError):
        anchor.save()
