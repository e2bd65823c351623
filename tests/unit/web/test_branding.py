"""White label: a partner's customers see the partner's brand everywhere, never ours or another's."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from flowbuilder.tenancy.actions import set_branding
from flowbuilder.tenancy.models import OrganisationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_user, settings):
    settings.ALLOWED_HOSTS = ["testserver", "integrations.northwind.example", "hub.southpole.example"]
    north = make_org("Northwind", kind=OrganisationKind.PARTNER)
    south = make_org("Southpole", kind=OrganisationKind.PARTNER)
    acme = make_org("Acme", parent=north)
    globex = make_org("Globex", parent=south)
    north_admin = make_user("north-admin", north, "admin")
    south_admin = make_user("south-admin", south, "admin")
    set_branding(
        actor=north_admin,
        partner=north,
        product_name="Northwind Connect",
        logo_url="/static/brand/northwind.svg",
        primary_color="#0f766e",
        host_name="integrations.northwind.example",
        support_email="help@northwind.example",
    )
    set_branding(actor=south_admin, partner=south, product_name="Southpole Sync", primary_color="#b91c1c")
    acme_user = make_user("ann", acme, "builder")
    acme_user.email = "ann@acme.example"
    acme_user.save()
    globex_user = make_user("gus", globex, "builder")
    return {
        "north": north,
        "south": south,
        "acme_user": acme_user,
        "globex_user": globex_user,
        "north_admin": north_admin,
        "south_admin": south_admin,
    }


def spa_config(client: Client) -> dict:
    html = client.get("/").content.decode()
    match = re.search(r'<script id="fb-config" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_customer_users_see_their_partners_brand(world):
    client = Client()
    client.force_login(world["acme_user"])
    brand = spa_config(client)["branding"]
    assert brand["product_name"] == "Northwind Connect" and brand["primary_color"] == "#0f766e"
    other = Client()
    other.force_login(world["globex_user"])
    assert spa_config(other)["branding"]["product_name"] == "Southpole Sync"
    assert "Flowbuilder" not in client.get("/").content.decode()


def test_the_host_name_selects_the_brand_before_sign_in(world):
    page = Client().get("/login/", HTTP_HOST="integrations.northwind.example").content.decode()
    assert "Sign in to Northwind Connect" in page and "/static/brand/northwind.svg" in page
    assert "Flowbuilder" in Client().get("/login/").content.decode()  # the product's own host


def test_password_reset_email_carries_the_brand(world):
    Client().post(
        "/password-reset/", {"email": "ann@acme.example"}, HTTP_HOST="integrations.northwind.example"
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "Northwind Connect" in message.subject and "help@northwind.example" in message.body
    assert "Flowbuilder" not in message.body


def test_api_docs_title_follows_the_brand(world):
    client = Client()
    client.force_login(world["globex_user"])
    assert "<title>Southpole Sync API</title>" in client.get("/api/docs/").content.decode()


def test_only_the_partners_admins_change_its_brand_and_urls_are_safe(world, api):
    response = api(world["acme_user"]).put(
        f"/api/organisations/{world['north'].pk}/branding/", {"product_name": "Hijacked"}, format="json"
    )
    assert response.status_code in (403, 404)
    bad = api(world["north_admin"]).put(
        f"/api/organisations/{world['north'].pk}/branding/",
        {"logo_url": "javascript:alert(1)"},
        format="json",
    )
    assert bad.status_code == 400 and "logo_url" in bad.json()["errors"]
    ok = api(world["north_admin"]).put(
        f"/api/organisations/{world['north'].pk}/branding/", {"accent_color": "#123456"}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["accent_color"] == "#123456"
    set_branding(actor=world["south_admin"], partner=world["south"], host_name="hub.southpole.example")
    taken = api(world["north_admin"]).put(
        f"/api/organisations/{world['north'].pk}/branding/",
        {"host_name": "hub.southpole.example"},
        format="json",
    )
    assert taken.status_code == 400 and "host_name" in taken.json()["errors"]
