from __future__ import annotations

import pytest

from flowbuilder.nodes.base import NodeContext
from flowbuilder.nodes.registry import load_registry


@pytest.fixture(scope="session")
def registry():
    return load_registry()


@pytest.fixture
def ctx() -> NodeContext:
    return NodeContext(run_id=7, node_id="n1", organisation_id=1)


@pytest.fixture
def make_node(registry):
    def make(type_id: str, config: dict):
        return registry.get(type_id)(config)

    return make
