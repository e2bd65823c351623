"""Issue 10, defect 11: the sign-in page on a partner's host shows the partner's brand (name, logo,
colour) before anyone signs in, however the host was typed; the demo's partner has a host that works
on a laptop (northwind.localhost)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.test import Client

from flowbuilder.tenancy.actions import set_branding
from flowbuilder.tenancy.branding import host_key
from flowbuilder.tenancy.models import Branding, OrganisationKind

pytestmark = pytest.mark.django_db

DEMO = Path(__file__).resolve().parents[3] / "fixtures" / "demo.json"


@pytest.fixture
def northwind(make_org, make_user, settings):
    settings.ALLOWED_HOSTS = ["testserver", ".localhost", "integrations.northwind.example"]
    partner = make_org("Northwind", kind=OrganisationKind.PARTNER)
    admin = make_user("nadia", partner, "admin")
    set_branding(
        actor=admin,
        partner=partner,
        product_name="Northwind Connect",
        logo_url="/static/brand/northwind.svg",
        primary_color="#0f766e",
        host_name="https://Integrations.Northwind.example:8443/login/",
    )
    return partner


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("integrations.partner.com", "integrations.partner.com"),
        ("HTTPS://Integrations.Partner.com/", "integrations.partner.com"),
        ("integrations.partner.com:8000", "integrations.partner.com"),
        ("integrations.partner.com.", "integrations.partner.com"),
        ("[::1]:8000", ""),
    ],
)
def test_host_key(typed, key):
    assert host_key(typed) == key


def test_partner_host_shows_the_partners_brand_before_sign_in(northwind):
    assert Branding.objects.get(organisation=northwind).host_name == "integrations.northwind.example"
    for host in ("integrations.northwind.example", "INTEGRATIONS.northwind.example:8000"):
        page = Client().get("/login/", HTTP_HOST=host).content.decode()
        assert "Sign in to Northwind Connect" in page, host
        assert "/static/brand/northwind.svg" in page
        assert "--fb-primary: #0f766e" in page
        assert "Flowbuilder" not in page
    ours = Client().get("/login/").content.decode()
    assert "Sign in to Flowbuilder" in ours and "Northwind" not in ours


def test_demo_partner_has_a_sign_in_host_that_works_locally(settings):
    from django.conf import settings as live

    brand = json.loads(DEMO.read_text())["branding"]["northwind-partners"]
    assert brand["host_name"].endswith(".localhost")
    assert ".localhost" in live.ALLOWED_HOSTS or "*" in live.ALLOWED_HOSTS


def test_a_colour_that_is_not_a_colour_never_reaches_the_page(northwind):
    Branding.objects.filter(organisation=northwind).update(primary_color='x"><b>')
    page = Client().get("/login/", HTTP_HOST="integrations.northwind.example").content.decode()
    assert 'x"><b>' not in page and "--fb-primary: #4f46e5" in page
