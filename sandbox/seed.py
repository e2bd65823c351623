"""Seed every emulated system from one shared world (platform/seeding.py), then write it all in bulk.

The order is part of the data: one random stream runs through the systems in turn, and the deals the
Salesforce seed wins feed Certinia, Kantata, NetSuite and Business Central. Same seed + anchor, same records.
"""

from __future__ import annotations

from .business_central import seed as business_central
from .kantata import seed as kantata
from .netsuite import seed as netsuite
from .platform.seeding import Rows, build_world
from .platform.store import Store
from .salesforce import seed as salesforce


def seed_all(store: Store, *, seed: int = 20260101, anchor: str | None = None) -> dict[str, dict[str, int]]:
    """Generate everything, then write it in one bulk insert per object; returns counts per system/object."""
    world = build_world(seed, anchor)
    out = Rows()
    salesforce.seed(world, out)  # Certinia included
    kantata.seed(world, out)
    netsuite.seed(world, out)
    business_central.seed(world, out)
    counts: dict[str, dict[str, int]] = {}
    for (system, obj), rows in out.rows.items():
        store.put_many(system, obj, rows)
        counts.setdefault(system, {})[obj] = len(rows)
    for name, value in out.counters.items():
        store.set_counter(name, value)
    return counts
