"""Login protection: lockout per account and per client address through the API and the form, audited,
with a message saying until when and who can help; an admin unlocks; the cool-off ends it.

The security review's finding: 70 wrong passwords in a row were all answered and the right one still
worked. Now the 10th failure (FLOWBUILDER_LOGIN_FAILURE_LIMIT) locks, and the right password is refused
until the lockout ends or an admin unlocks.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from flowbuilder.audit.models import AuditEvent
from flowbuilder.identity.client_ip import client_ip
from tests.support.tenancy import PASSWORD

pytestmark = pytest.mark.django_db
LIMIT = 10


@pytest.fixture
def alice(org, make_user):
    return make_user("alice", org, "builder")


def api_login(username: str, password: str, ip: str = "198.51.100.7", **headers):
    return APIClient(REMOTE_ADDR=ip, **headers).post(
        "/api/auth/login/", {"username": username, "password": password}, format="json"
    )


def form_login(username: str, password: str, ip: str = "198.51.100.7"):
    return Client(REMOTE_ADDR=ip).post("/login/", {"username": username, "password": password})


def actions_since(since: int) -> list[str]:
    return list(AuditEvent.objects.filter(id__gt=since).order_by("id").values_list("action", flat=True))


def last_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_seventy_wrong_passwords_lock_the_account_and_the_right_one_is_refused(alice):
    since = last_id()
    statuses = [api_login("alice", f"wrong-{i}").status_code for i in range(70)]
    assert statuses[: LIMIT - 1] == [400] * (LIMIT - 1)
    assert set(statuses[LIMIT - 1 :]) == {429}
    refused = api_login("alice", PASSWORD)
    assert refused.status_code == 429
    body = refused.json()
    assert "locked until" in body["detail"] and "administrator" in body["detail"]
    assert body["locked_until"] and int(refused["Retry-After"]) > 60
    # Audited: each counted failure and the lockout once; attempts during the lockout are not counted.
    assert actions_since(since) == ["auth.login_failed"] * LIMIT + ["auth.lockout"]
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert (
        lockout.object_id == str(alice.pk)
        and lockout.organisation_id == alice.memberships.get().organisation_id
    )
    assert lockout.after["username"] == "alice" and lockout.after["ip"] == "198.51.100.7"


def test_the_form_shows_the_lockout_and_when_it_ends(alice):
    for i in range(LIMIT):
        form_login("alice", f"wrong-{i}")
    page = form_login("alice", PASSWORD)
    assert page.status_code == 429
    text = page.content.decode()
    assert 'data-testid="login-lockout"' in text and "locked until" in text and "Settings, Users" in text
    assert "_auth_user_id" not in Client().session


def test_one_address_trying_many_accounts_is_locked_other_addresses_are_not(org, make_user, settings):
    settings.FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT = 15  # 50 by default: an office may share one address
    for n in range(5):
        make_user(f"user{n}", org)
    since = last_id()
    answers = [api_login(f"user{n % 5}", "wrong", ip="203.0.113.9").status_code for n in range(15)]
    assert answers == [400] * 14 + [429]  # three failures per account: no account reached its limit
    assert actions_since(since)[-1] == "auth.lockout"
    assert api_login("user0", PASSWORD, ip="203.0.113.9").status_code == 429
    assert api_login("user0", PASSWORD, ip="192.0.2.44").status_code == 200


def test_one_account_failing_does_not_lock_its_colleagues_behind_the_same_address(org, make_user):
    make_user("colleague", org)
    for i in range(LIMIT):
        api_login("alice", f"wrong-{i}")
    assert api_login("colleague", PASSWORD).status_code == 200


def test_behind_a_proxy_the_forwarded_client_counts_and_spoofed_entries_do_not(alice, settings):
    settings.FLOWBUILDER_TRUSTED_PROXIES = 1
    settings.FLOWBUILDER_LOGIN_ADDRESS_FAILURE_LIMIT = LIMIT
    proxy = "10.0.0.2"
    for i in range(LIMIT):
        # The client prepends a different fake address each time; the proxy appends the real one.
        api_login("alice-nope", "x", ip=proxy, HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.50")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.50").exists()
    assert not AccessAttempt.objects.filter(ip_address=proxy).exists()
    blocked = api_login("alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.50")
    assert blocked.status_code == 429
    other_client = api_login("alice", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.51")
    assert other_client.status_code == 200


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "1.2.3.4", "198.51.100.1"),  # no proxy: the header is the client's own words
        (1, "10.0.0.2", "1.2.3.4, 203.0.113.5", "203.0.113.5"),
        (2, "10.0.0.3", "1.2.3.4, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "10.0.0.3", "203.0.113.5", "10.0.0.3"),  # fewer hops than proxies: not written by them
        (1, "10.0.0.2", "not-an-ip", "10.0.0.2"),
    ],
)
def test_client_ip_honours_exactly_the_trusted_proxies(settings, rf, proxies, remote, forwarded, expected):
    settings.FLOWBUILDER_TRUSTED_PROXIES = proxies
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_an_admin_sees_the_lockout_and_unlocks_it(alice, org, make_user, api):
    admin = make_user("boss", org, "admin")
    for i in range(LIMIT):
        api_login("alice", f"wrong-{i}")
    row = api(admin).get(f"/api/users/{alice.pk}/").json()
    assert row["locked_until"] is not None
    listed = {u["username"]: u["locked_until"] for u in api(admin).get("/api/users/").json()["results"]}
    assert listed["alice"] is not None and listed["boss"] is None
    builder = make_user("bob", org, "builder")
    assert api(builder).post(f"/api/users/{alice.pk}/unlock/").status_code == 404  # not theirs to see
    since = last_id()
    unlocked = api(admin).post(f"/api/users/{alice.pk}/unlock/")
    assert unlocked.status_code == 200 and unlocked.json()["locked_until"] is None
    assert actions_since(since) == ["auth.unlock"]
    event = AuditEvent.objects.get(action="auth.unlock")
    assert event.actor_id == admin.pk and event.object_id == str(alice.pk) and event.organisation_id == org.pk
    assert api_login("alice", PASSWORD).status_code == 200


def test_another_tenants_admin_cannot_unlock(alice, make_org, make_user, api):
    stranger_admin = make_user("eve", make_org("Elsewhere"), "admin")
    assert api(stranger_admin).post(f"/api/users/{alice.pk}/unlock/").status_code == 404


def test_the_lockout_ends_after_the_cool_off(alice, settings):
    for i in range(LIMIT):
        api_login("alice", f"wrong-{i}")
    assert api_login("alice", PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert api_login("alice", PASSWORD).status_code == 200


def test_a_colleagues_success_from_the_same_address_does_not_unlock_the_account(alice, make_user, org):
    make_user("mallory", org)  # an attacker with an account of their own, on the same address
    for i in range(LIMIT):
        api_login("alice", f"guess-{i}")
    assert api_login("mallory", PASSWORD).status_code == 200
    assert api_login("alice", PASSWORD).status_code == 429


def test_a_success_resets_the_count(alice):
    for i in range(LIMIT - 1):
        api_login("alice", f"wrong-{i}")
    assert api_login("alice", PASSWORD).status_code == 200
    assert api_login("alice", "wrong-again").status_code == 400  # counting starts afresh
