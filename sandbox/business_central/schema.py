"""Business Central entity sets served by the sandbox (fields in documented order, read-only and required
fields, defaults, number series), company fields, and the amounts BC computes on lines and invoices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EntitySet:
    entity: str  # OData type name
    fields: dict[str, str]  # name -> string number bool date datetime guid
    readonly: frozenset[str]
    required: tuple[str, ...]
    defaults: dict[str, Any] = field(default_factory=dict)
    number_prefix: str = ""
    order_by: str = "number"
    api: str = "v2.0"  # the API route: "v2.0", or "{publisher}/{group}/{version}" for a custom API page


_RO = frozenset({"id", "lastModifiedDateTime"})
SETS_DEF: dict[str, EntitySet] = {
    "customers": EntitySet(
        "customer",
        {
            "id": "guid",
            "number": "string",
            "displayName": "string",
            "type": "string",
            "addressLine1": "string",
            "addressLine2": "string",
            "city": "string",
            "state": "string",
            "country": "string",
            "postalCode": "string",
            "phoneNumber": "string",
            "email": "string",
            "website": "string",
            "salespersonCode": "string",
            "balanceDue": "number",
            "creditLimit": "number",
            "taxLiable": "bool",
            "taxRegistrationNumber": "string",
            "currencyCode": "string",
            "paymentTermsId": "guid",
            "blocked": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO | {"balanceDue"},
        ("displayName",),
        {
            "type": "Company",
            "currencyCode": "",
            "blocked": " ",
            "balanceDue": 0,
            "creditLimit": 0,
            "taxLiable": False,
            "country": "US",
        },
        "C",
    ),
    "projects": EntitySet(
        "project",
        {"id": "guid", "number": "string", "displayName": "string"},
        frozenset({"id"}),
        ("displayName",),
        {},
        "PR",
    ),
    "salesInvoices": EntitySet(
        "salesInvoice",
        {
            "id": "guid",
            "number": "string",
            "externalDocumentNumber": "string",
            "invoiceDate": "date",
            "postingDate": "date",
            "dueDate": "date",
            "customerPurchaseOrderReference": "string",
            "customerId": "guid",
            "customerNumber": "string",
            "customerName": "string",
            "billToName": "string",
            "currencyCode": "string",
            "pricesIncludeTax": "bool",
            "discountAmount": "number",
            "totalAmountExcludingTax": "number",
            "totalTaxAmount": "number",
            "totalAmountIncludingTax": "number",
            "remainingAmount": "number",
            "status": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO
        | {
            "totalAmountExcludingTax",
            "totalTaxAmount",
            "totalAmountIncludingTax",
            "remainingAmount",
            "status",
            "customerName",
            "pricesIncludeTax",  # documented Read-Only (it follows the customer's setup)
        },
        (),
        {
            "pricesIncludeTax": False,  # currencyCode: the customer's, else the company's local (routes)
            "discountAmount": 0,
            "status": "Draft",
            "customerPurchaseOrderReference": "",  # an empty text field is "" in BC's answers, not absent
        },
        "S-INV",
    ),
    "salesInvoiceLines": EntitySet(
        "salesInvoiceLine",
        {
            "id": "guid",
            "documentId": "guid",
            "sequence": "number",
            "itemId": "guid",
            "accountId": "guid",
            "lineType": "string",
            "lineObjectNumber": "string",
            "description": "string",
            "unitOfMeasureCode": "string",
            "quantity": "number",
            "unitPrice": "number",
            "discountAmount": "number",
            "discountPercent": "number",
            "amountExcludingTax": "number",
            "taxCode": "string",
            "taxPercent": "number",
            "totalTaxAmount": "number",
            "amountIncludingTax": "number",
            "netAmount": "number",
        },
        frozenset({"id", "amountExcludingTax", "totalTaxAmount", "amountIncludingTax", "netAmount"}),
        ("documentId",),
        {
            "lineType": "Item",
            "unitOfMeasureCode": "HOUR",
            "quantity": 1,
            "unitPrice": 0,
            "discountAmount": 0,
            "discountPercent": 0,
            "taxPercent": 0,
        },
        order_by="sequence",
    ),
    "customerPayments": EntitySet(
        "customerPayment",
        {
            "id": "guid",
            "journalId": "guid",
            "journalDisplayName": "string",
            "lineNumber": "number",
            "customerId": "guid",
            "customerNumber": "string",
            "postingDate": "date",
            "documentNumber": "string",
            "externalDocumentNumber": "string",
            "amount": "number",
            "appliesToInvoiceId": "guid",
            "appliesToInvoiceNumber": "string",
            "description": "string",
            "comment": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO | {"journalDisplayName"},
        ("amount",),
        {"journalDisplayName": "CASHRCPT", "description": "", "comment": "", "externalDocumentNumber": ""},
        order_by="lineNumber",
    ),
    # https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_customerpaymentjournal
    "customerPaymentJournals": EntitySet(
        "customerPaymentJournal",
        {
            "id": "guid",
            "code": "string",
            "displayName": "string",
            "lastModifiedDateTime": "datetime",
            "balancingAccountId": "guid",
            "balancingAccountNumber": "string",
        },
        _RO,
        ("code",),
        {"displayName": "", "balancingAccountId": "00000000-0000-0000-0000-000000000000"},
        order_by="code",
    ),
    # https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salescreditmemo
    "salesCreditMemos": EntitySet(
        "salesCreditMemo",
        {
            "id": "guid",
            "number": "string",
            "externalDocumentNumber": "string",
            "creditMemoDate": "date",
            "postingDate": "date",
            "dueDate": "date",
            "customerId": "guid",
            "customerNumber": "string",
            "customerName": "string",
            "billToName": "string",
            "currencyCode": "string",
            "invoiceId": "guid",
            "invoiceNumber": "string",
            "pricesIncludeTax": "bool",
            "discountAmount": "number",
            "totalAmountExcludingTax": "number",
            "totalTaxAmount": "number",
            "totalAmountIncludingTax": "number",
            "status": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO
        | {
            "totalAmountExcludingTax",
            "totalTaxAmount",
            "totalAmountIncludingTax",
            "status",
            "customerName",
            "invoiceNumber",
        },
        (),
        {"pricesIncludeTax": False, "discountAmount": 0, "status": "Draft"},  # currencyCode: as invoices
        "S-CR",
    ),
    # https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salescreditmemoline
    "salesCreditMemoLines": EntitySet(
        "salesCreditMemoLine",
        {
            "id": "guid",
            "documentId": "guid",
            "sequence": "number",
            "itemId": "guid",
            "accountId": "guid",
            "lineType": "string",
            "lineObjectNumber": "string",
            "description": "string",
            "unitOfMeasureCode": "string",
            "quantity": "number",
            "unitPrice": "number",
            "discountAmount": "number",
            "discountPercent": "number",
            "amountExcludingTax": "number",
            "taxCode": "string",
            "taxPercent": "number",
            "totalTaxAmount": "number",
            "amountIncludingTax": "number",
            "netAmount": "number",
        },
        frozenset({"id", "amountExcludingTax", "totalTaxAmount", "amountIncludingTax", "netAmount"}),
        ("documentId",),
        {
            "lineType": "Item",
            "unitOfMeasureCode": "HOUR",
            "quantity": 1,
            "unitPrice": 0,
            "discountAmount": 0,
            "discountPercent": 0,
            "taxPercent": 0,
        },
        order_by="sequence",
    ),
    # https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_generalledgerentry
    # Read-only: written by posting (a sales invoice, a payment journal), never through the API.
    "generalLedgerEntries": EntitySet(
        "generalLedgerEntry",
        {
            "id": "guid",
            "entryNumber": "number",
            "postingDate": "date",
            "documentNumber": "string",
            "documentType": "string",
            "accountId": "guid",
            "accountNumber": "string",
            "description": "string",
            "debitAmount": "number",
            "creditAmount": "number",
            "lastModifiedDateTime": "datetime",
        },
        frozenset(
            {
                "id",
                "entryNumber",
                "postingDate",
                "documentNumber",
                "documentType",
                "accountId",
                "accountNumber",
                "description",
                "debitAmount",
                "creditAmount",
                "lastModifiedDateTime",
            }
        ),
        (),
        order_by="entryNumber",
    ),
    # A custom API page (an AL page of PageType API, APIPublisher 'northwind', APIGroup 'billing',
    # APIVersion 'v1.0', EntitySetName 'billingSchedules'), served at
    # /api/northwind/billing/v1.0/companies({id})/billingSchedules as the endpoint-structure page documents:
    # https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/webservices/api-endpoint-structure
    # Setup records a template's parameters name (API v2.0 items, taxGroups, currencies resource types:
    # https://learn.microsoft.com/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_item,
    # .../dynamics_taxgroup, .../dynamics_currency). Read by the clone-time check of ERP ids.
    "items": EntitySet(
        "item",
        {
            "id": "guid",
            "number": "string",
            "displayName": "string",
            "type": "string",
            "blocked": "bool",
            "unitPrice": "number",
            "priceIncludesTax": "bool",
            "taxGroupCode": "string",
            "baseUnitOfMeasureCode": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO,
        ("displayName",),
        {"type": "Service", "blocked": False, "unitPrice": 0, "priceIncludesTax": False},
    ),
    "taxGroups": EntitySet(
        "taxGroup",
        {
            "id": "guid",
            "code": "string",
            "displayName": "string",
            "taxType": "string",
            "lastModifiedDateTime": "datetime",
        },
        _RO,
        ("code",),
        {"taxType": "VAT"},
        order_by="code",
    ),
    "currencies": EntitySet(
        "currency",
        {
            "id": "guid",
            "code": "string",
            "displayName": "string",
            "symbol": "string",
            "amountDecimalPlaces": "string",
            "amountRoundingPrecision": "number",
            "lastModifiedDateTime": "datetime",
        },
        _RO,
        ("code",),
        {"amountDecimalPlaces": "2:2", "amountRoundingPrecision": 0.01},
        order_by="code",
    ),
    "billingSchedules": EntitySet(
        "billingSchedule",
        {
            "id": "guid",
            "projectNumber": "string",
            "description": "string",
            "billingDate": "date",
            "amount": "number",
            "invoiced": "bool",
            "lastModifiedDateTime": "datetime",
        },
        _RO | {"invoiced"},
        ("projectNumber",),
        {"description": "", "amount": 0, "invoiced": False},
        order_by="billingDate",
        api="northwind/billing/v1.0",
    ),
}
DOCUMENT_LINES = {"salesInvoices": "salesInvoiceLines", "salesCreditMemos": "salesCreditMemoLines"}
READ_ONLY_SETS = frozenset({"generalLedgerEntries"})
# G/L accounts the sandbox posts to (the Cronus chart of accounts' numbers)
RECEIVABLES_ACCOUNT, REVENUE_ACCOUNT, SALES_TAX_ACCOUNT, CASH_ACCOUNT = "13100", "40100", "25100", "10100"
COMPANY_FIELDS = (
    "id",
    "systemVersion",
    "name",
    "displayName",
    "businessProfileId",
    "systemCreatedAt",
    "systemCreatedBy",
    "systemModifiedAt",
    "systemModifiedBy",
)


def line_amounts(line: dict[str, Any]) -> None:
    gross = float(line.get("quantity") or 0) * float(line.get("unitPrice") or 0)
    net = round(gross - float(line.get("discountAmount") or 0), 2)
    tax = round(net * float(line.get("taxPercent") or 0) / 100, 2)
    line.update(
        amountExcludingTax=net, netAmount=net, totalTaxAmount=tax, amountIncludingTax=round(net + tax, 2)
    )


def invoice_totals(invoice: dict[str, Any], lines: list[dict[str, Any]], paid: float) -> None:
    net = round(sum(float(line.get("amountExcludingTax") or 0) for line in lines), 2)
    tax = round(sum(float(line.get("totalTaxAmount") or 0) for line in lines), 2)
    invoice.update(
        totalAmountExcludingTax=net, totalTaxAmount=tax, totalAmountIncludingTax=round(net + tax, 2)
    )
    invoice["remainingAmount"] = (
        round(max(0.0, net + tax - paid), 2) if invoice.get("status") != "Draft" else round(net + tax, 2)
    )
    if invoice.get("status") in ("Open", "Paid"):
        invoice["status"] = "Paid" if invoice["remainingAmount"] <= 0 and net + tax > 0 else "Open"


def document_totals(doc: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    net = round(sum(float(line.get("amountExcludingTax") or 0) for line in lines), 2)
    tax = round(sum(float(line.get("totalTaxAmount") or 0) for line in lines), 2)
    doc.update(totalAmountExcludingTax=net, totalTaxAmount=tax, totalAmountIncludingTax=round(net + tax, 2))
