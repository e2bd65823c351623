"""The sandbox as shipped: the shared platform serving the four emulated systems.

A system is one package: routes (a System subclass), schema, seed, auth (its AuthProfile: how the
vendor's authorization server behaves) and page_actions (what a person can change from the sandbox
pages). To add one, list it here, its seed in seed.py and its name in config.SYSTEMS. The order below is
the order of the pages and the admin counts.
"""

from __future__ import annotations

from pathlib import Path

from .business_central import page_actions as business_central_actions
from .business_central.auth import BusinessCentralAuth
from .business_central.routes import BusinessCentral
from .config import SandboxConfig
from .kantata import page_actions as kantata_actions
from .kantata.auth import KantataAuth
from .kantata.routes import Kantata
from .netsuite import page_actions as netsuite_actions
from .netsuite.auth import NetSuiteAuth
from .netsuite.routes import NetSuite
from .platform.server import Sandbox
from .platform.system import System
from .salesforce import page_actions as salesforce_actions
from .salesforce.auth import SalesforceAuth
from .salesforce.routes import Salesforce
from .seed import seed_all

SYSTEM_CLASSES: tuple[type[System], ...] = (Salesforce, Kantata, NetSuite, BusinessCentral)
AUTH = {
    Salesforce.name: SalesforceAuth,
    Kantata.name: KantataAuth,
    NetSuite.name: NetSuiteAuth,
    BusinessCentral.name: BusinessCentralAuth,
}
ACTIONS = {
    Salesforce.name: salesforce_actions.ACTIONS,
    Kantata.name: kantata_actions.ACTIONS,
    NetSuite.name: netsuite_actions.ACTIONS,
    BusinessCentral.name: business_central_actions.ACTIONS,
}


def create_sandbox(
    data_dir: str | Path, config: SandboxConfig | None = None, *, reset: bool = False
) -> Sandbox:
    """The sandbox with every system; the default tenant is seeded on first start (or on reset)."""
    return Sandbox(
        data_dir, config, systems=SYSTEM_CLASSES, auth=AUTH, actions=ACTIONS, seeder=seed_all, reset=reset
    )
