"""Business Central seed: three companies (Northwind Advisory Ltd with the data, CRONUS USA, Inc., and
Northwind Advisory UK Ltd, which uses VAT), customers, a project per won deal, sales invoices with lines, a
CASHRCPT customer payment journal per company, and payments already posted from it (held apart: posted
journal lines leave the journal, as in Business Central).

The VAT company is seeded last, with ids derived from the main company's (no random draws: the records
before it stay as they were). It has no history, only the setup a template names: items, the VAT product
posting groups the API's ``taxGroups`` lists in a VAT company (``taxType`` VAT; the rate each carries is the
company's VAT posting setup, kept hidden as ``_taxPercent``) and currencies. Its sales lines take the VAT %
of their ``taxCode`` (:mod:`.routes`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from ..platform.seeding import LAST, ORG_A, ORG_B, Rows, World, variant
from ..platform.timeutil import iso_z, start_of_day
from .schema import SETS_DEF, invoice_totals, line_amounts

# The id of the company's "Net 30" payment terms (customers' paymentTermsId; the sandbox serves no
# paymentTerms entity set, so only the reference is kept).
NET_30 = "3bb5b4b6-ea4c-43ca-ba1c-3b69e29a6668"
SETUP: dict[str, list[dict[str, Any]]] = {
    "items": [
        {
            "number": "CONS-HR",
            "displayName": "Consulting hour",
            "baseUnitOfMeasureCode": "HOUR",
            "taxGroupCode": "VAT20",
        },
        {
            "number": "FIXED-FEE",
            "displayName": "Fixed fee milestone",
            "baseUnitOfMeasureCode": "PCS",
            "taxGroupCode": "VAT20",
        },
        {
            "number": "EXPENSES",
            "displayName": "Reimbursable expenses",
            "baseUnitOfMeasureCode": "PCS",
            "taxGroupCode": "VAT20",
        },
        {  # write-ups and write-downs of billed work (a write-down: a line of quantity -1)
            "number": "ADJUSTMENT",
            "displayName": "Billing adjustment",
            "baseUnitOfMeasureCode": "PCS",
            "taxGroupCode": "VAT20",
        },
    ],
    "taxGroups": [
        {"code": "VAT20", "displayName": "Standard VAT 20%"},
        {"code": "ZERO", "displayName": "Zero-rated"},
    ],
    # Foreign currencies (the local currency is not in the list: a blank currencyCode means it).
    "currencies": [
        {"code": "GBP", "displayName": "British pound", "symbol": "£"},
        {"code": "EUR", "displayName": "Euro", "symbol": "€"},
        {"code": "CAD", "displayName": "Canadian dollar", "symbol": "$"},
    ],
}
VAT_COMPANY = "Northwind Advisory UK Ltd"
# The VAT company's setup. In a VAT country the API's taxGroups resource lists the VAT product posting
# groups (table 5480 "Tax Group Buffer", type VAT), and a sales line's taxCode names one of them; its VAT %
# comes from the VAT posting setup (UK rates: standard 20%, reduced 5%, zero 0%).
# https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_taxgroup
# https://learn.microsoft.com/en-us/dynamics365/business-central/application/base-application/table/microsoft.integration.entity.tax-group-buffer
VAT_SETUP: dict[str, list[dict[str, Any]]] = {
    "items": [{**item, "taxGroupCode": "STANDARD"} for item in SETUP["items"]],
    "taxGroups": [
        {"code": "STANDARD", "displayName": "Standard rate VAT 20%", "taxType": "VAT", "_taxPercent": 20.0},
        {"code": "REDUCED", "displayName": "Reduced rate VAT 5%", "taxType": "VAT", "_taxPercent": 5.0},
        {"code": "ZERO", "displayName": "Zero rated VAT 0%", "taxType": "VAT", "_taxPercent": 0.0},
    ],
    "currencies": [  # the local currency is GBP
        {"code": "EUR", "displayName": "Euro", "symbol": "€"},
        {"code": "USD", "displayName": "US dollar", "symbol": "$"},
    ],
}


def seed(world: World, out: Rows) -> None:
    rng = world.rng
    created_at = world.when(900, 800)
    main_id, cronus_id = world.guid(), world.guid()
    for cid, name in ((main_id, "Northwind Advisory Ltd"), (cronus_id, "CRONUS USA, Inc.")):
        out.add(
            "dynamics",
            "companies",
            cid,
            {
                "id": cid,
                "systemVersion": "24.0.16410.18056",
                "name": name,
                "displayName": name,
                "businessProfileId": "",
                "systemCreatedAt": iso_z(created_at, millis=True),
                "systemCreatedBy": "00000000-0000-0000-0000-000000000001",
                "systemModifiedAt": iso_z(created_at, millis=True),
                "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
                "_set": "companies",
                "_version": 1,
            },
        )

    def add(
        es: str, cid: str, modified: datetime, values: dict[str, Any], stored_as: str = ""
    ) -> dict[str, Any]:
        """A record of entity set ``es``, stored under ``stored_as`` (default: ``es``)."""
        rid = world.guid()
        record = {
            **SETS_DEF[es].defaults,
            "id": rid,
            **values,
            "_companyId": cid,
            "_set": es,
            "_version": 1,
        }
        if "lastModifiedDateTime" in SETS_DEF[es].fields:
            record["lastModifiedDateTime"] = iso_z(modified, millis=True)
        if stored_as:
            record["_set"] = stored_as
        return out.add("dynamics", stored_as or es, rid, record)

    customers = []
    orgs = world.orgs[30:120]
    for n, org in enumerate(orgs):
        name = variant(rng, org) if rng.random() < 0.6 else org.name
        customers.append(
            (
                org,
                add(
                    "customers",
                    main_id,
                    world.when(600, 5),
                    {
                        "number": f"C{n + 10001:05d}",
                        "displayName": name,
                        "addressLine1": f"{rng.randint(1, 999)} {rng.choice(LAST)} Ave",
                        "city": org.city[0],
                        "state": org.city[1],
                        "country": {"United States": "US", "United Kingdom": "GB", "Canada": "CA"}.get(
                            org.city[2], "EU"
                        ),
                        "postalCode": f"{rng.randint(10000, 99999)}",
                        "phoneNumber": f"+1 {rng.randint(201, 989)}-555-{rng.randint(1000, 9999)}",
                        "email": f"accounts@{org.website.removeprefix('www.')}",
                        "website": org.website,
                        "currencyCode": "GBP" if org.city[2] == "United Kingdom" else "",
                        "creditLimit": float(rng.choice((0, 50000, 100000))),
                        # Finance set these customers up for billing (no random draw: the seed stays).
                        "taxRegistrationNumber": f"GB{200000000 + n}",
                        "paymentTermsId": NET_30,
                        "salespersonCode": rng.choice(("JR", "PS", "MH", "AK")),
                    },
                ),
            )
        )
    for n in range(20):
        customers.append(
            (
                None,
                add(
                    "customers",
                    main_id,
                    world.when(600, 5),
                    {
                        "number": f"C{len(customers) + 10001:05d}",
                        "displayName": f"{rng.choice(ORG_A)} {rng.choice(ORG_B)} Ltd",
                        "city": "London",
                        "country": "GB",
                        "currencyCode": "GBP",
                        "email": f"finance{n}@example.co.uk",
                        "taxRegistrationNumber": f"GB{300000000 + n}",
                        "paymentTermsId": NET_30,
                    },
                ),
            )
        )
    for n, name in enumerate(
        ("Adatum Corporation", "Trey Research", "School of Fine Art", "Alpine Ski House", "Relecloud")
    ):
        add(
            "customers",
            cronus_id,
            world.when(800, 700),
            {"number": f"{n + 10000}", "displayName": name, "city": "Atlanta"},
        )

    deals = [d for d in world.won if d.org in orgs]
    projects = []
    for n, deal in enumerate(deals):
        projects.append(
            add(
                "projects",
                main_id,
                world.when(300, 1),
                {"number": f"PR{n + 10001:05d}", "displayName": deal.name[:100]},
            )
        )
    lines_by_invoice: dict[str, list[dict[str, Any]]] = {}
    invoices = []
    by_org = {id(org): rec for org, rec in customers if org is not None}
    for deal in deals:
        customer = by_org[id(deal.org)]
        for _ in range(rng.randint(1, 5)):
            day = (world.anchor - timedelta(days=rng.randint(2, 330))).date()
            status = "Draft" if (world.anchor.date() - day).days < 7 and rng.random() < 0.5 else "Open"
            number = (
                f"S-INV{out.next('dynamics:salesInvoices', 103001)}"
                if status != "Draft"
                else f"S-INV-D{out.next('dynamics:salesInvoices', 103001)}"
            )
            invoice = add(
                "salesInvoices",
                main_id,
                start_of_day(day) + timedelta(hours=rng.randint(8, 18)),
                {
                    "number": number,
                    "externalDocumentNumber": f"PO-{rng.randint(1000, 9999)}" if rng.random() < 0.3 else "",
                    "invoiceDate": day.isoformat(),
                    "postingDate": day.isoformat(),
                    "dueDate": (day + timedelta(days=30)).isoformat(),
                    "customerId": customer["id"],
                    "customerNumber": customer["number"],
                    "customerName": customer["displayName"],
                    "billToName": customer["displayName"],
                    "currencyCode": customer["currencyCode"] or "USD",
                    "status": status,
                },
            )
            invoices.append(invoice)
            lines = []
            for seq in range(rng.randint(1, 3)):
                line = add(
                    "salesInvoiceLines",
                    main_id,
                    world.anchor,
                    {
                        "documentId": invoice["id"],
                        "sequence": (seq + 1) * 10000,
                        "lineType": "Item",
                        "lineObjectNumber": rng.choice(("CONS-HR", "PM-HR", "ADV-RET", "EXP-REIMB")),
                        "description": rng.choice(
                            (
                                "Consulting hours",
                                "Project management",
                                "Advisory retainer",
                                "Reimbursable expenses",
                            )
                        ),
                        "quantity": float(rng.choice((8, 16, 24, 40, 1))),
                        "unitPrice": float(rng.choice((150, 175, 210, 1200))),
                        "taxPercent": rng.choice((0.0, 0.0, 8.0, 20.0)),
                    },
                )
                line_amounts(line)
                lines.append(line)
            lines_by_invoice[invoice["id"]] = lines
            invoice_totals(invoice, lines, 0.0)
    journals = {}
    for cid in (main_id, cronus_id):
        journals[cid] = _add_cash_journal(out, cid, iso_z(created_at, millis=True))
    line_no = 0
    for invoice in invoices:
        age = (world.anchor.date() - date.fromisoformat(invoice["invoiceDate"])).days
        if invoice["status"] == "Draft" or age < 20 or rng.random() > 0.65:
            continue
        line_no += 1
        paid_on = date.fromisoformat(invoice["invoiceDate"]) + timedelta(days=rng.randint(7, min(age, 60)))
        add(
            "customerPayments",
            main_id,
            start_of_day(paid_on) + timedelta(hours=10),
            {
                "journalId": journals[main_id]["id"],
                "journalDisplayName": "CASHRCPT",
                "lineNumber": line_no * 10000,
                "customerId": invoice["customerId"],
                "customerNumber": invoice["customerNumber"],
                "postingDate": paid_on.isoformat(),
                "documentNumber": f"PAY{line_no + 2000:05d}",
                "amount": invoice["totalAmountIncludingTax"],
                "appliesToInvoiceId": invoice["id"],
                "appliesToInvoiceNumber": invoice["number"],
                "description": f"Payment {invoice['customerName']}",
            },
            stored_as="postedCustomerPayments",
        )
        invoice_totals(invoice, lines_by_invoice[invoice["id"]], invoice["totalAmountIncludingTax"])
    # A few payments received and entered but not yet posted: the invoices stay open until CASHRCPT is
    # posted. Chosen and keyed without the random stream (the seeds after this one stay as they were).
    pending = [i for i in invoices if i["status"] == "Open" and i["remainingAmount"] > 0][:5]
    for invoice in pending:
        line_no += 1
        pid = str(uuid.uuid5(uuid.UUID(invoice["id"]), "pending-payment"))
        out.add(
            "dynamics",
            "customerPayments",
            pid,
            {
                **SETS_DEF["customerPayments"].defaults,
                "id": pid,
                "journalId": journals[main_id]["id"],
                "journalDisplayName": "CASHRCPT",
                "lineNumber": line_no * 10000,
                "customerId": invoice["customerId"],
                "customerNumber": invoice["customerNumber"],
                "postingDate": world.anchor.date().isoformat(),
                "documentNumber": f"PAY{line_no + 2000:05d}",
                "amount": invoice["remainingAmount"],
                "appliesToInvoiceId": invoice["id"],
                "appliesToInvoiceNumber": invoice["number"],
                "description": f"Payment {invoice['customerName']}",
                "lastModifiedDateTime": iso_z(world.anchor, millis=True),
                "_companyId": main_id,
                "_set": "customerPayments",
                "_version": 1,
            },
        )
    # The custom API page (northwind/billing/v1.0 billingSchedules): a milestone per project for the first
    # few projects, keyed without the random stream.
    for n, project in enumerate(projects[:3]):
        sid = str(uuid.uuid5(uuid.UUID(project["id"]), "billing-schedule"))
        out.add(
            "dynamics",
            "billingSchedules",
            sid,
            {
                **SETS_DEF["billingSchedules"].defaults,
                "id": sid,
                "projectNumber": project["number"],
                "description": "Milestone 1",
                "billingDate": (world.anchor.date() + timedelta(days=30 * (n + 1))).isoformat(),
                "amount": 5000.0,
                "lastModifiedDateTime": iso_z(world.anchor, millis=True),
                "_companyId": main_id,
                "_set": "billingSchedules",
                "_version": 1,
            },
        )
    out.counters[f"dynamics:payline:{main_id}"] = line_no
    # The main company's setup records a template names (item numbers, tax group codes, currency codes);
    # ids derived from the code, not drawn, so the seed after them stays the same.
    _add_setup(out, main_id, SETUP, iso_z(created_at, millis=True))
    _seed_vat_company(out, main_id, created_at)
    # API-created customers and projects continue the seeded number series instead of colliding with it.
    out.counters["dynamics:customers"] = 10000 + len(customers)
    out.counters["dynamics:projects"] = 10000 + len(projects)


def _add_cash_journal(out: Rows, company_id: str, stamp: str) -> dict:
    """The company's CASHRCPT customer payment journal; its id derived from the company (not drawn from the
    world's random stream, so other seeds stay put)."""
    jid = str(uuid.uuid5(uuid.UUID(company_id), "CASHRCPT"))
    return out.add(
        "dynamics",
        "customerPaymentJournals",
        jid,
        {
            **SETS_DEF["customerPaymentJournals"].defaults,
            "id": jid,
            "code": "CASHRCPT",
            "displayName": "Cash receipts",
            "lastModifiedDateTime": stamp,
            "balancingAccountNumber": "10100",
            "_companyId": company_id,
            "_set": "customerPaymentJournals",
            "_version": 1,
        },
    )


def _add_setup(out: Rows, company_id: str, setup: dict[str, list[dict]], stamp: str) -> None:
    """A company's setup records (items, tax groups, currencies ...): ids derived from company and code."""
    for es, rows in setup.items():
        for values in rows:
            code = values.get("number") or values["code"]
            sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dynamics:{company_id}:{es}:{code}"))
            out.add(
                "dynamics",
                es,
                sid,
                {
                    **SETS_DEF[es].defaults,
                    "id": sid,
                    **values,
                    "lastModifiedDateTime": stamp,
                    "_companyId": company_id,
                    "_set": es,
                    "_version": 1,
                },
            )


def _seed_vat_company(out: Rows, main_id: str, created_at: datetime) -> None:
    """The company that uses VAT: its setup records and a CASHRCPT journal, ids derived (no draws)."""
    stamp = iso_z(created_at, millis=True)
    vid = str(uuid.uuid5(uuid.UUID(main_id), "vat-company"))
    out.add(
        "dynamics",
        "companies",
        vid,
        {
            "id": vid,
            "systemVersion": "24.0.16410.18056",
            "name": VAT_COMPANY,
            "displayName": VAT_COMPANY,
            "businessProfileId": "",
            "systemCreatedAt": stamp,
            "systemCreatedBy": "00000000-0000-0000-0000-000000000001",
            "systemModifiedAt": stamp,
            "systemModifiedBy": "00000000-0000-0000-0000-000000000001",
            "_set": "companies",
            "_version": 1,
            "_vat": True,  # sales lines take the VAT % of their taxCode (routes.py)
            "_lcy": "GBP",  # its local currency: documents without a currency are in GBP
        },
    )
    _add_setup(out, vid, VAT_SETUP, stamp)
    _add_cash_journal(out, vid, stamp)
