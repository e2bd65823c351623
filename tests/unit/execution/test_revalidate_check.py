"""How revalidation checks a connector write without calling it: the rendered input against the action's
input schema (the field named), expression errors, a missing connection. No database, no HTTP: the
context has no connections at all, so a call could not happen."""

from __future__ import annotations

from flowbuilder.execution.revalidate import check_call
from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.connector_nodes import make_node_class
from flowbuilder.planning.plan import NodeSpec
from tests.support.fake_connectors import AcmeCRM

UPSERT = make_node_class(AcmeCRM, next(a for a in AcmeCRM.actions if a.key == "upsert"))
CTX = NodeContext(run_id=1, node_id="write", organisation_id=1)  # no connection, no HTTP client


def spec(**config) -> NodeSpec:
    return NodeSpec(type=UPSERT.type, config={"connection": "c1", **config})


def test_a_rendered_input_that_matches_the_schema_passes():
    assert check_call(UPSERT, spec(name="{{ $item.title }}"), CTX, {"title": "Acme"}, 0) == ("pass", "", "")


def test_a_required_field_missing_or_of_the_wrong_type_names_the_field():
    verdict, field, reason = check_call(UPSERT, spec(), CTX, {"title": "Acme"}, 0)
    assert (verdict, field) == ("fail", "name") and "required" in reason
    verdict, field, reason = check_call(UPSERT, spec(name="{{ $item.count }}"), CTX, {"count": 3}, 0)
    assert (verdict, field) == ("fail", "name") and "string" in reason


def test_an_expression_error_and_a_missing_connection_fail():
    verdict, _, reason = check_call(UPSERT, spec(name="{{ $item.title * 2 }}"), CTX, {"title": "x"}, 0)
    assert verdict == "fail" and reason
    no_connection = NodeSpec(type=UPSERT.type, config={"name": "Acme"})
    assert check_call(UPSERT, no_connection, CTX, {}, 0)[:2] == ("fail", "connection")


def test_connector_reads_count_as_outside_calls_and_mapping_does_not():
    from flowbuilder.execution.revalidate import calls_outside

    assert calls_outside("crm.salesforce.query")  # a read: no side effects declared, still never called
    assert calls_outside("crm.salesforce.upsert") and calls_outside("http.request")
    assert not calls_outside("transform.map") and not calls_outside("transform.filter")
