"""Salesforce CRM objects <-> canonical customer, contact, opportunity (+ lines), as field tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.canonical.convert import always, iso_datetime, num, text
from connectors.canonical.fields import Computed, Field, FieldTable, Mapper

SYSTEM = "salesforce"

BASE = (
    Computed("source_system", always(SYSTEM)),
    Field("source_id", "Id", read=text, write=None),
    Field("external_id", "External_Id__c", read=text),
    Field("updated_at", "LastModifiedDate", read=iso_datetime, write=None),
)

ACCOUNT = FieldTable(
    *BASE,
    Field("name", "Name"),
    Field("number", "AccountNumber", read=text),
    Field("phone", "Phone"),
    Field("website", "Website"),
    Field("industry", "Industry"),
    Field("address.street", "BillingStreet"),
    Field("address.city", "BillingCity"),
    Field("address.state", "BillingState"),
    Field("address.postal_code", "BillingPostalCode"),
    Field("address.country", "BillingCountry"),
    Field("parent_id", "ParentId", write=None),
)

CONTACT = FieldTable(
    *BASE,
    Field("first_name", "FirstName"),
    Field("last_name", "LastName"),
    Field("email", "Email"),
    Field("phone", "Phone"),
    Field("title", "Title"),
    Field("customer_id", "AccountId"),
)

# Opportunity lines are read only: they are written separately as OpportunityLineItem records.
OPPORTUNITY_LINE = FieldTable(
    Field("source_id", "Id", read=text, write=None),
    Field("product_code", "ProductCode", write=None),
    Computed("description", lambda line: line.get("Description") or line.get("Name")),
    Field("quantity", "Quantity", read=num, write=None),
    Field("unit_price", "UnitPrice", read=num, write=None),
    Field("amount", "TotalPrice", read=num, write=None),
    Field("service_date", "ServiceDate", write=None),
)


def _line_records(r: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Lines from a sub-query (``OpportunityLineItems: {records: [...]}``) or a plain ``lines`` list."""
    sub = r.get("OpportunityLineItems")
    if isinstance(sub, Mapping):
        return list(sub.get("records") or [])
    return list(sub or r.get("lines") or [])


OPPORTUNITY = FieldTable(
    *BASE,
    Field("name", "Name"),
    Field("customer_id", "AccountId"),
    Field("stage", "StageName"),
    Field("close_date", "CloseDate"),
    Field("amount", "Amount", read=num),
    Field("probability", "Probability", read=num),
    Field("won", "IsWon", write=None),
    Field("closed", "IsClosed", write=None),
    Computed("lines", lambda r: [OPPORTUNITY_LINE.to_canonical(line) for line in _line_records(r)]),
)

MAPPINGS = (
    Mapper(SYSTEM, "customer", "Account", ACCOUNT),
    Mapper(SYSTEM, "contact", "Contact", CONTACT),
    Mapper(SYSTEM, "opportunity", "Opportunity", OPPORTUNITY),
)
