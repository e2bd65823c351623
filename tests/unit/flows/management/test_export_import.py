"""`manage.py export_flows` and `import_flows`: a flow's document survives the round trip."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from flowbuilder.flows.models import Flow
from tests.support.documents import chain

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_then_import_round_trips_the_document(builder, tmp_path):
    source = tmp_path / "one.json"
    source.write_text(json.dumps(chain(2, trigger="trigger.manual")))
    call_command("run_flow", str(source), "--user", "ben", "--input", '{"n": 0}', "--inline")
    flow = Flow.objects.get()
    call_command("export_flows", str(flow.pk), "--out", str(tmp_path / "out"))
    exported = next((tmp_path / "out").glob("*.json"))
    call_command("import_flows", str(exported), "--user", "ben")
    imported = Flow.objects.exclude(pk=flow.pk).get()
    assert imported.draft_document == flow.draft_document
    assert imported.organisation_id == flow.organisation_id


def test_unknown_user_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="No user"):
        call_command("import_flows", str(tmp_path / "x.json"), "--user", "nobody")
