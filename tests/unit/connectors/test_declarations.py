"""Declarations: registry, node type ids, schemas with titles, icons and READMEs beside each connector."""

from __future__ import annotations

from pathlib import Path

import pytest

import connectors
from connectors.base import check_connector
from connectors.registry import BUILTIN_CONNECTORS, ConnectorRegistry
from flowbuilder.nodes.connector_nodes import make_node_class, node_type_id

ROOT = Path(connectors.__file__).parent
FOLDERS = {
    "salesforce": "crm/salesforce",
    "certinia": "psa/certinia",
    "kantata": "psa/kantata",
    "netsuite": "erp/netsuite",
    "dynamics": "erp/dynamics",
}


@pytest.fixture(scope="module")
def builtins():
    registry = ConnectorRegistry()
    registry.load_builtins(BUILTIN_CONNECTORS)
    return {c.key: c for c in registry if c.key in FOLDERS}


def test_all_registered_and_valid(builtins):
    assert set(builtins) == set(FOLDERS)
    for connector in builtins.values():
        assert check_connector(connector) == []
        assert connector.triggers, connector.key
        folder = ROOT / FOLDERS[connector.key]
        assert (folder / "icon.svg").read_text().startswith("<svg") and connector.icon == connector.key
        assert (folder / "README.md").exists()


def test_node_type_ids(builtins):
    ids = {node_type_id(c, a) for c in builtins.values() for a in c.actions}
    for expected in (
        "crm.salesforce.query",
        "crm.salesforce.upsert_many",
        "psa.certinia.upsert_timecard",
        "psa.kantata.create_time_entry",
        "erp.netsuite.suiteql",
        "erp.dynamics.update_record",
    ):
        assert expected in ids
    node = make_node_class(builtins["netsuite"], builtins["netsuite"].action("upsert_record"))
    assert node.side_effects and node.config_schema["required"][0] == "connection"


def test_inputs_have_titles_and_writes_are_marked(builtins):
    for connector in builtins.values():
        for action in connector.actions:
            assert action.description and action.name
            for name, spec in action.input_schema.get("properties", {}).items():
                assert spec.get("title"), f"{connector.key}.{action.key}.{name} has no title"
            verb = action.key.split("_")[0]
            if verb in ("create", "update", "upsert", "delete", "find", "post", "invoice", "set"):
                assert action.writes, f"{connector.key}.{action.key} must be writes=True"
            else:
                assert not action.writes
