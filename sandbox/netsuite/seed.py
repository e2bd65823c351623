"""NetSuite seed: the account's setup records (currencies, subsidiaries, terms, price levels, departments,
classes, locations, service items, SuiteTax codes: fixed ids, no random draws), then customers (most of
them CRM accounts under another spelling, a few ERP-only), a job per won deal, invoices and the payments
applied to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..platform.seeding import CITIES, INDUSTRIES, ORG_A, SUFFIX, Org, Rows, World, variant
from ..platform.timeutil import iso_z, start_of_day
from .schema import ID_START, LISTS, TRAN_PREFIX, TYPES_DEF, recompute_invoice, settle_address_book

COUNTRY_CODES = {name: code for code, name in LISTS["country"].items()}
# name, symbol, display symbol, exchange rate to the base currency (USD)
CURRENCIES = {
    "1": ("USA", "USD", "$", 1.0),
    "2": ("British pound", "GBP", "£", 1.27),
    "3": ("Canadian Dollar", "CAD", "$", 0.74),
    "4": ("Euro", "EUR", "€", 1.08),
}
# name, currency, country, parent
SUBSIDIARIES = {
    "1": ("Northwind Advisory Inc.", "1", "US", None),
    "2": ("Northwind Advisory Ltd (UK)", "2", "GB", "1"),
    "3": ("Northwind Advisory GmbH", "4", "DE", "1"),
}
TERMS = {"1": ("Net 15", 15), "2": ("Net 30", 30), "3": ("Net 60", 60), "4": ("Due on receipt", 0)}
PRICE_LEVELS = {"1": ("Base Price", 0.0), "2": ("Partner Price", -10.0)}
DIMENSIONS = {
    "department": {"1": "Consulting", "2": "Advisory", "3": "Implementation"},
    "classification": {"1": "Time & Materials", "2": "Fixed Fee", "3": "Retainer"},
    "location": {"1": "New York", "2": "London", "3": "Berlin"},
}
ITEMS = {
    "10": "Professional Services - T&M",
    "11": "Fixed Fee Milestone",
    "12": "Advisory Retainer",
    "13": "Reimbursable Expenses",
    "14": "Implementation Services",
}
HOURLY = {"10": {"1": 175.0, "2": 140.0, "4": 160.0}, "14": {"1": 195.0, "2": 155.0, "4": 180.0}}
# SuiteTax tax codes (sales tax items share the item id space): name, tax type, rate
TAX_CODES = {
    "15": ("US-Exempt", "13", 0.0),
    "16": ("UK Standard 20%", "14", 20.0),
    "17": ("UK Zero", "14", 0.0),
}


def seed_setup(world: World, out: Rows) -> None:
    """The setup records every account has before any customer: fixed ids, the same in every tenant."""
    stamp = iso_z(world.anchor - timedelta(days=720))

    def add(rtype: str, rid: str, values: dict[str, Any]) -> None:
        record = {**TYPES_DEF[rtype].defaults, "id": rid, **values, "lastModifiedDate": stamp}
        out.add("netsuite", rtype, rid, {k: v for k, v in record.items() if v is not None})

    for rid, (name, symbol, display, rate) in CURRENCIES.items():
        add(
            "currency",
            rid,
            {
                "name": name,
                "symbol": symbol,
                "displaySymbol": display,
                "exchangeRate": rate,
                "isBaseCurrency": rid == "1",
            },
        )
    for rid, (name, currency, country, parent) in SUBSIDIARIES.items():
        add(
            "subsidiary",
            rid,
            {"name": name, "legalName": name, "currency": currency, "country": country, "parent": parent},
        )
    for rid, (name, days) in TERMS.items():
        add("term", rid, {"name": name, "daysUntilNetDue": days})
    for rid, (name, pct) in PRICE_LEVELS.items():
        add("pricelevel", rid, {"name": name, "discountPct": pct})
    for rtype, names in DIMENSIONS.items():
        for rid, name in names.items():
            add(rtype, rid, {"name": name, "subsidiary": list(SUBSIDIARIES), "includeChildren": True})
    for rid, name in ITEMS.items():
        prices = [
            {"currencyPage": currency, "priceLevel": "1", "quantity": 0, "price": price}
            for currency, price in HOURLY.get(rid, {}).items()
        ]
        add(
            "servicesaleitem",
            rid,
            {
                "itemId": name,
                "displayName": name,
                "salesDescription": name,
                "subsidiary": ["1"],
                "price": prices,
                "createdDate": stamp,
            },
        )
    for rid, (name, tax_type, rate) in TAX_CODES.items():
        add("salestaxitem", rid, {"name": name, "description": name, "taxType": tax_type, "rate": rate})
    out.counters.update(
        {
            "netsuite:currency": len(CURRENCIES),
            "netsuite:subsidiary": len(SUBSIDIARIES),
            "netsuite:term": len(TERMS),
            "netsuite:pricelevel": len(PRICE_LEVELS),
            **{f"netsuite:{rtype}": len(names) for rtype, names in DIMENSIONS.items()},
            "netsuite:item": max(int(i) for i in (*ITEMS, *TAX_CODES)),
        }
    )


def seed(world: World, out: Rows) -> None:
    seed_setup(world, out)
    rng = world.rng
    customers = []
    orgs = world.orgs[:110]
    extra = [
        Org(
            f"{rng.choice(ORG_A)} {rng.choice(('Advisors', 'Ventures', 'Trading', 'Clinics'))} {s}".strip(),
            "",
            s,
            rng.choice(CITIES),
            rng.choice(INDUSTRIES),
            "",
            50,
        )
        for s in rng.choices(SUFFIX, k=30)
    ]

    def entity(rtype: str, created: datetime, values: dict[str, Any]) -> dict[str, Any]:
        rid = str(out.next("netsuite:entity", ID_START["entity"]))
        modified = min(world.anchor, created + timedelta(days=rng.uniform(0, 60)))
        record = {
            **TYPES_DEF[rtype].defaults,
            "id": rid,
            **values,
            "dateCreated": iso_z(created),
            "lastModifiedDate": iso_z(modified),
        }
        if rtype == "customer":
            settle_address_book(record)
        return out.add("netsuite", rtype, rid, record)

    for org in orgs + extra:
        name = variant(rng, org) if org.base and rng.random() < 0.7 else org.name
        linked = bool(org.sf_id) and rng.random() < 0.2
        customers.append(
            (
                org,
                entity(
                    "customer",
                    world.when(700, 40),
                    {
                        "entityId": f"CUST{len(customers) + 10001}",
                        "companyName": name,
                        "email": f"ap@{org.website.removeprefix('www.')}" if org.website else None,
                        "phone": f"+1 {rng.randint(201, 989)}-555-{rng.randint(1000, 9999)}",
                        "url": f"https://{org.website}" if org.website else None,
                        "externalId": org.sf_id if linked else None,
                        # One address, the default billing and shipping one (no street: the CRM's
                        # street is drawn separately); defaultAddress is derived from it below.
                        "addressBook": [
                            {
                                "defaultBilling": True,
                                "defaultShipping": True,
                                "label": "Main",
                                "addressBookAddress": {
                                    k: v
                                    for k, v in {
                                        "city": org.city[0],
                                        "state": org.city[1],
                                        "country": COUNTRY_CODES.get(org.city[2]),
                                    }.items()
                                    if v
                                },
                            }
                        ],
                        "currency": "2" if org.city[2] == "United Kingdom" else "1",
                        "subsidiary": "2" if org.city[2] == "United Kingdom" else "1",
                        "terms": "2",
                        # UK customers are VAT-registered (no random draw: the seed stays the same).
                        "taxRegistration": [
                            {"nexusCountry": "GB", "taxRegistrationNumber": f"GB{100000000 + len(customers)}"}
                        ]
                        if org.city[2] == "United Kingdom"
                        else None,
                    },
                ),
            )
        )
    by_org = {id(org): rec for org, rec in customers}
    jobs = []
    for deal in world.won:
        customer = by_org.get(id(deal.org))
        if customer is None or rng.random() < 0.2:
            continue
        start = deal.close + timedelta(days=rng.randint(7, 21))
        jobs.append(
            (
                customer,
                entity(
                    "job",
                    min(world.anchor, start_of_day(deal.close) + timedelta(days=2)),
                    {
                        "entityId": f"PRJ{len(jobs) + 5001} {deal.org.base}",
                        "companyName": deal.name,
                        "parent": customer["id"],
                        "startDate": start.isoformat(),
                        "projectedEndDate": (start + timedelta(days=rng.randint(60, 240))).isoformat(),
                        "entityStatus": "1" if start + timedelta(days=200) < world.anchor.date() else "2",
                        "subsidiary": customer["subsidiary"],
                        "currency": customer["currency"],
                    },
                ),
            )
        )

    def txn(rtype: str, created: datetime, values: dict[str, Any]) -> dict[str, Any]:
        rid = str(out.next("netsuite:transaction", ID_START["transaction"]))
        tran = f"{TRAN_PREFIX[rtype]}{out.next('netsuite:tranid:' + rtype, 10001)}"
        record = {
            **TYPES_DEF[rtype].defaults,
            "id": rid,
            "tranId": tran,
            **values,
            "createdDate": iso_z(created),
            "lastModifiedDate": iso_z(created),
        }
        return out.add("netsuite", rtype, rid, record)

    items = list(ITEMS)
    for customer, job in jobs:
        for _ in range(rng.randint(2, 9)):
            day = (world.anchor - timedelta(days=rng.randint(3, 360))).date()
            invoice = txn(
                "invoice",
                start_of_day(day) + timedelta(hours=rng.randint(8, 18)),
                {
                    "entity": customer["id"],
                    "job": job["id"],
                    "tranDate": day.isoformat(),
                    "dueDate": (day + timedelta(days=30)).isoformat(),
                    "memo": f"Services - {day:%B %Y}",
                    "currency": customer["currency"],
                    "subsidiary": customer["subsidiary"],
                    "terms": "2",
                    "amountPaid": 0.0,
                    "otherRefNum": f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.4 else None,
                    "item": [
                        {
                            "item": i,
                            "description": ITEMS[i],
                            "quantity": float(rng.choice((1, 8, 16, 24, 40, 80)))
                            if i in ("10", "14")
                            else 1.0,
                            "rate": float(
                                rng.choice((150, 175, 195, 225))
                                if i in ("10", "14")
                                else rng.randint(20, 250) * 100
                            ),
                        }
                        for i in rng.sample(items, rng.randint(1, 3))
                    ],
                },
            )
            recompute_invoice(invoice)
            age = (world.anchor.date() - day).days
            if age > 25 and rng.random() < 0.7:
                amount = invoice["total"] if rng.random() < 0.85 else round(invoice["total"] * 0.5, 2)
                paid_on = day + timedelta(days=rng.randint(10, min(age, 75)))
                when = start_of_day(paid_on) + timedelta(hours=11)
                txn(
                    "customerpayment",
                    when,
                    {
                        "customer": customer["id"],
                        "tranDate": paid_on.isoformat(),
                        "payment": amount,
                        "currency": customer["currency"],
                        "subsidiary": customer["subsidiary"],
                        "status": "deposited",
                        "memo": f"Payment for {invoice['tranId']}",
                        "apply": [{"doc": invoice["id"], "amount": amount, "apply": True}],
                    },
                )
                invoice["amountPaid"] = amount
                invoice["lastModifiedDate"] = iso_z(when)
                recompute_invoice(invoice)
    balances: dict[str, float] = {}
    for _, inv in out.rows.get(("netsuite", "invoice"), []):
        balances[inv["entity"]] = balances.get(inv["entity"], 0.0) + inv["amountRemaining"]
    for _, record in customers:
        record["balance"] = round(balances.get(record["id"], 0.0), 2)
