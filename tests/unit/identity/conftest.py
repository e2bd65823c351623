"""An organisation signing in through the local OpenID provider (tests/support/oidc_provider.py)."""

from __future__ import annotations

from typing import Any

import pytest

from flowbuilder.identity import actions as identity
from flowbuilder.tenancy.models import OrganisationKind
from tests.support.oidc_provider import OidcProvider

CLIENT_ID, CLIENT_SECRET = "flowbuilder-acme", "s3cret-client-value"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Dozens of sign-in attempts per test: PBKDF2 at production strength would take a minute."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sso_world(oidc_provider: OidcProvider, make_org, make_user) -> dict[str, Any]:
    partner = make_org("Northwind", kind=OrganisationKind.PARTNER, allow_local=False)
    acme = make_org("Acme", parent=partner, allow_local=False)
    acme.egress_allowlist = [f"127.0.0.1:{oidc_provider.port}"]
    acme.save()
    partner_admin = make_user("pat", partner, "admin")
    oidc_provider.add_client(CLIENT_ID, CLIENT_SECRET)
    config = identity.set_sso(
        actor=partner_admin,
        organisation=acme,
        issuer=oidc_provider.url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        role_claim="groups",
        role_mapping={"fb-builders": "builder", "fb-admins": "admin"},
        default_role="viewer",
        email_domains=["acme.example"],
    )
    return {
        "partner": partner,
        "acme": acme,
        "partner_admin": partner_admin,
        "config": config,
        "idp": oidc_provider,
    }
