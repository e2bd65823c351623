"""Issue 10, defect 4: every client route of the SPA (read from frontend/src/App.tsx, so a new page is
covered the day it is added) answers the SPA shell on reload; the server's own prefixes do not."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

APP = Path(__file__).resolve().parents[3] / "frontend" / "src" / "App.tsx"


def client_routes() -> list[str]:
    paths = re.findall(r'<Route\s+path="([^"]+)"', APP.read_text())
    return sorted({re.sub(r":\w+", "7", p) for p in paths if p != "*"})


def test_the_route_list_is_read_from_the_app():
    routes = client_routes()
    for expected in ("/triggers", "/connections", "/partner/customers", "/approvals", "/insights/slas"):
        assert expected in routes
    assert len(routes) >= 20


@pytest.fixture
def signed_in(make_org, make_user) -> Client:
    client = Client()
    client.force_login(make_user("rita", make_org("Acme"), "builder"))
    return client


@pytest.mark.parametrize("route", client_routes())
def test_every_client_route_reloads_into_the_spa(signed_in, route):
    response = signed_in.get(route)
    assert response.status_code == 200, route
    assert b'id="fb-config"' in response.content, route


def test_deep_and_unknown_client_paths_get_the_spa_so_it_can_say_not_found(signed_in):
    for path in ("/partner/templates/3/rollout", "/no/such/page"):
        assert b'id="fb-config"' in signed_in.get(path).content


@pytest.mark.parametrize(
    "path", ["/api/no-such-endpoint/", "/static/app/missing.js", "/hooks", "/admin/nope/"]
)
def test_server_prefixes_are_not_the_spa(signed_in, path):
    response = signed_in.get(path)
    assert b'id="fb-config"' not in response.content
    assert response.status_code in (301, 302, 404), (path, response.status_code)


def test_signed_out_client_route_goes_to_sign_in():
    response = Client().get("/triggers")
    assert response.status_code == 302 and "/login/" in response["Location"]
