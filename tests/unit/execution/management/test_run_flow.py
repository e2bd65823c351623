"""`manage.py run_flow`: run a flow file and follow it in the terminal."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.documents import chain, document, edge, node

pytestmark = pytest.mark.django_db(transaction=True)


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
