"""To / from the canonical model: pure nodes over ``connectors.canonical``.

``canonical.to`` turns a system's records (as its connector actions return them) into canonical
entities; ``canonical.from`` turns canonical entities into the fields that system's create/upsert actions
take. Both are deterministic over their input (``side_effects`` False), so the executor may recompute
them on resume.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.canonical import from_canonical, mappers_for, to_canonical, validate_canonical
from connectors.errors import ConnectorError
from flowbuilder.core.errors import NodeError

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import get_path, require_main, set_path

SYSTEMS = sorted({m.system for m in mappers_for()})
ENTITIES = sorted({m.entity for m in mappers_for()})
PAIRS = ", ".join(f"{m.system}/{m.entity}" for m in mappers_for())


def _base_schema(field: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["system", "entity"],
        "additionalProperties": False,
        "properties": {
            "system": {"type": "string", "title": "System", "enum": SYSTEMS},
            "entity": {"type": "string", "title": "Entity", "enum": ENTITIES},
            **field,
        },
    }


def _pair_findings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    system, entity = config.get("system"), config.get("entity")
    if system in SYSTEMS and entity in ENTITIES and not mappers_for(system, entity):
        return [("entity", f"There is no canonical mapping for {system}/{entity}. Available: {PAIRS}.")]
    return []


class _CanonicalNode(BaseNode):
    category = "Transform"
    icon = "repeat"
    source_field_name: ClassVar[str]

    @classmethod
    def extra_findings(cls, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        return _pair_findings(config)

    def convert(self, value: Mapping[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        out: list[dict[str, Any]] = []
        source = str(self.config.get(self.source_field_name) or "")
        target = str(self.config.get("target_field") or "")
        for index, item in enumerate(require_main(inputs)):
            value = get_path(item, source) if source else item
            if not isinstance(value, Mapping):
                raise NodeError(
                    f"Item {index}: {source or 'the item'} is not an object.", field=self.source_field_name
                )
            try:
                result = self.convert(value)
            except ConnectorError as exc:  # an unknown pair or an invalid canonical record
                raise NodeError(f"Item {index}: {exc.message}", hint=exc.hint) from exc
            if target:
                new = dict(item)
                set_path(new, target, result)
                out.append(new)
            else:
                out.append(result)
        return {"main": out}


_TARGET = {
    "type": "string",
    "title": "Write result to field",
    "description": "Dot path on the item; empty: the item is replaced by the result.",
    "default": "",
}


class ToCanonical(_CanonicalNode):
    type = "canonical.to"
    label = "To canonical"
    description = "Turn a system's records into canonical entities (customer, project, invoice, ...)."
    docs = (
        "Maps each item, a record as the **System**'s connector returns it, to the canonical **Entity** "
        "(the shared quote-to-cash model: `source_system`, `source_id`, `external_id`, amounts with "
        "currency, ISO dates).\n\n"
        "* **Record field**: where the record is on the item (empty: the item itself).\n"
        "* **Validate**: check the result against the canonical JSON Schema and fail the step if it "
        "does not match.\n\n"
        f"Available mappings: {PAIRS}."
    )
    source_field_name = "record_field"
    config_schema: ClassVar[dict] = _base_schema(
        {
            "record_field": {
                "type": "string",
                "title": "Record field",
                "description": "Dot path of the record on the item; empty: the whole item.",
                "default": "",
            },
            "target_field": _TARGET,
            "validate": {"type": "boolean", "title": "Validate against the schema", "default": False},
        }
    )

    def convert(self, value: Mapping[str, Any]) -> dict[str, Any]:
        entity = self.config["entity"]
        canonical = to_canonical(self.config["system"], entity, value)
        if self.config.get("validate"):
            validate_canonical(entity, canonical)
        return canonical


class FromCanonical(_CanonicalNode):
    type = "canonical.from"
    label = "From canonical"
    description = "Turn canonical entities into the fields a system's create/upsert actions take."
    docs = (
        "Maps each canonical **Entity** to the **System**'s record fields, ready for that connector's "
        "create or upsert action (unset values are left out).\n\n"
        "* **Canonical field**: where the canonical entity is on the item (empty: the item itself).\n\n"
        f"Available mappings: {PAIRS}."
    )
    source_field_name = "canonical_field"
    config_schema: ClassVar[dict] = _base_schema(
        {
            "canonical_field": {
                "type": "string",
                "title": "Canonical field",
                "description": "Dot path of the canonical entity on the item; empty: the whole item.",
                "default": "",
            },
            "target_field": _TARGET,
        }
    )

    def convert(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return from_canonical(self.config["system"], self.config["entity"], value)
