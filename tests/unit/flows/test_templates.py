"""Pure template helpers: scrubbing credentials, declaring parameters, rendering a customer's copy."""

from __future__ import annotations

import pytest

from flowbuilder.core.errors import InvalidInputError
from flowbuilder.flows.templates import check_parameters, render_document, scrub_document
from tests.support.documents import document, node


def doc() -> dict:
    return document(
        [
            node("q", "crm.salesforce.query", {"connection": "conn_7", "soql": '"x"'}),
            node(
                "h", "http.request", {"url": "u", "headers": {"Authorization": "Bearer s", "X-Api-Key": "k"}}
            ),
            node("m", "transform.map", {"fields": [{"name": "a", "value": "1"}], "client_secret": "s"}),
        ],
        [],
    )


def test_scrub_unbinds_connections_and_empties_secrets_without_mutating():
    original = doc()
    scrubbed = scrub_document(original)
    assert scrubbed["nodes"][0]["config"] == {"connection": "", "soql": '"x"'}
    assert scrubbed["nodes"][1]["config"]["headers"] == {"Authorization": "", "X-Api-Key": ""}
    assert scrubbed["nodes"][2]["config"]["client_secret"] == ""
    assert original["nodes"][0]["config"]["connection"] == "conn_7"


def test_parameters_are_normalised_with_defaults():
    params = check_parameters(
        [
            {"name": "crm", "kind": "connection", "connector": "salesforce", "nodes": ["q"]},
            {"name": "soql", "pointer": "/nodes/q/config/soql", "required": True},
        ],
        doc(),
    )
    assert params[1] == {
        "name": "soql",
        "kind": "value",
        "description": "",
        "required": True,
        "pointer": "/nodes/q/config/soql",
        "default": '"x"',
    }


@pytest.mark.parametrize(
    "bad",
    [
        "not a list",
        [{"name": "a", "pointer": "/nodes/q/id"}],
        [{"name": "a", "pointer": "/nodes/h/config/headers/Authorization"}],
        [{"name": "a", "pointer": "/edges/e1"}],
        [{"name": "a", "pointer": "/nodes/q/config/nested/deep"}],
        [{"name": "a", "kind": "connection", "connector": "salesforce", "nodes": ["ghost"]}],
        [{"name": "a", "pointer": "/nodes/q/config/soql"}, {"name": "a", "pointer": "/nodes/q/config/soql"}],
        [{"name": "a", "kind": "secret"}],
    ],
)
def test_bad_declarations_are_refused(bad):
    with pytest.raises(InvalidInputError):
        check_parameters(bad, doc())


def test_render_applies_values_and_bindings():
    params = check_parameters(
        [
            {"name": "crm", "kind": "connection", "connector": "salesforce", "nodes": ["q"]},
            {"name": "soql", "pointer": "/nodes/q/config/soql"},
        ],
        doc(),
    )
    base = scrub_document(doc())
    rendered = render_document(base, params, {"crm": 42, "soql": '"y"'})
    assert rendered["nodes"][0]["config"] == {"connection": "conn_42", "soql": '"y"'}
    assert render_document(base, params, {"crm": None})["nodes"][0]["config"] == {
        "connection": "",
        "soql": '"x"',
    }
