"""Duplicate detection before an ERP write: link a source customer to the target's, create it, or ask.

``sync.match_customer`` places each item's customer (canonical shape, at **Customer field**) against the
target ERP's customers:

1. Already linked in the cross-reference store: out on **main** with the target id. No call to the ERP.
2. Else the ERP is searched for candidates through the connection (NetSuite: SuiteQL on ``customer``;
   Business Central: ``customers`` with an OData ``contains``) on the name's longest word and the website's
   domain, and the store scores them (``flowbuilder.core.matching``) and remembers what it decided:

   * one exact match (same name and domain or tax id, or the same tax id): linked, out on **main**;
   * nothing similar, or a person decided "create new" before: out on **create** (the flow creates the
     customer and links it, e.g. with ``sync.upsert_crossref``);
   * near matches: a match review is opened and the item is held on **held**: the engine records it in
     the failure inbox (category ``needs_review``) and nothing downstream runs for it. Once a person
     decides in Match reviews, replaying the item (or the next poll) follows the decision.
"""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.errors import ConnectorError
from flowbuilder.core import matching
from flowbuilder.core.errors import FlowbuilderError, NodeError

from ..base import BaseNode, NodeContext, Port, PortItems
from ..connector_nodes import _to_node_error
from ..expressions import render_template
from ._helpers import get_path, item_bindings, require_main, set_path

_NAME = {"type": "string", "minLength": 1, "maxLength": 64}
HELD_PORT = "held"  # near matches wait here for a person (an exception port: each is an inbox record)
SYSTEM_LABEL = {"salesforce": "Salesforce", "netsuite": "NetSuite", "dynamics": "Business Central"}


_COLUMNS = "id, companyname, url, phone, email, defaultaddress, externalid"


def _sql(text: str) -> str:
    return text.replace("'", "''")


def _netsuite_candidates(handle: Any, word: str, domain: str, limit: int) -> list[dict[str, Any]]:
    conditions = []
    if word:
        conditions.append(f"UPPER(companyname) LIKE '%{_sql(word.upper())}%'")
    if domain:
        conditions.append(f"LOWER(url) LIKE '%{_sql(domain.lower())}%'")
    # The word and domain are normalised (letters, digits, dots, hyphens) and quotes are doubled anyway.
    where = " OR ".join(conditions)
    query = f"SELECT {_COLUMNS} FROM customer WHERE isinactive = 'F' AND ({where}) ORDER BY id"  # noqa: S608
    rows = handle.run_action("suiteql", {"query": query, "max_records": limit}) or []
    return [
        {
            "id": str(row.get("id")),
            "name": row.get("companyname"),
            "website": row.get("url"),
            "phone": row.get("phone"),
            "email": row.get("email"),
            "address": row.get("defaultaddress"),
            "external_id": row.get("externalid"),
        }
        for row in rows
        if isinstance(row, dict)
    ]


def _odata(text: str) -> str:
    return text.replace("'", "''")


def _dynamics_candidates(handle: Any, name: str, word: str, domain: str, limit: int) -> list[dict[str, Any]]:
    conditions = []
    if word:  # contains() is case-sensitive: the word as written in the name, capitalised and upper case
        start = name.lower().find(word)
        as_written = name[start : start + len(word)] if start >= 0 else word
        for variant in dict.fromkeys((as_written, word.capitalize(), word.upper())):
            conditions.append(f"contains(displayName,'{_odata(variant)}')")
    if domain:
        conditions.append(f"contains(website,'{_odata(domain)}')")
    params = {
        "entity_set": "customers",
        "filter": " or ".join(conditions),
        "select": "id,number,displayName,website,phoneNumber,email,taxRegistrationNumber,"
        "addressLine1,city,postalCode,country",
        "max_records": limit,
    }
    rows = handle.run_action("list_records", params) or []
    return [
        {
            "id": str(row.get("id")),
            "number": row.get("number"),
            "name": row.get("displayName"),
            "website": row.get("website"),
            "phone": row.get("phoneNumber"),
            "email": row.get("email"),
            "tax_id": row.get("taxRegistrationNumber"),
            "address": {
                "street": row.get("addressLine1"),
                "city": row.get("city"),
                "postal_code": row.get("postalCode"),
                "country": row.get("country"),
            },
        }
        for row in rows
        if isinstance(row, dict)
    ]


class MatchCustomer(BaseNode):
    type = "sync.match_customer"
    label = "Match customer (duplicate check)"
    category = "Flow"
    icon = "users"
    description = "Link to the ERP's existing customer, create a new one, or hold it for a person's review."
    docs = (
        "For each item, finds the **Target system**'s customer that is the **Customer field**'s customer:\n\n"
        "* already linked (cross-reference store): out on **Matched** with the id in **Write id to field**;\n"
        "* one exact match in the ERP (same name and the same website domain or tax id, or the same tax "
        "id): linked now, out on **Matched**;\n"
        "* nothing similar (or a person chose *create new* before): out on **New** - create it there;\n"
        "* only similar customers (e.g. *Acme, Inc.* and *Acme Inc* without a website to confirm): held "
        "for a person. The item shows in the failure inbox as *Needs a person's review*; decide in "
        "**Match reviews** (link or create new), then replay it.\n\n"
        "Names are compared without case, punctuation or legal forms (Inc, LLC, Ltd, GmbH, ...)."
    )
    outputs = (Port("main", "Matched"), Port("create", "New"), Port(HELD_PORT, "Held for review"))
    exception_ports = (HELD_PORT,)  # held items are failure-inbox records (needs_review) for a person
    side_effects = True  # reads the ERP and writes links
    default_retry: ClassVar[dict[str, float]] = {"max_attempts": 3, "backoff_s": 2.0}
    config_schema: ClassVar[dict] = {
        "type": "object",
        "required": ["connection", "source_system", "source_id", "target_system"],
        "additionalProperties": False,
        "properties": {
            "connection": {
                "type": "string",
                "title": "Connection (target system)",
                "minLength": 1,
                "x-widget": "connection-picker",
            },
            "entity": {**_NAME, "title": "Entity", "default": "customer"},
            "source_system": {**_NAME, "title": "Source system", "description": "e.g. salesforce"},
            "source_id": {
                "type": "string",
                "title": "Source id",
                "minLength": 1,
                "description": "The record's id in the source system, e.g. {{ $item.Id }}",
                "x-expression": True,
            },
            "target_system": {
                "type": "string",
                "title": "Target system",
                "enum": ["netsuite", "dynamics"],
                "description": "Where customers are searched: NetSuite or Business Central (dynamics).",
            },
            "customer_field": {
                "type": "string",
                "title": "Customer field",
                "description": "Dot path to the canonical customer on the item (name, website, tax_id, "
                "phone, email, address).",
                "default": "customer",
                "minLength": 1,
            },
            "target_field": {
                "type": "string",
                "title": "Write id to field",
                "description": "Dot path on the item that receives the target system's customer id.",
                "default": "target_id",
                "minLength": 1,
            },
            "max_candidates": {
                "type": "integer",
                "title": "Candidates to compare",
                "minimum": 1,
                "maximum": 200,
                "default": 50,
            },
        },
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        items = require_main(inputs)
        out: dict[str, list[dict[str, Any]]] = {"main": [], "create": [], HELD_PORT: []}
        if not items:
            return out
        if ctx.crossref is None or ctx.connection is None:
            raise NodeError("Cross-references are not available here.", hint="Run the flow through a worker.")
        opened: list[Any] = []

        def handle() -> Any:  # opened once, and only if some item is not linked yet
            if not opened:
                opened.append(ctx.connection(str(self.config["connection"])))
            return opened[0]

        try:
            for index, item, bindings in item_bindings(ctx, items):
                source_id = render_template(self.config["source_id"], bindings)
                if source_id in (None, ""):
                    raise NodeError(f"Item {index}: the source id is empty.", field="source_id")
                port, new = self._place(ctx, index, item, str(source_id), handle)
                out[port].append(new)
                ctx.heartbeat()
        except ConnectorError as exc:
            raise _to_node_error(exc) from exc
        except NodeError:
            raise
        except FlowbuilderError as exc:  # a link conflict from the store
            raise NodeError(exc.message, hint=exc.hint, field=exc.field) from exc
        return out

    def _place(
        self, ctx: NodeContext, index: int, item: dict[str, Any], source_id: str, handle_of: Any
    ) -> tuple[str, dict[str, Any]]:
        entity = self.config.get("entity") or "customer"
        source_system, target_system = self.config["source_system"], self.config["target_system"]
        target_field = self.config.get("target_field") or "target_id"
        linked = ctx.crossref.lookup(entity, source_system, source_id, target_system)
        new = dict(item)
        if linked is not None:
            set_path(new, target_field, linked)
            return "main", new
        path = self.config.get("customer_field") or "customer"
        customer = get_path(item, path)
        if not isinstance(customer, dict) or not customer.get("name"):
            raise NodeError(
                f"Item {index}: no customer with a name at {path!r}.",
                field="customer_field",
                hint="Point Customer field at the canonical customer (e.g. after Account to canonical).",
            )
        candidates = self._candidates(handle_of(), customer)
        answer = ctx.crossref.match(
            entity,
            source_system,
            source_id,
            target_system,
            source=customer,
            candidates=candidates,
            node_id=ctx.node_id,
            item_index=index,
        )
        new["match"] = {k: answer[k] for k in ("how", "review_id", "score") if k in answer}
        if answer["outcome"] == "linked":
            set_path(new, target_field, answer["target_id"])
            return "main", new
        if answer["outcome"] == "create":
            set_path(new, target_field, None)
            return "create", new
        best = answer.get("best") or {}
        source_label = SYSTEM_LABEL.get(source_system, source_system)
        target_label = SYSTEM_LABEL.get(target_system, target_system)
        message = (
            f"{source_label} {entity} {source_id} ({customer.get('name')!r}) looks like "
            f"{answer.get('candidates', 0)} existing {target_label} {entity}(s)"
            + (
                f", best {best.get('id')} at {best.get('score'):.0%} ({'; '.join(best.get('reasons', []))})"
                if best
                else ""
            )
            + f". Decide in Match reviews (review {answer.get('review_id')}): link it to the existing "
            f"{entity} or create a new one, then replay this item."
        )
        new["exception"] = {
            "category": "needs_review",
            "problem": message,
            "what_to_fix": "Open Match reviews, compare the records side by side, choose Link or Create new.",
            "review_id": answer.get("review_id"),
            "item_index": index,
        }
        return HELD_PORT, new

    def _candidates(self, handle: Any, customer: dict[str, Any]) -> list[dict[str, Any]]:
        word = matching.blocking_word(customer)
        domain = matching.normalise_domain(customer.get("website"))
        if not word and not domain:
            return []
        limit = int(self.config.get("max_candidates") or 50)
        if self.config["target_system"] == "dynamics":
            return _dynamics_candidates(handle, str(customer.get("name") or ""), word, domain, limit)
        return _netsuite_candidates(handle, word, domain, limit)
