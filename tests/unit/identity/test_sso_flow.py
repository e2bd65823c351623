"""Single sign-on through the local OpenID provider with Django's test client (the browser test is in
tests/e2e/test_sso.py): discovery, PKCE, a signed id_token checked for issuer, audience and nonce,
just-in-time users with mapped roles, refusals with a clear message, and SSO-only organisations."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from flowbuilder.audit.models import AuditEvent
from flowbuilder.identity import actions as identity
from flowbuilder.identity.oidc import forget
from flowbuilder.tenancy.models import Membership
from tests.support.tenancy import PASSWORD

pytestmark = pytest.mark.django_db


def sso_sign_in(client: Client, slug: str, email: str, password: str) -> Any:
    """The browser's part of the code flow, played by hand: our redirect, the provider's form, back."""
    start = client.get(f"/sso/{slug}/?next=/flows/")
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    params = parse_qs(urlsplit(authorize).query)
    assert params["code_challenge_method"] == ["S256"] and params["nonce"] and params["state"]
    page = requests.get(authorize, timeout=5)
    assert page.status_code == 200 and "idp-form" in page.text
    hidden = {k: v[0] for k, v in params.items()}
    answer = requests.post(
        authorize.split("?")[0],
        data={**hidden, "email": email, "password": password},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/sso/callback/"
    return client.get(f"{back.path}?{back.query}")


def test_first_sign_in_creates_the_person_with_the_mapped_role(sso_world):
    idp = sso_world["idp"]
    idp.add_person(
        "dana@acme.example", "idp-pass", given_name="Dana", family_name="Scully", groups=["fb-builders"]
    )
    client = Client()
    done = sso_sign_in(client, "acme-2", "dana@acme.example", "idp-pass")
    assert done.status_code == 302 and done["Location"] == "/flows/"
    me = client.get("/api/me/").json()
    assert me["username"] == "dana@acme.example" and me["display_name"] == "Dana Scully"
    assert [(o["name"], o["role"]) for o in me["organisations"]] == [("Acme", "builder")]
    assert [a for a in AuditEvent.objects.order_by("id").values_list("action", flat=True)][-2:] == [
        "membership.set",
        "auth.login",
    ]
    # The token request carried the PKCE verifier and the secret from the vault (the provider checks both).
    assert ("POST", "/token") in idp.requests and ("GET", "/jwks") in idp.requests


def test_the_next_sign_in_follows_the_providers_groups(sso_world):
    idp = sso_world["idp"]
    person = idp.add_person("eli@acme.example", "pw", groups=["fb-builders"])
    sso_sign_in(Client(), "acme-2", "eli@acme.example", "pw")
    person.claims["groups"] = ["fb-builders", "fb-admins"]
    sso_sign_in(Client(), "acme-2", "eli@acme.example", "pw")
    assert Membership.objects.get(user__username="eli@acme.example").role == "admin"
    person.claims["groups"] = []  # nothing maps: the default does not downgrade
    sso_sign_in(Client(), "acme-2", "eli@acme.example", "pw")
    assert Membership.objects.get(user__username="eli@acme.example").role == "admin"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda c: {**c, "aud": "someone-else"}, "not valid"),
        (lambda c: {**c, "iss": "http://evil.example"}, "not valid"),
        (lambda c: {**c, "nonce": "replayed"}, "nonce"),
        (lambda c: {**c, "exp": 1000}, "not valid"),
        (lambda c: {**c, "email": "ceo@other.example"}, "does not sign in people of other.example"),
        (lambda c: {**c, "email_verified": False}, "not verified"),
    ],
    ids=["audience", "issuer", "nonce", "expired", "foreign-domain", "unverified"],
)
def test_a_bad_id_token_is_refused_with_a_message(sso_world, tamper, message):
    idp = sso_world["idp"]
    idp.add_person("fay@acme.example", "pw")
    idp.tamper = tamper
    client = Client()
    back = sso_sign_in(client, "acme-2", "fay@acme.example", "pw")
    assert back.status_code == 302 and back["Location"] == "/login/"
    page = client.get("/login/")
    assert message in page.content.decode()
    assert client.get("/api/me/").status_code in (401, 403)


def test_an_account_of_another_organisation_is_never_taken_over(sso_world, make_org, make_user):
    other = make_org("Globex")
    victim = make_user("victim", other, "admin")
    victim.email = "boss@acme.example"
    victim.save()
    sso_world["idp"].add_person("boss@acme.example", "pw", groups=["fb-admins"])
    client = Client()
    sso_sign_in(client, "acme-2", "boss@acme.example", "pw")
    assert client.get("/api/me/").status_code in (401, 403)
    assert "also belongs to other organisations" in client.get("/login/").content.decode()
    assert not Membership.objects.filter(user=victim, organisation=sso_world["acme"]).exists()


def test_without_just_in_time_creation_or_a_role_nobody_new_gets_in(sso_world):
    config = sso_world["config"]
    sso_world["idp"].add_person("gus@acme.example", "pw")
    identity.set_sso(actor=sso_world["partner_admin"], organisation=sso_world["acme"], default_role="")
    client = Client()
    sso_sign_in(client, "acme-2", "gus@acme.example", "pw")
    assert "gives you no role" in client.get("/login/").content.decode()
    identity.set_sso(
        actor=sso_world["partner_admin"],
        organisation=sso_world["acme"],
        default_role="viewer",
        create_users=False,
    )
    sso_sign_in(client, "acme-2", "gus@acme.example", "pw")
    assert "ask its administrator to invite you" in client.get("/login/").content.decode()
    config.refresh_from_db()
    assert config.create_users is False


def test_the_provider_must_be_allow_listed_with_its_port(sso_world):
    acme = sso_world["acme"]
    acme.egress_allowlist = [f"127.0.0.1:{sso_world['idp'].port + 1}"]
    acme.save()
    forget(sso_world["config"])  # the discovery document cached by the earlier steps
    client = Client()
    start = client.get("/sso/acme-2/")
    assert start.status_code == 302 and start["Location"] == "/login/"
    assert "could not be reached" in client.get("/login/").content.decode()


def test_sso_only_refuses_passwords_with_a_clear_message(sso_world, make_user, api):
    member = make_user("hal", sso_world["acme"], "builder")
    assert Client().post("/login/", {"username": "hal", "password": PASSWORD}).status_code == 302
    identity.set_sso(actor=sso_world["partner_admin"], organisation=sso_world["acme"], sso_only=True)
    page = Client().post("/login/", {"username": "hal", "password": PASSWORD})
    assert page.status_code == 200
    assert "Acme signs in with single sign-on only" in page.content.decode()
    from rest_framework.test import APIClient

    answer = APIClient().post("/api/auth/login/", {"username": "hal", "password": PASSWORD}, format="json")
    assert answer.status_code == 403 and "single sign-on only" in answer.json()["detail"]
    # The partner's own people are not bound by a customer's SSO-only rule.
    assert Client().post("/login/", {"username": "pat", "password": PASSWORD}).status_code == 302
    assert member.pk


def test_the_sign_in_page_finds_the_organisation_by_e_mail_domain_or_host(sso_world, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "acme.flows.example"]
    client = Client()
    found = client.get("/sso/?email=ivy@ACME.example", follow=True)
    assert "Sign in with Acme" in found.content.decode()
    assert 'href="/sso/acme-2/' in found.content.decode()
    missing = client.get("/sso/?email=ivy@nowhere.example", follow=True)
    assert "No organisation signs in that e-mail address" in missing.content.decode()
    assert "Sign in with Acme" not in Client().get("/login/").content.decode()
    identity.set_sso(
        actor=sso_world["partner_admin"],
        organisation=sso_world["acme"],
        login_host="acme.flows.example",
        button_label="Acme staff",
    )
    by_host = Client(HTTP_HOST="acme.flows.example").get("/login/")
    assert "Acme staff" in by_host.content.decode()
