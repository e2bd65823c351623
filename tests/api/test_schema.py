"""OpenAPI: the served schema is valid and complete; the generator raises no warnings."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


def test_schema_endpoint(client_as):
    response = client_as("viewer").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    body = (
        response.json()
        if response["Content-Type"].startswith("application/json")
        else yaml.safe_load(response.content)
    )
    assert body["openapi"].startswith("3.")
    paths = body["paths"]
    for path in (
        "/api/flows/",
        "/api/flows/{id}/",
        "/api/flows/{id}/draft/",
        "/api/flows/{id}/publish/",
        "/api/flows/{id}/run/",
        "/api/flows/import/",
        "/api/versions/{id}/",
        "/api/runs/",
        "/api/runs/{id}/cancel/",
        "/api/runs/{id}/skip-failed-node/",
        "/api/organisations/{id}/customers/",
        "/api/memberships/",
        "/api/me/",
        "/api/node-types/",
        "/api/expressions/preview/",
    ):
        assert path in paths, path


def test_schema_validates_without_warnings(tmp_path):
    """``manage.py spectacular --validate --fail-on-warn`` (the same generator the endpoint uses)."""
    out = tmp_path / "schema.yaml"
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    except SystemExit as exc:  # pragma: no cover - the command exits non-zero on warnings
        pytest.fail(f"spectacular reported warnings or errors (exit {exc.code})")
    assert yaml.safe_load(out.read_text())["paths"]
