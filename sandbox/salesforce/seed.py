"""Salesforce seed: users, the price book, accounts with contacts, opportunities with line items, and the
firm's 300 people as Certinia resources (Contacts); the Certinia projects follow (certinia/seed.py).

Its won deals go into the shared world, where Certinia, Kantata, NetSuite and Business Central pick them up.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ..platform.seeding import FIRST, LAST, Deal, Rows, World
from ..platform.timeutil import sf_datetime, start_of_day
from .certinia.seed import seed as seed_certinia
from .schema import AUTONUMBER, OBJECTS, derive, make_id

PRODUCTS = (
    ("Implementation Services", "IMPL-SVC", "Services", 185.0),
    ("Advisory Retainer", "ADV-RET", "Retainer", 12000.0),
    ("Strategy Workshop", "STRAT-WS", "Services", 9500.0),
    ("Managed Services", "MGD-SVC", "Recurring", 7500.0),
    ("Change Management", "CHG-MGMT", "Services", 165.0),
    ("Data Migration", "DATA-MIG", "Services", 175.0),
    ("Training Package", "TRAIN-PKG", "Training", 4200.0),
    ("PMO Services", "PMO-SVC", "Services", 155.0),
)
STAGES_OPEN = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
)


def seed(world: World, out: Rows) -> None:
    rng = world.rng
    index: dict[str, dict[str, dict[str, Any]]] = {}

    def peek(_system: str, obj: str, rid: str) -> dict[str, Any] | None:
        return index.get(obj, {}).get(rid)

    def sf(
        obj: str, created: datetime, values: dict[str, Any], modified: datetime | None = None
    ) -> dict[str, Any]:
        odef = OBJECTS[obj]
        rid = make_id(odef.prefix, out.next(f"salesforce:{odef.prefix}", 1))
        modified = modified or min(world.anchor, created + timedelta(days=rng.uniform(0, 30)))
        record = {
            "Id": rid,
            "IsDeleted": False,
            "CreatedDate": sf_datetime(created),
            "LastModifiedDate": sf_datetime(modified),
            "SystemModstamp": sf_datetime(modified),
            "CreatedById": make_id("005", 1),
            "LastModifiedById": make_id("005", 1),
            **values,
        }
        if obj in AUTONUMBER:
            field, prefix = AUTONUMBER[obj]
            record[field] = f"{prefix}{out.next('sf-autonumber:' + obj, 100001):06d}"
        derive(obj, record, peek)
        index.setdefault(obj, {})[rid] = record
        return out.add("salesforce", obj, rid, record)

    long_ago = world.when(900, 800)
    users = [
        sf(
            "User",
            long_ago,
            {
                "Username": "integration@northwind-advisory.com.sandbox",
                "FirstName": "Integration",
                "LastName": "User",
                "Email": "integration@northwind-advisory.com",
                "IsActive": True,
                "Title": "API User",
                "Department": "IT",
            },
        )
    ]
    for person in world.people[:24]:
        users.append(
            sf(
                "User",
                long_ago,
                {
                    "Username": person.email + ".sandbox",
                    "FirstName": person.first,
                    "LastName": person.last,
                    "Email": person.email,
                    "IsActive": True,
                    "Title": "Account Executive" if len(users) < 14 else person.role,
                    "Department": "Sales" if len(users) < 14 else person.department,
                },
            )
        )
    sellers = users[1:14]

    products, entries = [], []
    book = sf("Pricebook2", long_ago, {"Name": "Standard Price Book", "IsActive": True, "IsStandard": True})
    for pname, code, family, price in PRODUCTS:
        product = sf(
            "Product2",
            long_ago,
            {
                "Name": pname,
                "ProductCode": code,
                "Family": family,
                "IsActive": True,
                "Description": f"{pname} delivered by Northwind Advisory",
            },
        )
        products.append((product, price))
        entries.append(
            sf(
                "PricebookEntry",
                long_ago,
                {
                    "Pricebook2Id": book["Id"],
                    "Product2Id": product["Id"],
                    "UnitPrice": price,
                    "IsActive": True,
                },
            )
        )

    internal = sf(
        "Account",
        long_ago,
        {
            "Name": "Northwind Advisory (Internal)",
            "Type": "Other",
            "Industry": "Consulting",
            "BillingCity": "Chicago",
            "BillingCountry": "United States",
            "OwnerId": users[0]["Id"],
            "NumberOfEmployees": 300,
        },
    )
    resources = []
    for n, person in enumerate(world.people):
        resources.append(
            sf(
                "Contact",
                world.when(800, 30),
                {
                    "AccountId": internal["Id"],
                    "FirstName": person.first,
                    "LastName": person.last,
                    "Email": person.email,
                    "Title": person.role,
                    "Department": person.department,
                    "pse__Is_Resource__c": True,
                    "pse__Is_Resource_Active__c": n % 37 != 0,
                    "pse__Resource_Role__c": person.role,
                    "pse__Default_Cost_Rate__c": float(person.cost),
                    "MailingCity": "Chicago",
                    "pse__Salesforce_User__c": users[n + 1]["Id"] if n < 24 else None,
                },
            )
        )

    account_no = 10000
    for org in world.orgs:
        account_no += 1
        created = world.when(720, 60)
        owner = rng.choice(sellers)
        account = sf(
            "Account",
            created,
            {
                "Name": org.name,
                "AccountNumber": f"ACC-{account_no}",
                "Type": rng.choice(
                    ("Customer - Direct", "Customer - Direct", "Customer - Channel", "Prospect")
                ),
                "Industry": org.industry,
                "Phone": f"+1 {rng.randint(201, 989)}-555-{rng.randint(1000, 9999)}",
                "Website": org.website,
                "BillingStreet": f"{rng.randint(1, 999)} {rng.choice(LAST)} Street",
                "BillingCity": org.city[0],
                "BillingState": org.city[1],
                "BillingCountry": org.city[2],
                "BillingPostalCode": f"{rng.randint(10000, 99999)}",
                "NumberOfEmployees": org.employees,
                "AnnualRevenue": float(org.employees * rng.randint(90, 400) * 1000),
                "OwnerId": owner["Id"],
            },
            modified=world.when(60, 0),
        )
        org.sf_id = account["Id"]
        domain = org.website.removeprefix("www.")
        for _ in range(rng.randint(2, 4)):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            sf(
                "Contact",
                world.when(700, 10),
                {
                    "AccountId": account["Id"],
                    "FirstName": first,
                    "LastName": last,
                    "Email": f"{first}.{last}@{domain}".lower(),
                    "Title": rng.choice(
                        ("CFO", "CIO", "VP Operations", "Director of IT", "Controller", "Head of PMO", "COO")
                    ),
                    "Phone": f"+1 {rng.randint(201, 989)}-555-{rng.randint(1000, 9999)}",
                    "OwnerId": owner["Id"],
                    "MailingCity": org.city[0],
                    "MailingCountry": org.city[2],
                },
            )
        for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
            roll = rng.random()
            product, price = rng.choice(products)
            name = f"{org.base} - {product['Name']}"
            if roll < 0.36:
                stage, close = "Closed Won", (world.anchor - timedelta(days=rng.randint(5, 540))).date()
            elif roll < 0.55:
                stage, close = "Closed Lost", (world.anchor - timedelta(days=rng.randint(5, 540))).date()
            else:
                stage, close = (
                    rng.choice(STAGES_OPEN),
                    (world.anchor + timedelta(days=rng.randint(5, 200))).date(),
                )
            opp_created = start_of_day(close) - timedelta(days=rng.randint(30, 120))
            opp_created = min(opp_created, world.when(5, 1))
            lines = []
            if stage == "Closed Won":
                picks = [(product, price)] + rng.sample(products, rng.randint(0, 2))
                seen_ids = set()
                for prod, unit in picks:
                    if prod["Id"] in seen_ids:
                        continue
                    seen_ids.add(prod["Id"])
                    qty = (
                        rng.choice((80, 120, 160, 240, 400, 640))
                        if unit < 1000
                        else rng.choice((1, 2, 3, 6, 12))
                    )
                    lines.append((prod, unit, qty))
            amount = (
                round(sum(u * q for _, u, q in lines), 2) if lines else float(rng.randint(15, 400) * 1000)
            )
            opp = sf(
                "Opportunity",
                opp_created,
                {
                    "Name": name,
                    "AccountId": account["Id"],
                    "StageName": stage,
                    "CloseDate": close.isoformat(),
                    "Amount": amount,
                    "Type": rng.choice(("New Business", "Existing Business")),
                    "LeadSource": rng.choice(
                        ("Partner Referral", "Web", "Event", "Outbound", "Customer Referral")
                    ),
                    "ForecastCategoryName": "Closed"
                    if stage == "Closed Won"
                    else "Omitted"
                    if stage == "Closed Lost"
                    else "Pipeline",
                    "OwnerId": owner["Id"],
                    "Pricebook2Id": book["Id"],
                },
                modified=min(world.anchor, start_of_day(close) + timedelta(hours=rng.randint(9, 18)))
                if stage.startswith("Closed")
                else world.when(20, 0),
            )
            for prod, unit, qty in lines:
                entry = next(e for e in entries if e["Product2Id"] == prod["Id"])
                sf(
                    "OpportunityLineItem",
                    opp_created,
                    {
                        "OpportunityId": opp["Id"],
                        "PricebookEntryId": entry["Id"],
                        "Product2Id": prod["Id"],
                        "Quantity": float(qty),
                        "UnitPrice": unit,
                        "ServiceDate": close.isoformat(),
                        "Billing_Type__c": "Time and Materials"
                        if unit < 1000
                        else "Retainer"
                        if prod.get("Family") in ("Retainer", "Recurring")
                        else "Fixed Fee",
                    },
                )
            if stage == "Closed Won":
                billing = "Fixed Price" if price >= 1000 else "Time and Materials"
                world.won.append(Deal(org, name, product["Name"], amount, close, billing, opp["Id"]))

    seed_certinia(world, sf, resources)
