"""Kantata OX: list shape, page/per_page paging, filters (updated_after, workspace, approved), writes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

API = "/kantata/api/v1"


@pytest.fixture
def ka(sandbox):
    headers = sandbox.auth("kantata")

    class Client:
        def get(self, path, **params):
            return sandbox.http.get(sandbox.url + API + path, headers=headers, params=params)

        def send(self, method, path, body):
            return sandbox.http.request(method, sandbox.url + API + path, headers=headers, json=body)

    return Client()


def test_list_has_the_kantata_response_shape(ka):
    body = ka.get("/workspaces.json", per_page=5, archived="include").json()
    assert body["count"] > 100
    assert len(body["results"]) == 5 and body["results"][0]["key"] == "workspaces"
    first = body["results"][0]["id"]
    assert isinstance(first, str) and body["workspaces"][first]["id"] == first
    assert body["meta"] == {
        "count": body["count"],
        "page_count": -(-body["count"] // 5),
        "page_number": 1,
        "page_size": 5,
    }


def test_paging_walks_every_time_entry_once_and_caps_per_page(ka):
    every = {"from_archived_workspaces": "true"}
    first = ka.get("/time_entries", per_page=500, **every).json()
    assert first["meta"]["page_size"] == 200  # Kantata's maximum
    total, pages = first["count"], first["meta"]["page_count"]
    assert total > 3000 and pages == -(-total // 200)
    seen = []
    for page in range(1, pages + 1):
        body = ka.get("/time_entries", per_page=200, page=page, **every).json()
        seen += [r["id"] for r in body["results"]]
    assert len(seen) == len(set(seen)) == total
    assert ka.get("/time_entries", per_page=200, page=pages + 1, **every).json()["results"] == []


def test_filters_workspace_approved_and_include(ka):
    ws = ka.get("/workspaces", per_page=1).json()["results"][0]["id"]
    body = ka.get(
        "/time_entries", workspace_id=ws, approved="true", include="user,workspace", per_page=200
    ).json()
    entries = body["time_entries"].values()
    assert entries and all(e["workspace_id"] == ws and e["approved"] is True for e in entries)
    assert set(body["users"]) == {e["user_id"] for e in entries}
    assert list(body["workspaces"]) == [ws]
    # Kantata's approved filter is processed as true whatever its value.
    approved = ka.get("/time_entries", approved="true").json()["count"]
    assert ka.get("/time_entries", approved="false").json()["count"] == approved
    assert 0 < approved < ka.get("/time_entries").json()["count"]


def test_updated_after_returns_only_changes_since_the_cursor(ka):
    ws = ka.get("/workspaces", per_page=1).json()["results"][0]["id"]
    time.sleep(1.1)  # Kantata timestamps have second precision
    cursor = datetime.now(UTC).replace(microsecond=0).isoformat()
    time.sleep(1.1)
    assert ka.get("/time_entries", updated_after=cursor).json()["count"] == 0
    created = ka.send(
        "POST",
        "/time_entries",
        {
            "time_entry": {
                "workspace_id": ws,
                "date_performed": "2026-11-02",
                "time_in_minutes": 90,
                "notes": "Poll me",
            }
        },
    )
    assert created.status_code == 200
    new_id = created.json()["results"][0]["id"]
    changed = ka.get("/time_entries", updated_after=cursor).json()
    assert [r["id"] for r in changed["results"]] == [new_id]


def test_create_single_and_bulk_then_update(ka):
    one = ka.send(
        "POST",
        "/workspaces",
        {"workspace": {"title": "Sandbox Rollout", "creator_role": "maven", "price": 10000}},
    )
    assert one.status_code == 200
    ws_id = one.json()["results"][0]["id"]
    assert one.json()["workspaces"][ws_id]["title"] == "Sandbox Rollout"
    entries = [
        {"workspace_id": ws_id, "date_performed": "2026-02-02", "time_in_minutes": 30 * n} for n in (1, 2, 3)
    ]
    bulk = ka.send("POST", "/time_entries", {"time_entries": entries})  # bulk create: time entries, expenses
    assert bulk.status_code == 200 and bulk.json()["count"] == 3
    for n in range(3):
        ka.send(
            "POST", "/stories", {"story": {"title": f"Task {n}", "story_type": "task", "workspace_id": ws_id}}
        )
    assert ka.send("POST", "/stories", {"stories": [{"title": "No bulk"}]}).status_code == 400
    updated = ka.send("PUT", f"/workspaces/{ws_id}", {"workspace": {"title": "Sandbox Rollout II"}})
    assert updated.status_code == 200 and updated.json()["workspaces"][ws_id]["title"] == "Sandbox Rollout II"
    shown = ka.get(f"/workspaces/{ws_id}.json").json()
    assert shown["workspaces"][ws_id]["updated_at"] >= shown["workspaces"][ws_id]["created_at"]
    assert ka.get("/stories", workspace_id=ws_id).json()["count"] == 3


def test_errors_use_the_kantata_shape(ka):
    missing = ka.send(
        "POST", "/workspaces", {"workspace": {"description": "no title", "creator_role": "maven"}}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["type"] == "validation" and missing.json()["errors"][0]["message"]
    unknown = ka.send(
        "POST",
        "/time_entries",
        {"time_entry": {"workspace_id": "1", "date_performed": "2026-01-01", "time_in_minutes": 5}},
    )
    assert unknown.status_code == 422
    assert ka.get("/workspaces/999").status_code == 404
    assert ka.get("/workspaces/999").json()["errors"][0]["message"]


def _fields(ka, subject_types="Workspace"):
    body = ka.get("/custom_fields.json", subject_types=subject_types, per_page=200).json()
    return {f["name"]: f for f in body["custom_fields"].values()}


def test_custom_fields_are_seeded_read_only_and_filtered_by_subject_type(ka):
    fields = _fields(ka)
    assert {name: f["value_type"] for name, f in fields.items()} == {
        "Billing status": "string",
        "Billing invoice": "string",
        "Billing total": "currency",
        "Billing cash received": "currency",
        "Billing credited": "currency",
        "Billing open amount": "currency",
        "Billing days overdue": "number",
    }
    assert _fields(ka, "Story") == {}
    made = ka.send("POST", "/custom_fields.json", {"custom_field": {"name": "x", "value_type": "string"}})
    assert made.status_code == 403 and made.json()["errors"][0]["type"] == "system"


def test_custom_field_values_override_filter_and_refuse(ka):
    ws = ka.get("/workspaces", per_page=1).json()["results"][0]["id"]
    fields = _fields(ka)
    status, total = fields["Billing status"]["id"], fields["Billing total"]["id"]

    def value(field, val, **extra):
        return {
            "subject_type": "Workspace",
            "subject_id": int(ws),
            "custom_field_id": int(field),
            "value": val,
            **extra,
        }

    first = ka.send(
        "POST", "/custom_field_values", {"custom_field_values": [value(status, "Open"), value(total, 10)]}
    )
    assert first.status_code == 200, first.text
    assert len(first.json()["results"]) == 2
    second = ka.send("POST", "/custom_field_values", {"custom_field_value": value(status, "Paid")})
    new_id = second.json()["results"][0]["id"]
    listed = ka.get("/custom_field_values", subject_type="Workspace", with_subject_id=ws).json()
    by_field = {v["custom_field_id"]: v for v in listed["custom_field_values"].values()}
    assert listed["count"] == 2 and by_field[status]["value"] == "Paid" and by_field[status]["id"] == new_id
    assert [r["id"] for r in listed["results"]][-1] == new_id  # less to more recently updated
    only_total = ka.get("/custom_field_values", subject_type="Workspace", custom_field_id=total).json()
    assert {v["custom_field_id"] for v in only_total["custom_field_values"].values()} == {total}
    assert ka.get("/custom_field_values").status_code == 400  # subject_type is required

    def refused(body):
        answer = ka.send("POST", "/custom_field_values", body)
        item = answer.json()["errors"][0]
        return answer.status_code, item["type"], item.get("field")

    assert refused({"custom_field_value": value(3699999, "x")}) == (422, "validation", "custom_field_id")
    assert refused({"custom_field_value": {**value(status, "x"), "subject_id": 4999999}}) == (
        422,
        "validation",
        "subject_id",
    )
    assert refused({"custom_field_value": {**value(status, "x"), "subject_type": "Story"}}) == (
        422,
        "validation",
        "subject_type",
    )
    assert refused({"custom_field_value": value(total, "ten")}) == (422, "validation", "value")
    assert refused({"custom_field_value": value(total, True)}) == (422, "validation", "value")
    assert refused({"custom_field_value": value(status, 5)}) == (422, "validation", "value")
    assert refused({"custom_field_value": value(status, "x", display_value="y")}) == (
        422,
        "validation",
        "display_value",
    )
    assert refused({"custom_field_values": [value(status, "x")] * 101}) == (400, "system", None)
    # a refused bulk saves nothing, not even its valid values
    assert refused({"custom_field_values": [value(status, "Disputed"), value(total, "ten")]})[0] == 422
    again = ka.get("/custom_field_values", subject_type="Workspace", with_subject_id=ws).json()
    assert {v["value"] for v in again["custom_field_values"].values()} == {"Paid", 10}
