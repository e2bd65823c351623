"""The seeded firm that every system's seed draws on: Northwind Advisory, a 300-person consulting firm.

One random.Random(seed) drives all of the seeding, system after system in the order sandbox/seed.py fixes;
timestamps run back from an anchor day (default: today, UTC), so the same seed and anchor always give the
same records. The firm's people, its customers and the deals Salesforce wins are shared: the other systems
build on them, so the CRM, PSA and ERP data overlap the way real tenants do (ERP customers are mostly CRM
accounts, often spelled differently, "Acme Corp" / "ACME Corporation", and only some carry a
cross-reference).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from .timeutil import start_of_day, utcnow

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


def variant(rng: random.Random, org: Org) -> str:
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


def build_world(seed: int, anchor: str | None) -> World:
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


class Rows:
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
