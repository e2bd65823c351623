"""Read an ERP customer's billing setup and say what is missing, before anything is built on it.

A project is billed through its ERP customer: without payment terms, a currency, an entity (NetSuite
subsidiary; a Business Central company is the connection's) or, where the entity charges VAT, a tax
registration, the first invoice would be wrong or refused. Quote to project reads the customer right after
it is found or created and routes the deal to a ``billing_setup`` exception (``flow.exception``) when
``setup_missing`` is not empty, so no PSA project is created for a customer finance cannot invoice yet.

Shapes read (the vendors' documented records):

* NetSuite customer (REST record, ``expandSubResources=true``): ``terms``, ``currency`` (with the ISO
  ``symbol`` the connector adds), ``subsidiary`` references, and the SuiteTax ``taxRegistration`` sublist
  (``items[].taxRegistrationNumber``).
* Business Central customer (API v2.0): ``paymentTermsId`` (the empty GUID is none), ``currencyCode``
  (blank means the company's local currency, which is a currency), ``taxRegistrationNumber``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import BaseNode, NodeContext, PortItems
from ._helpers import require_main

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"


def _ref_id(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("id")
    return "" if value in (None, "") else str(value)


def netsuite_setup(record: dict[str, Any], vat_entities: list[str]) -> dict[str, Any]:
    subsidiary = _ref_id(record.get("subsidiary"))
    currency = record.get("currency") if isinstance(record.get("currency"), dict) else {}
    lines = (
        (record.get("taxRegistration") or {}).get("items")
        if isinstance(record.get("taxRegistration"), dict)
        else None
    )
    registered = any(str(line.get("taxRegistrationNumber") or "").strip() for line in lines or [])
    missing = []
    if subsidiary and ("*" in vat_entities or subsidiary in vat_entities) and not registered:
        missing.append("tax registration")
    if not _ref_id(record.get("terms")):
        missing.append("payment terms")
    if not _ref_id(currency):
        missing.append("currency")
    if not subsidiary:
        missing.append("subsidiary")
    return {
        "customer_id": _ref_id(record.get("id")),
        "customer_currency": str(currency.get("symbol") or ""),
        "customer_terms": _ref_id(record.get("terms")),
        "customer_entity": subsidiary,
        "tax_registered": registered,
        "setup_missing": missing,
    }


def dynamics_setup(record: dict[str, Any], vat_entities: list[str], company: str) -> dict[str, Any]:
    terms = str(record.get("paymentTermsId") or "")
    registered = bool(str(record.get("taxRegistrationNumber") or "").strip())
    missing = []
    if ("*" in vat_entities or (company and company in vat_entities)) and not registered:
        missing.append("tax registration")
    if not terms or terms == EMPTY_GUID:
        missing.append("payment terms")
    return {
        "customer_id": _ref_id(record.get("id")),
        "customer_currency": str(record.get("currencyCode") or ""),  # blank: the local currency
        "customer_terms": "" if terms == EMPTY_GUID else terms,
        "customer_entity": company,
        "tax_registered": registered,
        "setup_missing": missing,
    }


class CustomerBillingSetup(BaseNode):
    type = "billing.customer_setup"
    label = "Check customer billing setup"
    category = "Billing"
    icon = "clipboard-check"
    description = (
        "Read an ERP customer's tax registration, payment terms, currency and entity; list what is missing."
    )
    docs = (
        "Input: ERP customer records (NetSuite customer read with sublists, or a Business Central customer). "
        "Output: one item per customer with `customer_id`, `customer_currency`, `customer_terms`, "
        "`customer_entity`, `tax_registered` and **`setup_missing`** (a list: tax registration, payment "
        "terms, currency, subsidiary). **Tax registration required in** lists the entities (NetSuite "
        "subsidiary ids, or the Business Central company name) that charge VAT, `*` for all. Route items "
        "whose `setup_missing` is not empty to an *Exception to the inbox* node (category `billing_setup`)."
    )
    config_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "system": {
                "type": "string",
                "title": "ERP",
                "enum": ["netsuite", "dynamics"],
                "default": "netsuite",
            },
            "tax_registration_entities": {
                "type": "array",
                "title": "Tax registration required in (entities)",
                "items": {"type": "string"},
                "default": [],
            },
            "company": {"type": "string", "title": "Company (Business Central)", "default": ""},
            "id_field": {"type": "string", "title": "Customer id field", "default": "customer_id"},
        },
        "additionalProperties": False,
    }

    def run(self, ctx: NodeContext, inputs: PortItems) -> PortItems:
        entities = [str(e) for e in self.config.get("tax_registration_entities") or []]
        id_field = self.config.get("id_field") or "customer_id"
        out = []
        for record in require_main(inputs):
            record = record if isinstance(record, dict) else {}
            if self.config.get("system") == "dynamics":
                setup = dynamics_setup(record, entities, str(self.config.get("company") or ""))
            else:
                setup = netsuite_setup(record, entities)
            if id_field != "customer_id":
                setup[id_field] = setup.pop("customer_id")
            out.append(setup)
        return {"main": out}
