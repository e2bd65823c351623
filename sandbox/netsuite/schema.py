"""The NetSuite record types the sandbox serves: fields and their types, references, sublists, what is
required, what is read-only, what NetSuite sources from a referenced record; the static lists records point
at, id spaces, and the amounts NetSuite computes on transactions.

The shapes follow the REST record pages of the NetSuite Help Center (record ids, sample bodies) and the
OneWorld rules: a customer and a project (job) belong to a subsidiary, a transaction takes its subsidiary,
currency and terms from its customer unless given. Field types:

    string number integer bool date datetime status   plain values
    ref:<type>         {"id": "12"} or {"externalId": "X"} (a record, or one of LISTS)
    multiref:<type>    {"items": [{"id": "2"}, ...]} (a department's subsidiaries)
    quantity           {"value": 5} (the item pricing sublist)
    sublist:<name>     {"items": [{...}, ...]}
    subrecord:address  an inner object of ADDRESS fields (the address book's addressBookAddress)

A customer's addresses live in its ``addressBook`` sublist, one line per address (defaultBilling,
defaultShipping, label and the ``addressBookAddress`` subrecord); ``defaultAddress`` is a read-only summary
NetSuite derives from the default billing address (Format of Sublists and Subrecords:
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545141947.html, Working with
Subrecords: https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/chapter_156337267817.html).
The REST docs name no key for the address book (SOAP keys addressbookList by internalId), so the sandbox
treats it as non-keyed: a PATCH adds its lines (Updating a Sublist:
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545295601.html), with
``replace=addressBook`` the lines sent become the book (Replacing a Sublist:
https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545297048.html). Changing one address
is therefore done as Working with Sublists says for non-keyed sublists
(https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/chapter_1545142407.html): read the book
expanded and send every line back, the changed one included; the ``line`` position the expanded lines carry
is read only, not a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Static lists records point at that the sandbox does not serve as records.
LISTS: dict[str, dict[str, str]] = {
    "customerstatus": {"13": "CUSTOMER-Closed Won", "15": "CUSTOMER-Renewal"},
    "jobstatus": {"1": "Closed", "2": "In Progress", "3": "Not Awarded", "4": "Pending"},
    "account": {"1": "Checking", "122": "Undeposited Funds"},
    "taxtype": {"13": "US Tax Type", "14": "UK VAT"},
    # Invoice approval (Accounting Preferences > Approval Routing > Invoices): a pending invoice posts
    # nothing until it is approved (PATCH approvalStatus, as the vendor bill approval use case shows:
    # https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_0504060412.html).
    "approvalstatus": {"1": "Pending Approval", "2": "Approved", "3": "Rejected"},
    # An address's country: the ISO code is the id, the country's name its refName.
    "country": {
        "US": "United States",
        "CA": "Canada",
        "GB": "United Kingdom",
        "IE": "Ireland",
        "NL": "Netherlands",
        "DE": "Germany",
        "FR": "France",
        "ES": "Spain",
        "CH": "Switzerland",
        "AU": "Australia",
        "NZ": "New Zealand",
        "IN": "India",
        "SG": "Singapore",
        "JP": "Japan",
        "MX": "Mexico",
        "BR": "Brazil",
    },
}
# The address subrecord's fields (SuiteScript Records Browser, address:
# https://system.netsuite.com/help/helpcenter/en_US/srbrowser/Browser2026_1/script/record/address.html);
# REST names them in camel case like the other fields (addrPhone is that guess; the docs show no REST sample).
ADDRESS: dict[str, str] = {
    "addressee": "string",
    "attention": "string",
    "addr1": "string",
    "addr2": "string",
    "addr3": "string",
    "city": "string",
    "state": "string",
    "zip": "string",
    "country": "ref:country",
    "addrPhone": "string",
}
ADDRESS_BOOK = {
    "defaultBilling": "bool",
    "defaultShipping": "bool",
    "isResidential": "bool",
    "label": "string",
    "addressBookAddress": "subrecord:address",
}
STATUS_NAMES = {
    "open": "Open",
    "paidInFull": "Paid In Full",
    "fullyApplied": "Fully Applied",
    "deposited": "Deposited",
    "pendingApproval": "Pending Approval",
    "rejected": "Rejected",
    "notDeposited": "Not Deposited",
}


@dataclass
class RecordType:
    fields: dict[str, str]
    required: tuple[str, ...]
    readonly: frozenset[str]
    name_field: str
    id_space: str  # customer and job share entity ids; transactions share theirs; lists have their own
    sublists: dict[str, dict[str, str]] = field(default_factory=dict)
    required_lines: dict[str, tuple[str, ...]] = field(default_factory=dict)  # sublist -> fields per line
    defaults: dict[str, Any] = field(default_factory=dict)
    # field -> (reference field, field of the referenced record): what NetSuite fills in when not given
    sourced: dict[str, tuple[str, str]] = field(default_factory=dict)
    created_field: str = "createdDate"


_ENTITY_RO = frozenset({"id", "dateCreated", "lastModifiedDate", "balance"})
_TXN_RO = frozenset(
    {
        "id",
        "createdDate",
        "lastModifiedDate",
        "status",
        "total",
        "subtotal",
        "taxTotal",
        "amountRemaining",
        "amountPaid",
        "applied",
        "unapplied",
    }
)
_LIST_RO = frozenset({"id", "lastModifiedDate"})

_SALES_LINE = {
    "item": "ref:item",
    "description": "string",
    "quantity": "number",
    "rate": "number",
    "amount": "number",
    "price": "ref:pricelevel",
    "department": "ref:department",
    "class": "ref:classification",
    "location": "ref:location",
    "taxCode": "ref:salestaxitem",
}
_APPLY_LINE = {"doc": "ref:invoice", "apply": "bool", "amount": "number", "line": "integer"}
_DIMENSIONS = {"department": "ref:department", "class": "ref:classification", "location": "ref:location"}


def _transaction(
    extra: dict[str, str], *, sublists: dict[str, dict[str, str]], required: tuple[str, ...]
) -> RecordType:
    return RecordType(
        {
            "tranId": "string",
            "tranDate": "date",
            "entity": "ref:customer",
            "job": "ref:job",
            "memo": "string",
            "otherRefNum": "string",
            "currency": "ref:currency",
            "exchangeRate": "number",
            "subsidiary": "ref:subsidiary",
            **_DIMENSIONS,
            "externalId": "string",
            "status": "status",
            "subtotal": "number",
            "taxTotal": "number",
            "total": "number",
            "amountPaid": "number",
            "amountRemaining": "number",
            "createdDate": "datetime",
            "lastModifiedDate": "datetime",
            **extra,
            **{name: f"sublist:{name}" for name in sublists},
        },
        required,
        _TXN_RO,
        "tranId",
        "transaction",
        sublists=sublists,
        required_lines={"item": ("item",), "apply": ("doc",)},
        defaults={},
        sourced={
            "subsidiary": ("entity", "subsidiary"),
            "currency": ("entity", "currency"),
        },
    )


def _classification() -> RecordType:
    return RecordType(
        {
            "name": "string",
            "parent": "ref:self",
            "subsidiary": "multiref:subsidiary",
            "includeChildren": "bool",
            "isInactive": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name",),
        _LIST_RO,
        "name",
        "self",
        defaults={"isInactive": False, "includeChildren": False},
    )


TYPES_DEF: dict[str, RecordType] = {
    # -- lists and setup records (seeded first, their own id spaces) ------------------------------------
    "currency": RecordType(
        {
            "name": "string",
            "symbol": "string",
            "displaySymbol": "string",
            "isBaseCurrency": "bool",
            "exchangeRate": "number",
            "isInactive": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name", "symbol"),
        _LIST_RO | {"isBaseCurrency"},
        "name",
        "self",
        defaults={"isInactive": False, "isBaseCurrency": False, "exchangeRate": 1.0},
    ),
    "subsidiary": RecordType(
        {
            "name": "string",
            "legalName": "string",
            "parent": "ref:subsidiary",
            "currency": "ref:currency",
            "country": "string",
            "isElimination": "bool",
            "isInactive": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name", "currency"),
        _LIST_RO,
        "name",
        "self",
        defaults={"isInactive": False, "isElimination": False},
    ),
    "term": RecordType(
        {
            "name": "string",
            "dateDriven": "bool",
            "daysUntilNetDue": "integer",
            "discountPercent": "number",
            "daysUntilExpiry": "integer",
            "isInactive": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name",),
        _LIST_RO,
        "name",
        "self",
        defaults={"isInactive": False, "dateDriven": False},
    ),
    "pricelevel": RecordType(
        {
            "name": "string",
            "discountPct": "number",
            "isInactive": "bool",
            "isOnline": "bool",
            "updateExistingPrices": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name",),
        _LIST_RO,
        "name",
        "self",
        defaults={"isInactive": False, "isOnline": False},
    ),
    "department": _classification(),
    "classification": _classification(),
    "location": _classification(),
    "salestaxitem": RecordType(
        {
            "name": "string",
            "description": "string",
            "taxType": "ref:taxtype",
            "rate": "number",
            "itemType": "string",
            "isInactive": "bool",
            "externalId": "string",
            "lastModifiedDate": "datetime",
        },
        ("name", "taxType"),
        _LIST_RO | {"itemType"},
        "name",
        "item",
        defaults={"isInactive": False, "itemType": "TaxItem"},
    ),
    "servicesaleitem": RecordType(
        {
            "itemId": "string",
            "displayName": "string",
            "salesDescription": "string",
            "itemType": "string",
            "subsidiary": "multiref:subsidiary",
            "includeChildren": "bool",
            "isInactive": "bool",
            "externalId": "string",
            "createdDate": "datetime",
            "lastModifiedDate": "datetime",
            "price": "sublist:price",
        },
        ("itemId",),
        _LIST_RO | {"createdDate", "itemType"},
        "itemId",
        "item",
        sublists={
            "price": {
                "currencyPage": "ref:currency",
                "priceLevel": "ref:pricelevel",
                "quantity": "quantity",
                "price": "number",
            }
        },
        required_lines={"price": ("priceLevel",)},
        defaults={"isInactive": False, "includeChildren": True, "itemType": "Service"},
    ),
    # -- entities -------------------------------------------------------------------------------------------
    "customer": RecordType(
        {
            "entityId": "string",
            "companyName": "string",
            "isPerson": "bool",
            "firstName": "string",
            "lastName": "string",
            "email": "string",
            "phone": "string",
            "url": "string",
            "subsidiary": "ref:subsidiary",
            "currency": "ref:currency",
            "terms": "ref:term",
            "entityStatus": "ref:customerstatus",
            "parent": "ref:customer",
            "externalId": "string",
            "comments": "string",
            "isInactive": "bool",
            "defaultAddress": "string",  # read only: derived from the default billing address
            "addressBook": "sublist:addressBook",
            "balance": "number",
            "dateCreated": "datetime",
            "lastModifiedDate": "datetime",
            # SuiteTax: the customer's tax registrations, one line per nexus country (the customer REST
            # record's taxregistration subrecord list:
            # https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_161581923822.html).
            "taxRegistration": "sublist:taxRegistration",
        },
        ("companyName", "subsidiary"),
        _ENTITY_RO | {"defaultAddress"},
        "companyName",
        "entity",
        sublists={
            "taxRegistration": {"nexusCountry": "string", "taxRegistrationNumber": "string"},
            "addressBook": ADDRESS_BOOK,
        },
        defaults={"isPerson": False, "isInactive": False, "entityStatus": "13", "balance": 0.0},
        sourced={"currency": ("subsidiary", "currency")},
        created_field="dateCreated",
    ),
    "job": RecordType(
        {
            "entityId": "string",
            "companyName": "string",
            "parent": "ref:customer",
            "startDate": "date",
            "projectedEndDate": "date",
            "entityStatus": "ref:jobstatus",
            "currency": "ref:currency",
            "externalId": "string",
            "comments": "string",
            "isInactive": "bool",
            "subsidiary": "ref:subsidiary",
            "dateCreated": "datetime",
            "lastModifiedDate": "datetime",
        },
        ("companyName", "parent", "subsidiary"),
        _ENTITY_RO,
        "companyName",
        "entity",
        defaults={"isInactive": False, "entityStatus": "2"},
        sourced={"currency": ("parent", "currency")},
        created_field="dateCreated",
    ),
    # -- transactions ---------------------------------------------------------------------------------------
    "invoice": _transaction(
        {"dueDate": "date", "terms": "ref:term", "approvalStatus": "ref:approvalstatus"},
        sublists={"item": _SALES_LINE},
        required=("entity", "item"),
    ),
    "creditmemo": _transaction(
        {"createdFrom": "ref:invoice", "applied": "number", "unapplied": "number"},
        sublists={"item": _SALES_LINE, "apply": _APPLY_LINE},
        required=("entity", "item"),
    ),
    "customerpayment": RecordType(
        {
            "tranId": "string",
            "tranDate": "date",
            "customer": "ref:customer",
            "payment": "number",
            "account": "ref:account",
            "currency": "ref:currency",
            "exchangeRate": "number",
            "subsidiary": "ref:subsidiary",
            **_DIMENSIONS,
            "memo": "string",
            "toBeEmailed": "bool",
            "externalId": "string",
            "status": "status",
            "total": "number",
            "applied": "number",
            "unapplied": "number",
            "createdDate": "datetime",
            "lastModifiedDate": "datetime",
            "apply": "sublist:apply",
        },
        ("customer", "payment"),
        _TXN_RO,
        "tranId",
        "transaction",
        sublists={"apply": _APPLY_LINE},
        required_lines={"apply": ("doc",)},
        defaults={"account": "122"},
        sourced={"subsidiary": ("customer", "subsidiary"), "currency": ("customer", "currency")},
    ),
}
# Invoice terms come from the customer too (NetSuite sources them on the form).
TYPES_DEF["invoice"].sourced["terms"] = ("entity", "terms")

# An item reference on a line may point at any item record; the sandbox serves service sale items.
ITEM_TYPES = ("servicesaleitem",)
ID_START = {"entity": 1001, "transaction": 20001, "item": 10}
TRAN_PREFIX = {"invoice": "INV", "creditmemo": "CM", "customerpayment": "PYMT"}
TRANSACTION_TYPES = {"invoice": "CustInvc", "creditmemo": "CustCred", "customerpayment": "CustPymt"}


def target_type(ftype: str, rtype: str) -> str:
    """``ref:self`` -> the record's own type; ``ref:item`` stays ``item`` (resolved over ITEM_TYPES)."""
    target = ftype.split(":", 1)[1]
    return rtype if target == "self" else target


def id_space(rtype: str) -> str:
    space = TYPES_DEF[rtype].id_space
    return rtype if space == "self" else space


def address_text(address: dict[str, Any] | None) -> str | None:
    """An address as one block of text, the way NetSuite shows it (and ``defaultAddress`` holds it):
    addressee, attention, street lines, "city state zip", the country's name; empty parts left out."""
    if not address:
        return None
    town = " ".join(str(address[k]) for k in ("city", "state", "zip") if address.get(k))
    country = LISTS["country"].get(str(address.get("country") or ""), address.get("country"))
    keys = ("addressee", "attention", "addr1", "addr2", "addr3")
    lines = [str(address[k]) for k in keys if address.get(k)] + [town] + [str(country or "")]
    return "\n".join(line for line in lines if line) or None


def settle_address_book(record: dict[str, Any]) -> None:
    """One default billing and one default shipping address (a later line marked default takes it from an
    earlier one, as in the UI), and ``defaultAddress`` derived from the default billing address."""
    book = record.get("addressBook")
    if not isinstance(book, list):
        return
    for flag in ("defaultBilling", "defaultShipping"):
        marked = [n for n, line in enumerate(book) if line.get(flag)]
        for n in marked[:-1]:
            book[n][flag] = False
    billing = next((line for line in book if line.get("defaultBilling")), None)
    record["defaultAddress"] = address_text((billing or {}).get("addressBookAddress"))


def recompute_sales(record: dict[str, Any]) -> None:
    """Line amounts and totals the way NetSuite derives them on an invoice or credit memo (also used by
    the seeder). Tax is not computed: the sandbox emulates no tax engine (taxTotal stays 0)."""
    total = 0.0
    for line in record.get("item") or []:
        if line.get("amount") is None:
            line["amount"] = round(float(line.get("quantity") or 1) * float(line.get("rate") or 0), 2)
        total += float(line["amount"])
    record["subtotal"] = round(total, 2)
    record["taxTotal"] = 0.0
    record["total"] = round(total, 2)


def recompute_invoice(record: dict[str, Any]) -> None:
    recompute_sales(record)
    paid = round(float(record.get("amountPaid") or 0), 2)
    record["amountPaid"] = paid
    record["amountRemaining"] = round(max(0.0, record["total"] - paid), 2)
    record["status"] = "paidInFull" if record["total"] > 0 and record["amountRemaining"] <= 0 else "open"
    approval = str(record.get("approvalStatus") or "2")
    if approval != "2":  # not posted: no amount due yet
        record["status"] = "pendingApproval" if approval == "1" else "rejected"


def _applied(record: dict[str, Any]) -> float:
    return round(
        sum((float(a.get("amount") or 0) for a in record.get("apply") or [] if a.get("apply")), 0.0), 2
    )


def recompute_credit_memo(record: dict[str, Any]) -> None:
    recompute_sales(record)
    applied = _applied(record)
    record["applied"] = applied
    record["amountPaid"] = applied
    record["unapplied"] = record["amountRemaining"] = round(max(0.0, record["total"] - applied), 2)
    record["status"] = "fullyApplied" if record["total"] > 0 and record["unapplied"] <= 0 else "open"


def recompute_payment(record: dict[str, Any]) -> None:
    applied = _applied(record)
    payment = round(float(record.get("payment") or 0), 2)
    record["total"] = payment
    record["applied"] = applied
    record["unapplied"] = round(max(0.0, payment - applied), 2)
    record.setdefault("status", "deposited")


RECOMPUTE = {
    "invoice": recompute_invoice,
    "creditmemo": recompute_credit_memo,
    "customerpayment": recompute_payment,
}
