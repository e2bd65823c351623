"""``/api/organisations/<id>/sso/``: an organisation's single sign-on, set by its admins or its partner's.

The client secret is write-only (encrypted with the vault, never answered, never in the audit trail).
"""

from __future__ import annotations

import json

from flowbuilder.audit.models import AuditEvent
from flowbuilder.identity.models import OrganisationSSO

from .conftest import ROLES
from .mixins import assert_not_found, assert_one_audit, audit_since, last_audit_id

SECRET = "super-secret-client-value-123"
SETTINGS = {
    "issuer": "https://login.acme.example/realms/acme",
    "client_id": "flowbuilder",
    "client_secret": SECRET,
    "role_claim": "groups",
    "role_mapping": {"integration-admins": "admin", "integration-builders": "builder"},
    "default_role": "viewer",
    "email_domains": ["Acme.example"],
    "sso_only": True,
}


def url(org) -> str:
    return f"/api/organisations/{org.id}/sso/"


def test_a_partner_admin_sets_its_customers_sso_and_the_secret_stays_hidden(client_as, world):
    since = last_audit_id()
    response = client_as("partner_admin").put(url(world.a), SETTINGS, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert "client_secret" not in body and body["client_secret_set"] is True
    assert body["email_domains"] == ["acme.example"] and body["sso_only"] is True
    assert body["callback_url"].endswith("/sso/callback/")
    row = assert_one_audit(since, action="sso.set", actor=world.partner_admin, organisation=world.a)
    assert SECRET not in json.dumps([row.before, row.after])
    stored = OrganisationSSO.objects.get(organisation=world.a)
    assert SECRET not in stored.client_secret_ciphertext and stored.client_secret_ciphertext
    # The customer's own admin reads it (without the secret) and changes it without resending the secret.
    assert client_as("admin").get(url(world.a)).json()["client_secret_set"] is True
    changed = client_as("admin").put(url(world.a), {"sso_only": False}, format="json")
    assert changed.status_code == 200 and changed.json()["client_secret_set"] is True
    assert SECRET not in json.dumps(list(AuditEvent.objects.values_list("before", "after")))


def test_only_admins_and_never_another_tenant(client_as, world):
    client_as("admin").put(url(world.a), SETTINGS, format="json")
    for role in (r for r in ROLES if r != "admin"):
        assert client_as(role).get(url(world.a)).status_code == 403, role
        assert client_as(role).put(url(world.a), {"sso_only": False}, format="json").status_code == 403, role
    since = last_audit_id()
    for who in ("admin", "partner_admin", "stranger"):
        assert_not_found(client_as(who).put(url(world.b), SETTINGS, format="json"), who)
        assert_not_found(client_as(who).get(url(world.b)), who)
    assert audit_since(since) == []


def test_removing_it_is_audited(client_as, world):
    assert client_as("admin").get(url(world.a)).status_code == 404
    client_as("admin").put(url(world.a), SETTINGS, format="json")
    since = last_audit_id()
    assert client_as("admin").delete(url(world.a)).status_code == 204
    assert_one_audit(since, action="sso.remove", actor=world.users["admin"], organisation=world.a)
    assert client_as("admin").get(url(world.a)).status_code == 404


def test_bad_settings_are_a_400_naming_the_field(client_as, world):
    for patch, field in (
        ({"role_mapping": {"x": "boss"}}, "role_mapping"),
        ({"issuer": "not a url"}, "issuer"),
        ({"email_domains": ["not a domain"]}, "email_domains"),
        ({"default_role": "boss"}, "default_role"),
        ({"issuer": "https://x.example", "client_id": ""}, "client_id"),
    ):
        response = client_as("admin").put(url(world.a), {**SETTINGS, **patch}, format="json")
        assert response.status_code == 400, (patch, response.content)
        assert field in response.json()["errors"], (patch, response.json())
    response = client_as("admin").put(url(world.a), {"sso_only": True}, format="json")
    assert response.status_code == 400 and "issuer" in response.json()["errors"]
