"""The frozen node-type registry: filled once at start-up, read-only afterwards.

Built-in node types are listed below as dotted paths (the way ``connectors.registry`` lists built-in
connectors), so the builtins never import this module and registering is explicit; every connector
action and polling trigger becomes a node type through ``flowbuilder.nodes.connector_nodes``. After
the registry freezes a registration raises, so no code path can change the palette while runs execute.
"""

from __future__ import annotations

from flowbuilder.core.registry import Registry

from .base import BaseNode
from .connector_nodes import register_connector_nodes

_BUILTINS = "flowbuilder.nodes.builtins"
# Add a line here when a node type ships inside this repository.
BUILTIN_NODE_TYPES: tuple[str, ...] = (
    f"{_BUILTINS}.aggregate:AggregateItems",
    f"{_BUILTINS}.billing:PlanInvoices",
    f"{_BUILTINS}.billing_setup:CustomerBillingSetup",
    f"{_BUILTINS}.batching:SplitBatches",
    f"{_BUILTINS}.canonical:ToCanonical",
    f"{_BUILTINS}.canonical:FromCanonical",
    f"{_BUILTINS}.crossref:UpsertCrossref",
    f"{_BUILTINS}.crossref_lookup:LookupCrossref",
    f"{_BUILTINS}.exceptions:RaiseException",
    f"{_BUILTINS}.match_customer:MatchCustomer",
    f"{_BUILTINS}.filtering:FilterItems",
    f"{_BUILTINS}.flow_control:SubflowNode",
    f"{_BUILTINS}.flow_control:NoopNode",
    f"{_BUILTINS}.waiting:WaitNode",
    f"{_BUILTINS}.waiting:ApprovalNode",
    f"{_BUILTINS}.http_request:HttpRequest",
    f"{_BUILTINS}.logic:IfNode",
    f"{_BUILTINS}.logic:SwitchNode",
    f"{_BUILTINS}.logic:MergeNode",
    f"{_BUILTINS}.mapping:MapFields",
    f"{_BUILTINS}.ordering:SortItems",
    f"{_BUILTINS}.dedupe:DedupeItems",
    f"{_BUILTINS}.explode:ExplodeList",
    f"{_BUILTINS}.triggers:ManualTrigger",
    f"{_BUILTINS}.triggers:WebhookTrigger",
    f"{_BUILTINS}.triggers:ScheduleTrigger",
)


class NodeRegistry(Registry[str, type[BaseNode]]):
    """Node classes by type id, listed by category and label (the palette's order)."""

    def __init__(self) -> None:
        super().__init__("node type", key=lambda cls: cls.type, order=lambda cls: (cls.category, cls.label))


node_registry = NodeRegistry()


def _fill(registry: Registry[str, type[BaseNode]]) -> None:
    registry.load_builtins(BUILTIN_NODE_TYPES)
    register_connector_nodes(registry)


def load_registry() -> NodeRegistry:
    """Register the built-ins and the connector nodes once, then freeze. Safe to call repeatedly."""
    node_registry.fill_once(_fill)
    return node_registry
