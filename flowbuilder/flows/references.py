"""Template parameters that name ERP records (item ids, tax codes, currencies, subsidiaries) are checked
against the customer's ERP: when a template is cloned or rolled out, and again when the flow is published.

A value parameter declares what its value names::

    {"name": "items", "kind": "value", "pointer": "/nodes/plan/config/items",
     "references": {"connection": "netsuite", "values": "item", "keys": "subsidiary"}}

``values``: the kind of record every scalar in the value names (in a dict, its leaves); ``keys``
(optional): the kind the value's top-level keys name (a table per subsidiary). ``connection``: the
connection slot whose connection is asked (the connector's ``find_references``). A missing record is a
problem named per parameter ("item for items['1']['time'] (id 99) not found in NetSuite 'sandbox-acme'");
a slot not bound yet (or a connection not connected yet, or an ERP that does not answer) makes the check
*pending*: it runs again at publish (:func:`check_before_publish`), where a missing record refuses the
publish.
"""

from __future__ import annotations

import logging
from typing import Any

from flowbuilder.core.errors import InvalidInputError

from .graph_diff import MISSING, get_at, nodes_by_id

KINDS = ("item", "tax_code", "currency", "subsidiary", "company", "tax_group")
LABELS = {"tax_code": "tax code", "tax_group": "tax group"}
MAX_REFERENCES = 200

log = logging.getLogger(__name__)


def check_declaration(spec: Any, slots: dict[str, dict], where: str) -> dict[str, Any]:
    """The normalised ``references`` of a value parameter; InvalidInputError naming the field."""
    if not isinstance(spec, dict):
        raise InvalidInputError("references is an object.", field=f"{where}.references")
    connection, values, keys = spec.get("connection"), spec.get("values"), spec.get("keys")
    if connection not in slots:
        raise InvalidInputError(
            "references.connection names a connection slot of this template.",
            field=f"{where}.references.connection",
        )
    for name, kind in (("values", values), ("keys", keys)):
        if kind is not None and kind not in KINDS:
            raise InvalidInputError(
                f"references.{name} is one of {', '.join(KINDS)}.", field=f"{where}.references.{name}"
            )
    if values is None and keys is None:
        raise InvalidInputError("references names values or keys.", field=f"{where}.references")
    return {"connection": connection, "values": values, "keys": keys}


def _wanted(name: str, value: Any, spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, key, label) for every record the value names."""
    out: list[tuple[str, str, str]] = []

    def leaves(v: Any, label: str) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                leaves(sub, f"{label}[{k!r}]")
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                leaves(sub, f"{label}[{i}]")
        elif v not in (None, "") and not isinstance(v, bool) and spec["values"]:
            out.append((spec["values"], str(v), label))

    if spec.get("keys") and isinstance(value, dict):
        for k, sub in value.items():
            if k not in ("default", "*"):
                out.append((spec["keys"], str(k), f"{name}[{k!r}]"))
            leaves(sub, f"{name}[{k!r}]")
    else:
        leaves(value, name)
    return [w for w in out if w[1] != "*"][:MAX_REFERENCES]


def _connection_ref(document: dict[str, Any], slot: dict[str, Any]) -> str:
    nodes = nodes_by_id(document)
    for nid in slot.get("nodes") or []:
        ref = ((nodes.get(nid) or {}).get("config") or {}).get("connection")
        if ref:
            return str(ref)
    return ""


def check(
    organisation_id: int, parameters: list[dict[str, Any]], document: dict[str, Any]
) -> tuple[dict[str, list[str]], list[str]]:
    """(problems by parameter name, names whose check waits for a connection) for ``document`` (the
    rendered flow: values are read at the parameters' pointers, connections from the slots' nodes)."""
    from flowbuilder.credentials.models import Connection
    from flowbuilder.credentials.runtime import open_connection, parse_connection_id

    slots = {p["name"]: p for p in parameters if p.get("kind") == "connection"}
    problems: dict[str, list[str]] = {}
    pending: list[str] = []
    for p in parameters:
        spec = p.get("references")
        if p.get("kind") != "value" or not spec or spec.get("connection") not in slots:
            continue
        value = get_at(document, p["pointer"])
        wanted = _wanted(p["name"], None if value is MISSING else value, spec)
        if not wanted:
            continue
        ref = _connection_ref(document, slots[spec["connection"]])
        pk = parse_connection_id(ref) if ref else None
        row = Connection.objects.filter(pk=pk, organisation_id=organisation_id).first() if pk else None
        if row is None:
            pending.append(p["name"])
            continue
        try:
            handle = open_connection(organisation_id, ref)
            system = handle.connector.name
            by_kind: dict[str, set[str]] = {}
            for kind, key, _ in wanted:
                by_kind.setdefault(kind, set()).add(key)
            found = {kind: handle.find_references(kind, sorted(keys)) for kind, keys in by_kind.items()}
        except Exception as exc:  # not connected yet, or the ERP did not answer: checked later
            log.info(
                "references of %s not checked: %s", p["name"], getattr(exc, "message", type(exc).__name__)
            )
            pending.append(p["name"])
            continue
        for kind, key, label in wanted:
            if key not in found.get(kind, {}):
                problems.setdefault(p["name"], []).append(
                    f"{LABELS.get(kind, kind)} for {label} (id {key}) not found in {system} {row.name!r}."
                )
    return problems, pending


def check_before_publish(flow: Any, document: dict[str, Any]) -> None:
    """A flow cloned from a template publishes only with ERP references that exist; InvalidInputError
    names the first parameter with a problem (the message lists them all)."""
    from .models import TemplateInstance

    instance = TemplateInstance.objects.filter(flow=flow).select_related("based_on").first()
    if instance is None or not any(p.get("references") for p in instance.based_on.parameters or []):
        return
    problems, _ = check(flow.organisation_id, instance.based_on.parameters, document)
    if problems:
        first = next(iter(problems))
        text = " ".join(m for messages in problems.values() for m in messages)
        raise InvalidInputError(
            f"Template parameters name records the ERP does not have: {text}", field=first
        )
