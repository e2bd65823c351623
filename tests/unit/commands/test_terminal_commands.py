"""The terminal commands: run a flow file and follow it, export and import flows."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from flowbuilder.flows.models import Flow
from tests.conftest import chain, document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def builder(make_org, make_user):
    return make_user("ben", make_org("Acme"), "builder")


def test_run_flow_prints_each_node_and_the_output(builder, tmp_path, capsys):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(chain(3, trigger="trigger.manual")))
    call_command("run_flow", str(path), "--user", "ben", "--input", '{"n": 5}', "--inline")
    out = capsys.readouterr().out
    assert "run.succeeded" in out
    for node_id in ("t", "m0", "m1", "m2"):
        assert f"✔ {node_id}" in out
    assert json.loads(out[out.index("[") :]) == [{"n": 8}]


def test_run_flow_reports_findings_of_an_invalid_flow(builder, tmp_path, capsys):
    cyclic = document([node("a", "flow.noop"), node("b", "flow.noop")], [edge("a", "b"), edge("b", "a")])
    path = tmp_path / "cyclic.json"
    path.write_text(json.dumps(cyclic))
    with pytest.raises(CommandError, match="problem"):
        call_command("run_flow", str(path), "--user", "ben", "--inline")
    assert "Cycle" in capsys.readouterr().err


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
