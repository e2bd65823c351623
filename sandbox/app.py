"""The sandbox as shipped: the shared platform serving the four emulated systems.

A system is one package (routes: a System subclass; schema; seed). To add one, list its System class here,
its seed in seed.py and its name in config.SYSTEMS. The order below is the order of the browse index and
the admin counts.
"""

from __future__ import annotations

from pathlib import Path

from .business_central.routes import BusinessCentral
from .config import SandboxConfig
from .kantata.routes import Kantata
from .netsuite.routes import NetSuite
from .platform.server import Sandbox
from .platform.system import System
from .salesforce.routes import Salesforce
from .seed import seed_all

SYSTEM_CLASSES: tuple[type[System], ...] = (Salesforce, Kantata, NetSuite, BusinessCentral)


def create_sandbox(
    data_dir: str | Path, config: SandboxConfig | None = None, *, reset: bool = False
) -> Sandbox:
    """The sandbox with every system, seeded on first start (or on reset)."""
    return Sandbox(data_dir, config, systems=SYSTEM_CLASSES, seeder=seed_all, reset=reset)
