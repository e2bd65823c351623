"""Deterministic demo data for a 300-person consulting firm ("Northwind Advisory") across all systems.

One random.Random(seed) drives everything; timestamps run back from an anchor day (default: today, UTC),
so the same seed and anchor always give the same records. The CRM, PSA and ERP data overlap the way real
tenants do: ERP customers are mostly CRM accounts, often spelled differently ("Acme Corp" / "ACME
Corporation"), and only some carry a cross-reference.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .business_central import routes as bc
from .kantata.routes import ID_START as KANTATA_IDS
from .netsuite import routes as ns
from .platform.store import Store
from .platform.timeutil import iso_offset, iso_z, sf_datetime, start_of_day, utcnow
from .salesforce.routes import derive as sf_derive
from .salesforce.schema import AUTONUMBER, OBJECTS, make_id

FIRST = (
    "Olivia Liam Emma Noah Amelia Oliver Sophia Elijah Charlotte James Ava William Mia Benjamin Harper Lucas "
    "Evelyn Henry Abigail Theodore Emily Jack Ella Levi Elizabeth Alexander Camila Jackson Luna Mateo Sofia "
    "Daniel Avery Michael Mila Mason Aria Sebastian Scarlett Ethan Penelope Logan Layla Owen Chloe Samuel "
    "Victoria Jacob Madison Asher Eleanor Aiden Grace John Nora Joseph Riley Wyatt Zoey David Hannah Leo "
    "Hazel Luke Lily Julian Ellie Hudson Violet Grayson Lillian Matthew Zoe Ezra Stella Gabriel Aurora "
    "Carter "
    "Natalie Isaac Emilia Jayden Everly Priya Arjun Mei Wei Hiroshi Yuki Fatima Omar Ingrid Lars Chiara Marco"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez "
    "Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker "
    "Hall Rivera Campbell Mitchell Carter Roberts Patel Shah Kim Chen Wang Tanaka Okafor Schmidt Muller "
    "Rossi Dubois Larsen Novak Kowalski Silva Costa Murphy Kelly OBrien Fischer Becker Jensen Lindqvist"
).split()
ORG_A = (
    "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Soylent Cyberdyne Tyrell Wonka Oscorp Gringotts "
    "Pied Piper Massive Dynamic Aperture Blue Harbor Crestview Ironwood Northstar Silverline Redwood Summit "
    "Bright Horizon Evergreen Granite Peak Lakeside Meridian Oakridge Pinnacle Riverbend Sterling Trident "
    "Westbrook Harborview Keystone Beacon Cobalt Falcon Horizon Juniper Kestrel Lumen Maple Nimbus Orion "
    "Quantum Sequoia Tandem Unity Vertex Willow Zenith Atlas Bluebird Cascade Delta Ember Fjord"
).split()
ORG_B = (
    "Logistics Health Energy Capital Foods Manufacturing Pharma Retail Media Insurance Analytics Systems "
    "Robotics Biotech Aerospace Telecom Realty Hospitality Mining Utilities Software Labs Textiles Freight"
).split()
SUFFIX = ("Corp", "Inc", "LLC", "Group", "Holdings", "Ltd", "Partners", "Co", "Industries", "")
SUFFIX_VARIANT = {
    "Corp": ("Corporation", "Corp.", "CORP"),
    "Inc": ("Inc.", ", Inc.", "Incorporated"),
    "LLC": ("L.L.C.", ", LLC", "Llc"),
    "Group": ("Grp", "Group Ltd", "Grp."),
    "Holdings": ("Holding", "Hldgs", "Holdings Inc"),
    "Ltd": ("Limited", "Ltd.", "LTD"),
    "Partners": ("Partners LLP", "& Partners", "Partners, LP"),
    "Co": ("Company", "Co.", "& Co"),
    "Industries": ("Ind.", "Industries Inc", "Industries Corp"),
    "": ("Inc", "Corp", "LLC"),
}
CITIES = (
    ("New York", "NY", "United States"),
    ("Chicago", "IL", "United States"),
    ("Austin", "TX", "United States"),
    ("Boston", "MA", "United States"),
    ("Seattle", "WA", "United States"),
    ("Denver", "CO", "United States"),
    ("Atlanta", "GA", "United States"),
    ("San Francisco", "CA", "United States"),
    ("Toronto", "ON", "Canada"),
    ("London", "", "United Kingdom"),
    ("Manchester", "", "United Kingdom"),
    ("Dublin", "", "Ireland"),
    ("Amsterdam", "", "Netherlands"),
    ("Berlin", "", "Germany"),
    ("Sydney", "NSW", "Australia"),
)
INDUSTRIES = (
    "Technology",
    "Healthcare",
    "Financial Services",
    "Manufacturing",
    "Retail",
    "Energy",
    "Media",
    "Transportation",
    "Insurance",
    "Education",
    "Consulting",
    "Biotechnology",
)
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
ROLES = (
    ("Consultant", 95, 175),
    ("Senior Consultant", 120, 210),
    ("Manager", 145, 250),
    ("Senior Manager", 170, 295),
    ("Director", 210, 350),
    ("Analyst", 70, 140),
    ("Architect", 160, 275),
    ("Project Manager", 135, 230),
)
DEPARTMENTS = ("Delivery", "Advisory", "Technology", "Data & Analytics", "Change", "PMO")
STAGES_OPEN = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
EXPENSE_CATEGORIES = ("Travel", "Lodging", "Meals", "Mileage", "Software", "Client Entertainment")
TASKS = (
    "Discovery workshops",
    "Current-state assessment",
    "Solution design",
    "Configuration",
    "Data migration",
    "Integration build",
    "User acceptance testing",
    "Training",
    "Go-live support",
    "Hypercare",
    "Steering committee",
    "Project management",
)


@dataclass
class Person:
    first: str
    last: str
    email: str
    role: str
    cost: int
    bill: int
    department: str


@dataclass
class Org:
    name: str
    base: str
    suffix: str
    city: tuple[str, str, str]
    industry: str
    website: str
    employees: int
    sf_id: str = ""


@dataclass
class Deal:
    org: Org
    name: str
    product: str
    amount: float
    close: date
    billing: str
    opp_id: str


@dataclass
class World:
    rng: random.Random
    anchor: datetime
    people: list[Person] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    won: list[Deal] = field(default_factory=list)

    def when(self, max_days: float, min_days: float = 0.0) -> datetime:
        """A moment between max_days and min_days before the anchor."""
        seconds = self.rng.uniform(min_days * 86400, max_days * 86400)
        return self.anchor - timedelta(seconds=seconds)

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def _variant(rng: random.Random, org: Org) -> str:
    """A believable alternative spelling of the same company, as a second system would hold it."""
    base, suffix = org.base, org.suffix
    choice = rng.random()
    if choice < 0.35:
        return f"{base.upper()} {rng.choice(SUFFIX_VARIANT[suffix])}".replace(" ,", ",").strip()
    if choice < 0.6:
        return f"{base} {rng.choice(SUFFIX_VARIANT[suffix])}".replace(" ,", ",").strip()
    if choice < 0.75:
        return f"The {base} {suffix}".strip()
    if choice < 0.9:
        return base.replace(" ", "") + (f" {suffix}" if suffix else "")
    return base


def _world(seed: int, anchor: str | None) -> World:
    rng = random.Random(seed)
    day = date.fromisoformat(anchor) if anchor else utcnow().date()
    world = World(rng, start_of_day(day))
    seen: set[str] = set()
    while len(world.people) < 300:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}".lower()
        n = 2
        while email in seen:
            email = f"{first}.{last}{n}".lower()
            n += 1
        seen.add(email)
        role, cost, bill = rng.choices(ROLES, weights=(30, 22, 14, 8, 4, 14, 5, 9))[0]
        world.people.append(
            Person(first, last, f"{email}@northwind-advisory.com", role, cost, bill, rng.choice(DEPARTMENTS))
        )
    names: set[str] = set()
    while len(world.orgs) < 150:
        base = f"{rng.choice(ORG_A)} {rng.choice(ORG_B)}" if rng.random() < 0.7 else rng.choice(ORG_A)
        suffix = rng.choice(SUFFIX)
        name = f"{base} {suffix}".strip()
        if base in names:
            continue
        names.add(base)
        slug = base.lower().replace(" ", "")
        world.orgs.append(
            Org(
                name,
                base,
                suffix,
                rng.choice(CITIES),
                rng.choice(INDUSTRIES),
                f"www.{slug}.com",
                rng.choice((45, 120, 350, 800, 2400, 6000, 15000)),
            )
        )
    return world


class _Rows:
    """Collects rows per (system, object) and the id counters to persist after seeding."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        self.counters: dict[str, int] = {}

    def add(self, system: str, obj: str, rid: str, record: dict[str, Any]) -> dict[str, Any]:
        self.rows.setdefault((system, obj), []).append((rid, record))
        return record

    def next(self, name: str, start: int) -> int:
        self.counters[name] = self.counters.get(name, start - 1) + 1
        return self.counters[name]


# -- Salesforce + Certinia -----------------------------------------------------------------------
def _salesforce(world: World, out: _Rows) -> None:
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
            record["Name"] = f"{AUTONUMBER[obj]}{out.next('sf-autonumber:' + obj, 100001):06d}"
        sf_derive(obj, record, peek)
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
                    },
                )
            if stage == "Closed Won":
                billing = "Fixed Price" if price >= 1000 else "Time and Materials"
                world.won.append(Deal(org, name, product["Name"], amount, close, billing, opp["Id"]))

    _certinia(world, sf, resources)


def _certinia(world: World, sf: Any, resources: list[dict[str, Any]]) -> None:
    rng = world.rng
    active = [r for r in resources if r["pse__Is_Resource_Active__c"]]
    for n, deal in enumerate(sorted(world.won, key=lambda d: d.close)):
        start = deal.close + timedelta(days=rng.randint(7, 21))
        end = start + timedelta(days=rng.randint(60, 240))
        today = world.anchor.date()
        stage = "Completed" if end < today else "In Progress" if start <= today else "Planned"
        created = min(world.anchor, start_of_day(deal.close) + timedelta(days=rng.uniform(1, 5)))
        pm = rng.choice(
            [
                r
                for r in active
                if r["pse__Resource_Role__c"] in ("Manager", "Project Manager", "Senior Manager")
            ]
        )
        project = sf(
            "pse__Proj__c",
            created,
            {
                "Name": deal.name,
                "pse__Account__c": deal.org.sf_id,
                "pse__Opportunity__c": deal.opp_id,
                "pse__Project_Manager__c": pm["Id"],
                "pse__Start_Date__c": start.isoformat(),
                "pse__End_Date__c": end.isoformat(),
                "pse__Stage__c": stage,
                "pse__Is_Active__c": stage != "Completed",
                "pse__Is_Billable__c": True,
                "pse__Billing_Type__c": deal.billing,
                "pse__Project_Type__c": "Customer Project",
                "pse__Bookings__c": deal.amount,
                "pse__Planned_Hours__c": float(rng.randint(20, 160) * 10),
                "pse__Project_ID__c": f"PRJ-{n + 1:05d}",
            },
        )
        milestones = []
        for m in range(rng.randint(2, 4)):
            target = start + (end - start) * (m + 1) / 4
            done = target < today
            milestones.append(
                sf(
                    "pse__Milestone__c",
                    created,
                    {
                        "Name": ("Kick-off", "Design sign-off", "Build complete", "Go-live")[m],
                        "pse__Project__c": project["Id"],
                        "pse__Target_Date__c": target.isoformat(),
                        "pse__Actual_Date__c": target.isoformat() if done else None,
                        "pse__Milestone_Amount__c": round(deal.amount / 4, 2)
                        if deal.billing == "Fixed Price"
                        else 0.0,
                        "pse__Status__c": "Approved" if done else "Planned",
                        "pse__Approved__c": done,
                    },
                )
            )
        team = rng.sample(active, rng.randint(2, 5))
        for person in team:
            assignment = sf(
                "pse__Assignment__c",
                created,
                {
                    "pse__Project__c": project["Id"],
                    "pse__Resource__c": person["Id"],
                    "pse__Role__c": person["pse__Resource_Role__c"],
                    "pse__Bill_Rate__c": float(round(person["pse__Default_Cost_Rate__c"] * 1.75, -1)),
                    "pse__Cost_Rate_Amount__c": person["pse__Default_Cost_Rate__c"],
                    "pse__Start_Date__c": start.isoformat(),
                    "pse__End_Date__c": end.isoformat(),
                    "pse__Status__c": "Closed" if stage == "Completed" else "Scheduled",
                    "pse__Planned_Hours__c": float(rng.randint(8, 60) * 10),
                    "pse__Is_Billable__c": True,
                },
            )
            week = start - timedelta(days=start.weekday())
            for _ in range(rng.randint(2, 6)):
                if week >= today:
                    break
                hours = {
                    d: float(rng.choice((0, 4, 6, 8, 8, 8)))
                    for d in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
                }
                old = (today - week).days > 14
                status = "Approved" if old and rng.random() < 0.9 else rng.choice(("Submitted", "Saved"))
                sf(
                    "pse__Timecard_Header__c",
                    min(world.anchor, start_of_day(week) + timedelta(days=5)),
                    {
                        "pse__Project__c": project["Id"],
                        "pse__Assignment__c": assignment["Id"],
                        "pse__Resource__c": person["Id"],
                        "pse__Milestone__c": rng.choice(milestones)["Id"],
                        "pse__Start_Date__c": week.isoformat(),
                        "pse__End_Date__c": (week + timedelta(days=6)).isoformat(),
                        "pse__Status__c": status,
                        "pse__Approved__c": status == "Approved",
                        "pse__Billable__c": True,
                        "pse__Bill_Rate__c": assignment["pse__Bill_Rate__c"],
                        **{f"pse__{d}_Hours__c": h for d, h in hours.items()},
                        "pse__Saturday_Hours__c": 0.0,
                        "pse__Sunday_Hours__c": 0.0,
                    },
                )
                week += timedelta(days=7)
        if rng.random() < 0.8:
            sf(
                "pse__Resource_Request__c",
                created,
                {
                    "pse__Project__c": project["Id"],
                    "pse__Resource_Role__c": rng.choice(ROLES)[0],
                    "pse__Start_Date__c": start.isoformat(),
                    "pse__End_Date__c": end.isoformat(),
                    "pse__SOW_Hours__c": float(rng.randint(4, 40) * 10),
                    "pse__Status__c": rng.choice(("Draft", "Ready to Staff", "Assigned", "Assigned")),
                    "pse__Notes__c": "Needs industry experience",
                },
            )


# -- Kantata -------------------------------------------------------------------------------------
def _kantata(world: World, out: _Rows) -> None:
    rng = world.rng

    def add(
        coll: str, created: datetime, values: dict[str, Any], modified: datetime | None = None
    ) -> dict[str, Any]:
        rid = str(out.next(f"kantata:{coll}", KANTATA_IDS[coll]))
        modified = modified or min(world.anchor, created + timedelta(days=rng.uniform(0, 10)))
        record = {"id": rid, **values, "created_at": iso_offset(created), "updated_at": iso_offset(modified)}
        return out.add("kantata", coll, rid, record)

    users = [
        add(
            "users",
            world.when(900, 400),
            {
                "full_name": f"{p.first} {p.last}",
                "email_address": p.email,
                "headline": p.role,
                "photo_path": "/images/avatar.png",
                "account_id": "42",
            },
        )
        for p in world.people
    ]
    today = world.anchor.date()
    deals = sorted(world.won, key=lambda d: d.close)
    for deal in deals[: max(1, int(len(deals) * 0.95))]:
        start = deal.close + timedelta(days=rng.randint(5, 20))
        due = start + timedelta(days=rng.randint(60, 220))
        status = (
            ("green", 310, "In Progress")
            if start <= today <= due
            else ("grey", 400, "Completed")
            if due < today
            else ("blue", 100, "Not Started")
        )
        created = min(world.anchor, start_of_day(deal.close) + timedelta(days=rng.uniform(1, 4)))
        lead = rng.choice(users)
        ws = add(
            "workspaces",
            created,
            {
                "title": deal.name,
                "description": f"{deal.product} for {deal.org.name}",
                "budgeted": True,
                "price_in_cents": int(deal.amount * 100),
                "currency": "USD",
                "start_date": start.isoformat(),
                "due_date": due.isoformat(),
                "archived": due < today - timedelta(days=90),
                "status": {"color": status[0], "key": status[1], "message": status[2]},
                "creator_id": lead["id"],
                "client_role_name": "Client",
                "consultant_role_name": "Consultant",
            },
            modified=world.when(40, 0),
        )
        stories = []
        for t, title in enumerate(rng.sample(TASKS, rng.randint(4, 6))):
            s_start = start + timedelta(days=t * 14)
            state = (
                "completed"
                if s_start + timedelta(days=14) < today
                else "started"
                if s_start <= today
                else "not started"
            )
            stories.append(
                add(
                    "stories",
                    created,
                    {
                        "title": title,
                        "description": "",
                        "story_type": "task",
                        "state": state,
                        "workspace_id": ws["id"],
                        "parent_id": None,
                        "start_date": s_start.isoformat(),
                        "due_date": (s_start + timedelta(days=14)).isoformat(),
                        "budget_estimate_in_cents": rng.randint(20, 200) * 10000,
                        "time_estimate_in_minutes": rng.randint(10, 120) * 60,
                        "percentage_complete": 100
                        if state == "completed"
                        else rng.choice((0, 25, 50, 75))
                        if state == "started"
                        else 0,
                        "billable": True,
                    },
                )
            )
        team = rng.sample(users, rng.randint(3, 6))
        span = max(1, min((today - start).days, (due - start).days))
        if start > today:
            continue
        for _ in range(rng.randint(20, 36)):
            member = rng.choice(team)
            performed = start + timedelta(days=rng.randint(0, span))
            if performed > today:
                continue
            age = (today - performed).days
            approved = age > 10 and rng.random() < 0.85
            person = world.people[int(member["id"]) - KANTATA_IDS["users"]]
            logged = min(world.anchor, start_of_day(performed) + timedelta(hours=rng.randint(17, 40)))
            add(
                "time_entries",
                logged,
                {
                    "workspace_id": ws["id"],
                    "story_id": rng.choice(stories)["id"],
                    "user_id": member["id"],
                    "date_performed": performed.isoformat(),
                    "time_in_minutes": rng.choice((30, 60, 90, 120, 180, 240, 360, 480)),
                    "billable": rng.random() < 0.9,
                    "notes": rng.choice(
                        ("", "Client call", "Workshop prep", "Build", "Testing", "Status report")
                    ),
                    "rate_in_cents": person.bill * 100,
                    "cost_rate_in_cents": person.cost * 100,
                    "currency": "USD",
                    "approved": approved,
                    "is_invoiced": approved and age > 40 and rng.random() < 0.7,
                },
                modified=min(world.anchor, logged + timedelta(days=rng.uniform(0, 9)))
                if approved
                else logged,
            )
        for _ in range(rng.randint(1, 5)):
            spent = start + timedelta(days=rng.randint(0, span))
            if spent > today:
                continue
            category = rng.choice(EXPENSE_CATEGORIES)
            approved = (today - spent).days > 10 and rng.random() < 0.8
            add(
                "expenses",
                min(world.anchor, start_of_day(spent) + timedelta(hours=20)),
                {
                    "workspace_id": ws["id"],
                    "user_id": rng.choice(team)["id"],
                    "date": spent.isoformat(),
                    "notes": f"{category} - {deal.org.city[0]}",
                    "category": category,
                    "amount_in_cents": rng.randint(15, 900) * 100,
                    "currency": "USD",
                    "billable": rng.random() < 0.85,
                    "reimbursable": True,
                    "approved": approved,
                    "is_invoiced": approved and rng.random() < 0.5,
                },
            )


# -- NetSuite ------------------------------------------------------------------------------------
def _netsuite(world: World, out: _Rows) -> None:
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
        rid = str(out.next("netsuite:entity", ns.ID_START["entity"]))
        modified = min(world.anchor, created + timedelta(days=rng.uniform(0, 60)))
        record = {
            **ns.TYPES_DEF[rtype].defaults,
            "id": rid,
            **values,
            "dateCreated": iso_z(created),
            "lastModifiedDate": iso_z(modified),
        }
        return out.add("netsuite", rtype, rid, record)

    for org in orgs + extra:
        name = _variant(rng, org) if org.base and rng.random() < 0.7 else org.name
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
                        "defaultAddress": f"{org.city[0]}, {org.city[2]}",
                        "currency": "2" if org.city[2] == "United Kingdom" else "1",
                        "subsidiary": "2" if org.city[2] == "United Kingdom" else "1",
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
                    },
                ),
            )
        )

    def txn(rtype: str, created: datetime, values: dict[str, Any]) -> dict[str, Any]:
        rid = str(out.next("netsuite:transaction", ns.ID_START["transaction"]))
        tran = f"{ns.TRAN_PREFIX[rtype]}{out.next('netsuite:tranid:' + rtype, 10001)}"
        record = {
            **ns.TYPES_DEF[rtype].defaults,
            "id": rid,
            "tranId": tran,
            **values,
            "createdDate": iso_z(created),
            "lastModifiedDate": iso_z(created),
        }
        return out.add("netsuite", rtype, rid, record)

    items = list(ns.LISTS["item"])
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
                    "amountPaid": 0.0,
                    "otherRefNum": f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.4 else None,
                    "item": [
                        {
                            "item": i,
                            "description": ns.LISTS["item"][i],
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
            ns.recompute_invoice(invoice)
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
                ns.recompute_invoice(invoice)
    balances: dict[str, float] = {}
    for _, inv in out.rows.get(("netsuite", "invoice"), []):
        balances[inv["entity"]] = balances.get(inv["entity"], 0.0) + inv["amountRemaining"]
    for _, record in customers:
        record["balance"] = round(balances.get(record["id"], 0.0), 2)


# -- Business Central ----------------------------------------------------------------------------
def _dynamics(world: World, out: _Rows) -> None:
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

    def add(es: str, cid: str, modified: datetime, values: dict[str, Any]) -> dict[str, Any]:
        rid = world.guid()
        record = {
            **bc.SETS_DEF[es].defaults,
            "id": rid,
            **values,
            "_companyId": cid,
            "_set": es,
            "_version": 1,
        }
        if "lastModifiedDateTime" in bc.SETS_DEF[es].fields:
            record["lastModifiedDateTime"] = iso_z(modified, millis=True)
        return out.add("dynamics", es, rid, record)

    customers = []
    orgs = world.orgs[30:120]
    for n, org in enumerate(orgs):
        name = _variant(rng, org) if rng.random() < 0.6 else org.name
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
                        "taxRegistrationNumber": "",
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
                bc.line_amounts(line)
                lines.append(line)
            lines_by_invoice[invoice["id"]] = lines
            bc.invoice_totals(invoice, lines, 0.0)
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
                "journalId": "00000000-0000-0000-0000-0000000000aa",
                "journalDisplayName": "CASHRCPT",
                "lineNumber": line_no * 10000,
                "customerId": invoice["customerId"],
                "customerNumber": invoice["customerNumber"],
                "postingDate": paid_on.isoformat(),
                "documentNumber": f"PAY{line_no + 2000:05d}",
                "amount": invoice["totalAmountIncludingTax"],
                "appliedToInvoiceId": invoice["id"],
                "appliedToInvoiceNumber": invoice["number"],
                "description": f"Payment {invoice['customerName']}",
            },
        )
        bc.invoice_totals(invoice, lines_by_invoice[invoice["id"]], invoice["totalAmountIncludingTax"])
    out.counters[f"dynamics:payline:{main_id}"] = line_no
    # API-created customers and projects continue the seeded number series instead of colliding with it.
    out.counters["dynamics:customers"] = 10000 + len(customers)
    out.counters["dynamics:projects"] = 10000 + len(projects)


def seed_all(store: Store, *, seed: int = 20260101, anchor: str | None = None) -> dict[str, dict[str, int]]:
    """Generate everything, then write it in one bulk insert per object; returns counts per system/object."""
    world = _world(seed, anchor)
    out = _Rows()
    _salesforce(world, out)
    _kantata(world, out)
    _netsuite(world, out)
    _dynamics(world, out)
    counts: dict[str, dict[str, int]] = {}
    for (system, obj), rows in out.rows.items():
        store.put_many(system, obj, rows)
        counts.setdefault(system, {})[obj] = len(rows)
    for name, value in out.counters.items():
        store.set_counter(name, value)
    return counts
