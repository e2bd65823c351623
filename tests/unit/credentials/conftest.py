"""Fixtures for connections: an organisation with an admin, connections made through the actions, a
local HTTP endpoint standing in for the external system, and a clean per-process runtime cache."""

from __future__ import annotations

import pytest

from flowbuilder.celery import app as celery_app
from flowbuilder.credentials import actions, runtime
from tests.support.http_endpoint import Endpoint


@pytest.fixture(autouse=True)
def _fresh_runtime_cache():
    runtime.clear_cache()
    yield
    runtime.clear_cache()


@pytest.fixture
def endpoint():
    ep = Endpoint()
    yield ep
    ep.close()


@pytest.fixture
def eager():
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def org(make_org):
    return make_org("Acme")


@pytest.fixture
def admin(org, make_user):
    return make_user("alice", org, "admin")


@pytest.fixture
def make_connection(admin, org):
    def make(base_url="https://api.example.com", *, credential_type="bearer", credentials=None, **kwargs):
        return actions.create_connection(
            actor=kwargs.pop("actor", admin),
            organisation=kwargs.pop("organisation", org),
            name=kwargs.pop("name", f"conn-{credential_type}-{base_url}"),
            connector=kwargs.pop("connector", "http"),
            base_url=base_url,
            credential_type=credential_type,
            credentials={"token": "tok-SECRET-123"} if credentials is None else credentials,
            **kwargs,
        )

    return make
