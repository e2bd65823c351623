"""Salesforce CRM objects <-> canonical customer, contact, opportunity (+ lines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._util import compact, iso_datetime, num, text

SYSTEM = "salesforce"


def _base(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "source_system": SYSTEM,
        "source_id": text(r.get("Id")),
        "external_id": text(r.get("External_Id__c")),
        "updated_at": iso_datetime(r.get("LastModifiedDate")),
    }


def account_to(r: Mapping[str, Any]) -> dict[str, Any]:
    address = compact(
        {
            "street": r.get("BillingStreet"),
            "city": r.get("BillingCity"),
            "state": r.get("BillingState"),
            "postal_code": r.get("BillingPostalCode"),
            "country": r.get("BillingCountry"),
        }
    )
    return compact(
        {
            **_base(r),
            "name": r.get("Name"),
            "number": text(r.get("AccountNumber")),
            "phone": r.get("Phone"),
            "website": r.get("Website"),
            "industry": r.get("Industry"),
            "address": address or None,
            "parent_id": r.get("ParentId"),
        }
    )


def account_from(c: Mapping[str, Any]) -> dict[str, Any]:
    address = c.get("address") or {}
    return compact(
        {
            "Name": c.get("name"),
            "AccountNumber": c.get("number"),
            "Phone": c.get("phone"),
            "Website": c.get("website"),
            "Industry": c.get("industry"),
            "BillingStreet": address.get("street"),
            "BillingCity": address.get("city"),
            "BillingState": address.get("state"),
            "BillingPostalCode": address.get("postal_code"),
            "BillingCountry": address.get("country"),
            "External_Id__c": c.get("external_id"),
        }
    )


def contact_to(r: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            **_base(r),
            "first_name": r.get("FirstName"),
            "last_name": r.get("LastName"),
            "email": r.get("Email"),
            "phone": r.get("Phone"),
            "title": r.get("Title"),
            "customer_id": r.get("AccountId"),
        }
    )


def contact_from(c: Mapping[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "FirstName": c.get("first_name"),
            "LastName": c.get("last_name"),
            "Email": c.get("email"),
            "Phone": c.get("phone"),
            "Title": c.get("title"),
            "AccountId": c.get("customer_id"),
            "External_Id__c": c.get("external_id"),
        }
    )


def _line_records(r: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Lines from a sub-query (``OpportunityLineItems: {records: [...]}``) or a plain ``lines`` list."""
    sub = r.get("OpportunityLineItems")
    if isinstance(sub, Mapping):
        return list(sub.get("records") or [])
    return list(sub or r.get("lines") or [])


def opportunity_to(r: Mapping[str, Any]) -> dict[str, Any]:
    lines = [
        compact(
            {
                "source_id": text(line.get("Id")),
                "product_code": line.get("ProductCode"),
                "description": line.get("Description") or line.get("Name"),
                "quantity": num(line.get("Quantity")),
                "unit_price": num(line.get("UnitPrice")),
                "amount": num(line.get("TotalPrice")),
                "service_date": line.get("ServiceDate"),
            }
        )
        for line in _line_records(r)
    ]
    return compact(
        {
            **_base(r),
            "name": r.get("Name"),
            "customer_id": r.get("AccountId"),
            "stage": r.get("StageName"),
            "close_date": r.get("CloseDate"),
            "amount": num(r.get("Amount")),
            "probability": num(r.get("Probability")),
            "won": r.get("IsWon"),
            "closed": r.get("IsClosed"),
            "lines": lines,
        }
    )


def opportunity_from(c: Mapping[str, Any]) -> dict[str, Any]:
    """The Opportunity fields; lines are written separately as OpportunityLineItem records."""
    return compact(
        {
            "Name": c.get("name"),
            "AccountId": c.get("customer_id"),
            "StageName": c.get("stage"),
            "CloseDate": c.get("close_date"),
            "Amount": c.get("amount"),
            "Probability": c.get("probability"),
            "External_Id__c": c.get("external_id"),
        }
    )


MAPPINGS = {
    "customer": ("Account", account_to, account_from),
    "contact": ("Contact", contact_to, contact_from),
    "opportunity": ("Opportunity", opportunity_to, opportunity_from),
}
