"""Kantata OX connector against the sandbox over real HTTP."""

from __future__ import annotations

import time

import pytest

from connectors.base import open_connection
from connectors.errors import AuthError, HTTPStatusError, InvalidInput, NotFound, RateLimited
from connectors.psa.kantata.client import flatten
from connectors.psa.kantata.connector import KantataConnector
from flowbuilder.devtools.sandbox_auth import sandbox_credentials
from tests.support.fake_clock import FakeSleep
from tests.support.sandbox import CLIENT, POLICY, make_connect
from tests.support.sandbox_auth import kantata_token


@pytest.fixture
def connect(sandbox):
    connect = make_connect(sandbox, KantataConnector(), "kantata", {"base_url": sandbox.url + "/kantata"})
    yield connect
    for runtime in connect.opened:
        runtime.close()


@pytest.fixture
def kt(connect):
    return connect()


@pytest.fixture
def workspace(kt):
    return kt.run_action(
        "create_workspace",
        {"title": "Test workspace", "currency": "USD", "start_date": "2026-01-05", "price": 25000},
    )


def test_flatten_results_and_keyed_objects():
    body = {
        "count": 2,
        "results": [{"key": "stories", "id": "2"}, {"key": "stories", "id": "1"}],
        "stories": {"1": {"id": "1", "title": "a"}, "2": {"id": "2", "title": "b"}},
        "workspaces": {"9": {"id": "9"}},
    }
    assert [r["title"] for r in flatten(body)] == ["b", "a"]


def test_connection(kt):
    assert kt.test_connection() == (True, "Connected to Kantata OX.")


def test_list_pages_past_two_pages(kt):
    rows = kt.run_action("list_time_entries", {"max_records": 450})
    assert len(rows) == 450 and len({r["id"] for r in rows}) == 450
    assert all("time_in_minutes" in r for r in rows)


def test_list_every_collection_and_filters(kt):
    for action in ("list_workspaces", "list_stories", "list_time_entries", "list_expenses", "list_users"):
        assert kt.run_action(action, {"max_records": 5})
    ws = kt.run_action("list_workspaces", {"max_records": 1})[0]["id"]
    stories = kt.run_action("list_stories", {"workspace_id": ws, "max_records": 1000})
    assert all(s["workspace_id"] == ws for s in stories)
    approved = kt.run_action("list_time_entries", {"approved": True, "max_records": 50})
    assert approved and all(t["approved"] for t in approved)


def test_workspace_story_time_entry_expense_crud(kt, workspace):
    assert workspace["title"] == "Test workspace" and workspace["id"]
    updated = kt.run_action(
        "update_workspace", {"id": workspace["id"], "title": "Renamed", "archived": False}
    )
    assert updated["title"] == "Renamed"
    assert kt.run_action("get_workspace", {"id": workspace["id"]})["title"] == "Renamed"

    story = kt.run_action(
        "create_story", {"title": "Design", "workspace_id": workspace["id"], "story_type": "task"}
    )
    kt.run_action("update_story", {"id": story["id"], "percentage_complete": 50, "state": "started"})
    assert kt.run_action("get_story", {"id": story["id"]})["percentage_complete"] == 50

    user = kt.run_action("list_users", {"max_records": 1})[0]
    assert kt.run_action("get_user", {"id": user["id"]})["full_name"] == user["full_name"]
    entry = kt.run_action(
        "create_time_entry",
        {
            "workspace_id": workspace["id"],
            "story_id": story["id"],
            "user_id": user["id"],
            "date_performed": "2026-01-06",
            "time_in_minutes": 90,
            "notes": "Workshop",
        },
    )
    kt.run_action("update_time_entry", {"id": entry["id"], "time_in_minutes": 120})
    assert kt.run_action("get_time_entry", {"id": entry["id"]})["time_in_minutes"] == 120
    categories = kt.run_action("list_expense_categories", {})
    travel = next(c for c in categories if c["name"] == "Travel")
    expense = kt.run_action(
        "create_expense",
        {
            "workspace_id": workspace["id"],
            "date": "2026-01-06",
            "expense_category_id": travel["id"],
            "category": "Travel",
            "amount_in_cents": 12345,
        },
    )
    kt.run_action("update_expense", {"id": expense["id"], "notes": "Train"})
    assert kt.run_action("get_expense", {"id": expense["id"]})["notes"] == "Train"
    assert kt.run_action("delete_expense", {"id": expense["id"]}) == {"id": expense["id"], "deleted": True}
    assert kt.run_action("delete_time_entry", {"id": entry["id"]})["deleted"]
    with pytest.raises(NotFound):
        kt.run_action("get_time_entry", {"id": entry["id"]})


def test_validation_error_has_field_hint(kt, workspace):
    with pytest.raises(HTTPStatusError) as info:
        kt.run_action(
            "create_time_entry",
            {"workspace_id": "999999999", "date_performed": "2026-01-06", "time_in_minutes": 5},
        )
    assert info.value.status == 422 and "workspace_id" in info.value.hint


def test_429_retry_after_and_500_retried(connect, sandbox):
    sleep = FakeSleep()
    kt = connect(sleep=sleep)
    kt.run_action("list_users", {"max_records": 1})
    sandbox.fault("kantata", kind="status", status=429, count=1, path_prefix="/api/v1")
    assert kt.run_action("list_users", {"max_records": 1})
    assert sleep.calls == [1.0]
    sandbox.fault("kantata", kind="status", status=500, count=1, path_prefix="/api/v1")
    assert kt.run_action("list_users", {"max_records": 1})
    assert len(sleep.calls) == 2
    strict = connect(retries=0)
    sandbox.fault("kantata", kind="status", status=429, count=1, path_prefix="/api/v1")
    with pytest.raises(RateLimited):
        strict.run_action("list_users", {"max_records": 1})


def test_a_connected_token_works_until_revoked_then_asks_to_reconnect(sandbox):
    # Kantata's tokens do not expire and come without a refresh token: a token the system stops
    # accepting cannot be renewed, so the connection asks a person to connect again.
    heard: list[str] = []
    _, secrets = sandbox_credentials("kantata", sandbox.url, CLIENT)
    kt = open_connection(
        KantataConnector(),
        connection_id="kantata-connected",
        config={"base_url": sandbox.url + "/kantata"},
        credential_type="kantata_oauth",
        secrets={**secrets, "access_token": kantata_token(sandbox.url)},
        policy=POLICY,
        on_reconnect=lambda message: heard.append(message),
    )
    try:
        assert kt.run_action("list_users", {"max_records": 1})
        sandbox.expire_tokens("kantata")
        with pytest.raises(AuthError):
            kt.run_action("list_users", {"max_records": 1})
        assert heard == ["The system refused the access token."]
        assert kt.http.auth.fetch_count == 0  # nothing to refresh with: no token endpoint call
    finally:
        kt.close()


def test_kantata_offers_no_client_credentials():
    keys = [t.key for t in KantataConnector.credential_types]
    assert keys == ["kantata_oauth", "bearer"]


def test_polling_updated_after_no_gaps_no_duplicates(kt, workspace):
    config = {"collection": "time_entries", "workspace_id": workspace["id"], "since": "2000-01-01T00:00:00Z"}
    first = kt.poll("record_updated", config, None)
    assert first.items == []
    base = {"workspace_id": workspace["id"], "date_performed": "2026-01-07", "time_in_minutes": 30}
    # Several in the same second (Kantata timestamps are to the second).
    made = [kt.run_action("create_time_entry", base)["id"] for _ in range(3)]
    second = kt.poll("record_updated", config, first.cursor)
    assert sorted(i["id"] for i in second.items) == sorted(made)
    assert kt.poll("record_updated", config, second.cursor).items == []
    # Same second as the cursor again (if the clock has not moved on) plus a later one.
    more = [kt.run_action("create_time_entry", base)["id"]]
    time.sleep(1.05)
    more.append(kt.run_action("create_time_entry", base)["id"])
    kt.run_action("update_time_entry", {"id": made[0], "notes": "edited"})
    third = kt.poll("record_updated", config, second.cursor)
    assert sorted(i["id"] for i in third.items) == sorted(more + [made[0]])
    assert kt.poll("record_updated", config, third.cursor).items == []


def test_polling_bounded(kt, workspace):
    config = {
        "collection": "stories",
        "workspace_id": workspace["id"],
        "since": "2000-01-01T00:00:00Z",
        "max_records": 2,
    }
    cursor = kt.poll("record_updated", config, None).cursor
    made = [
        kt.run_action("create_story", {"title": f"S{i}", "workspace_id": workspace["id"]})["id"]
        for i in range(5)
    ]
    seen: list[str] = []
    for _ in range(4):
        result = kt.poll("record_updated", config, cursor)
        seen += [i["id"] for i in result.items]
        cursor = result.cursor
    assert sorted(seen) == sorted(made)


def test_a_create_run_twice_with_one_idempotency_key_makes_one_record(kt, workspace):
    """A replay (or a worker killed after Kantata answered) runs the create again with the same key:
    the external reference it carried finds the first record, and nothing new is created."""
    values = {"title": "Discovery workshop", "workspace_id": workspace["id"], "story_type": "task"}
    first = kt.run_action("create_story", values, idempotency_key="fb-run-1-tasks-0")
    again = kt.run_action("create_story", values, idempotency_key="fb-run-1-tasks-0")
    other = kt.run_action("create_story", values, idempotency_key="fb-run-1-tasks-1")
    assert again["id"] == first["id"] and other["id"] != first["id"]
    stories = kt.run_action("list_stories", {"workspace_id": workspace["id"], "max_records": 100})
    assert sorted(s["id"] for s in stories if s["title"] == "Discovery workshop") == sorted(
        {first["id"], other["id"]}
    )


def test_a_given_external_reference_makes_creates_idempotent_across_runs(kt, workspace):
    ref = {"service_name": "Salesforce", "service_model": "Opportunity", "service_model_ref": "006A1"}
    values = {"title": "From the opportunity", "price": 1000, "external_reference": ref}
    first = kt.run_action("create_workspace", values, idempotency_key="fb-run-1-ws-0")
    again = kt.run_action("create_workspace", values, idempotency_key="fb-run-2-ws-0")
    assert again["id"] == first["id"]


def test_invoice_marks_approved_time_invoiced_and_read_only_fields_are_refused(kt, sandbox, workspace):
    base = {"workspace_id": workspace["id"], "date_performed": "2026-01-08", "time_in_minutes": 60}
    entry = kt.run_action("create_time_entry", {**base, "rate_in_cents": 10000})
    with pytest.raises(HTTPStatusError) as info:
        kantata_put(kt, entry["id"], {"approved": True})
    assert info.value.status == 422 and "approved" in info.value.message
    sandbox.admin(
        "POST",
        "/_admin/actions",
        {"tenant": "default", "system": "kantata", "action": "approve_time_entry", "id": entry["id"]},
    )
    invoice = kt.run_action(
        "create_invoice", {"workspace_id": workspace["id"], "time_entry_ids": [entry["id"]]}
    )
    assert invoice["time_entry_ids"] == [entry["id"]] and invoice["balance_in_cents"] == 10000
    assert kt.run_action("get_time_entry", {"id": entry["id"]})["is_invoiced"] is True
    assert kt.run_action("list_invoices", {"workspace_id": workspace["id"]})[0]["id"] == invoice["id"]


def kantata_put(kt, entry_id: str, attrs: dict) -> dict:
    """A raw update (the connector's update action no longer offers read-only attributes)."""
    from connectors.psa.kantata import client

    return client.update_record(kt.context(), "time_entries", entry_id, attrs)


def _custom_values(sandbox, subject_type, subject_id):
    """The subject's custom field values as Kantata lists them: name -> (id, value)."""
    body = sandbox.http.get(
        sandbox.url + "/kantata/api/v1/custom_field_values.json",
        headers=sandbox.auth("kantata"),
        params={"subject_type": subject_type, "with_subject_id": subject_id, "per_page": 200},
    ).json()
    return {v["custom_field_name"]: (v["id"], v["value"]) for v in flatten(body)}


def test_set_custom_fields_writes_by_name_and_overrides(kt, sandbox, workspace):
    first = kt.run_action(
        "set_custom_fields",
        {
            "subject_type": "Workspace",
            "subject_id": workspace["id"],
            "values": {"Billing status": "Open", "Billing total": 1250.5, "Billing days overdue": 0},
        },
    )
    assert first == {
        "subject_id": workspace["id"],
        "values": {"Billing status": "Open", "Billing total": 1250.5, "Billing days overdue": 0},
    }
    before = _custom_values(sandbox, "Workspace", workspace["id"])
    assert {k: v for k, (_, v) in before.items()} == {
        "Billing status": "Open",
        "Billing total": 1250.5,
        "Billing days overdue": 0,
    }
    # a second write (or a replay) overrides: one value per field, the changed one under a new id
    kt.run_action(
        "set_custom_fields",
        {
            "subject_type": "Workspace",
            "subject_id": int(workspace["id"]),
            "values": {"Billing status": "Paid"},
        },
    )
    after = _custom_values(sandbox, "Workspace", workspace["id"])
    assert len(after) == 3 and after["Billing status"][1] == "Paid"
    assert after["Billing status"][0] != before["Billing status"][0]
    assert after["Billing total"] == before["Billing total"]


def test_set_custom_fields_unknown_name_lists_the_fields(kt, workspace):
    with pytest.raises(InvalidInput) as info:
        kt.run_action(
            "set_custom_fields",
            {"subject_type": "Workspace", "subject_id": workspace["id"], "values": {"Billing stat": "Paid"}},
        )
    assert "'Billing stat'" in info.value.message
    assert "Billing status" in info.value.message and "Billing open amount" in info.value.message


def test_set_custom_fields_wrong_type_is_refused_by_kantata(kt, sandbox, workspace):
    with pytest.raises(HTTPStatusError) as info:
        kt.run_action(
            "set_custom_fields",
            {
                "subject_type": "Workspace",
                "subject_id": workspace["id"],
                "values": {"Billing status": "Open", "Billing cash received": "lots"},
            },
        )
    assert info.value.status == 422 and info.value.error_code == "validation"
    assert "value" in info.value.hint
    assert _custom_values(sandbox, "Workspace", workspace["id"]) == {}  # nothing of the bulk was saved


def test_set_custom_fields_on_a_story_has_no_workspace_fields(kt, workspace):
    story = kt.run_action("create_story", {"title": "Design", "workspace_id": workspace["id"]})
    with pytest.raises(InvalidInput) as info:
        kt.run_action(
            "set_custom_fields",
            {"subject_type": "Story", "subject_id": story["id"], "values": {"Billing status": "Paid"}},
        )
    assert "(none)" in info.value.message
