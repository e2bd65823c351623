"""Password reset works and is rate limited per client address (429, saying when) and per e-mail address
(quietly: the same "check your e-mail" page, so nobody learns whether an account exists)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.support.tenancy import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def budgets(settings):
    settings.FLOWBUILDER_RESET_PER_ADDRESS = 5
    settings.FLOWBUILDER_RESET_PER_EMAIL = 2
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(org, make_user):
    user = make_user("alice", org)
    user.email = "alice@acme.example"
    user.save()
    return user


def ask(email: str, ip: str = "198.51.100.20"):
    return Client(REMOTE_ADDR=ip).post("/password-reset/", {"email": email})


def test_the_link_sets_a_new_password(alice):
    assert ask("alice@acme.example").status_code == 302
    [message] = mail.outbox
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", message.body).group(1)
    browser = Client()
    form = browser.get(link, follow=True)
    new = "a-Fresh-password-99"
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True)
    assert done.status_code == 200
    assert Client().post("/login/", {"username": "alice", "password": new}).status_code == 302
    assert (
        Client().post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 200
    )  # old one gone


def test_one_mailbox_gets_at_most_the_budget_and_the_page_never_tells(alice):
    answers = [ask("alice@acme.example", ip=f"198.51.100.{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [302] * 4
    assert {a["Location"] for a in answers} == {"/password-reset/sent/"}
    assert len(mail.outbox) == 2


def test_one_address_asking_for_many_mailboxes_is_told_to_wait(alice):
    for n in range(5):
        assert ask(f"nobody{n}@acme.example").status_code == 302
    refused = ask("alice@acme.example")
    assert refused.status_code == 429
    assert "Too many reset requests from your network" in refused.content.decode()
    assert "minutes" in refused.content.decode()
    assert mail.outbox == []
    assert ask("alice@acme.example", ip="192.0.2.80").status_code == 302  # another network
    assert len(mail.outbox) == 1
