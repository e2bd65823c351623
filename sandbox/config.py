"""Run-time knobs of the sandbox; the CLI fills them and `POST /_admin/config` may change them live."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SYSTEMS = ("salesforce", "kantata", "netsuite", "dynamics")
# The demo's customers each get their own tenant in every system (`manage.py load_demo` connects them).
DEMO_TENANTS = ("acme:Acme Consulting", "globex:Globex Advisory", "initech:Initech Services")


@dataclass
class SandboxConfig:
    token_ttl: int = 3600  # seconds an access token stays valid
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    # Requests per second per system before 429 + Retry-After; 0 disables the limit.
    rate_limits: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SYSTEMS, 100.0))
    netsuite_concurrency: int = 5  # in-flight requests per NetSuite account before 429
    dynamics_page_size: int = 100  # server-driven OData page size
    salesforce_batch_size: int = 200  # default SOQL batch size
    webhook_timeout: float = 2.0
    seed: int = 20260101
    seed_anchor: str | None = None  # YYYY-MM-DD the seeded history ends at; None = today (UTC)
    # Tenants besides the default one, "name" or "name:Title"; each is seeded on first use.
    tenants: list[str] = field(default_factory=lambda: list(DEMO_TENANTS))
    # The grants the product's connectors still use (client_credentials with a secret on every system,
    # unknown authorization codes) for the tenants' default clients; False = only the documented flows.
    legacy_grants: bool = True
    allow_non_loopback: bool = False  # containers: admin forms accept any Host (the admin API has no auth)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, changes: dict[str, Any]) -> list[str]:
        """Apply known keys, return the unknown ones (the admin endpoint reports them)."""
        known = {f.name: f for f in fields(self)}
        unknown = []
        for key, value in changes.items():
            if key not in known:
                unknown.append(key)
            elif key in ("tenants", "allow_non_loopback", "client_id", "client_secret"):
                unknown.append(key)  # fixed at start: the CLI sets them
            elif key == "legacy_grants":
                self.legacy_grants = (
                    value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on")
                )
            elif key == "rate_limits" and isinstance(value, dict | int | float):
                if isinstance(value, dict):
                    self.rate_limits.update({k: float(v) for k, v in value.items() if k in SYSTEMS})
                else:
                    self.rate_limits = dict.fromkeys(SYSTEMS, float(value))
            else:
                current = getattr(self, key)
                setattr(self, key, type(current)(value) if current is not None else value)
        return unknown
