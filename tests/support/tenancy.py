"""Fixtures for who acts: organisations, users in them, and API clients authenticated as a user.

Registered for every suite from tests/conftest.py. ``org``/``admin``/``builder`` are the small world most
unit tests need (one customer, Acme); the API suite builds its own larger world (tests/api/conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from flowbuilder.tenancy.models import Membership, Organisation, OrganisationKind

# Every test user's password (the login flows of the integration and browser suites type it).
PASSWORD = "pw-12345678"


@pytest.fixture
def make_org(db: Any) -> Callable[..., Organisation]:
    counter = {"n": 0}

    def make(name: str | None = None, kind: str = OrganisationKind.CUSTOMER, parent=None, allow_local=True):
        counter["n"] += 1
        name = name or f"Org {counter['n']}"
        return Organisation.objects.create(
            name=name,
            slug=f"{name.lower().replace(' ', '-')}-{counter['n']}",
            kind=kind,
            parent=parent,
            egress_allowlist=["127.0.0.1", "localhost"] if allow_local else [],
        )

    return make


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    def make(username: str, org: Organisation | None = None, role: str = "builder", password: str = PASSWORD):
        user = get_user_model().objects.create_user(username=username, password=password)
        if org is not None:
            Membership.objects.create(user=user, organisation=org, role=role)
        return user

    return make


@pytest.fixture
def api(db: Any) -> Callable[[Any], APIClient]:
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org("Acme")


@pytest.fixture
def admin(org: Organisation, make_user: Callable[..., Any]) -> Any:
    return make_user("alice", org, "admin")


@pytest.fixture
def builder(org: Organisation, make_user: Callable[..., Any]) -> Any:
    return make_user("ben", org, "builder")
