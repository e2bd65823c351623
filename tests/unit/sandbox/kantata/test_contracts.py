"""The sandbox against Kantata's documented contracts (connectors/psa/kantata/contracts/*.json): it
accepts each documented request with the documented answer, and refuses what Kantata refuses (required,
read-only and unknown attributes, wrong types, missing auth, rate limits) with Kantata's error shape."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.unit.connectors.psa.kantata.contract_cases import case_id, fill, load_cases, mismatches

BASE = "/kantata"
CASES = [c for c in load_cases() if not c.get("trigger")]


class Kantata:
    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.headers = sandbox.auth("kantata")

    def send(self, method: str, path: str, body: Any = None, query: Any = None, auth: bool = True) -> Any:
        return self.sandbox.http.request(
            method,
            self.sandbox.url + BASE + path,
            params=query,
            json=body,
            headers=self.headers if auth else {},
            timeout=30,
        )

    def make(self, coll: str, one: str, attrs: dict[str, Any]) -> str:
        answer = self.send("POST", f"/api/v1/{coll}.json", {one: attrs})
        assert answer.status_code == 200, answer.text
        return answer.json()["results"][0]["id"]

    def approve(self, entry: str) -> None:
        self.sandbox.admin(
            "POST",
            "/_admin/actions",
            {"tenant": "default", "system": "kantata", "action": "approve_time_entry", "id": entry},
        )


@pytest.fixture
def kantata(sandbox: Any) -> Any:
    return Kantata(sandbox)


@pytest.fixture
def ids(kantata: Kantata) -> dict[str, str]:
    """Fresh records for the placeholders of the contracts."""
    ws = kantata.make(
        "workspaces", "workspace", {"title": "Contracts", "creator_role": "maven", "price": 9000}
    )
    story = kantata.make("stories", "story", {"title": "Build", "story_type": "task", "workspace_id": ws})
    entry = {
        "workspace_id": ws,
        "date_performed": "2026-02-03",
        "time_in_minutes": 60,
        "rate_in_cents": 15000,
    }
    made = [kantata.make("time_entries", "time_entry", entry) for _ in range(3)]
    kantata.approve(made[1])
    kantata.approve(made[2])
    categories = kantata.send("GET", "/api/v1/expense_categories.json").json()
    travel = next(c["id"] for c in categories["expense_categories"].values() if c["name"] == "Travel")
    expense = kantata.make(
        "expenses",
        "expense",
        {
            "workspace_id": ws,
            "date": "2026-02-04",
            "expense_category_id": travel,
            "category": "Travel",
            "amount_in_cents": 500,
        },
    )
    kantata.make(
        "invoices", "invoice", {"workspace_id": ws, "payment_schedule": 30, "time_entry_ids": [made[2]]}
    )
    status = kantata.send(
        "POST",
        "/api/v1/custom_field_values.json",
        {
            "custom_field_value": {
                "subject_type": "Workspace",
                "subject_id": int(ws),
                "custom_field_id": 3600001,
                "value": "Open",
            }
        },
    )  # the value the list case reads back
    assert status.status_code == 200, status.text
    return {
        "ws": ws,
        "story": story,
        "entry": made[0],
        "approved_entry": made[1],
        "invoiced_entry": made[2],
        "expense": expense,
        "category": travel,
        "key": f"fb-{uuid.uuid4().hex}-node-0",
    }


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sandbox_answers_as_documented(
    case: dict[str, Any], kantata: Kantata, sandbox: Any, ids: dict
) -> None:
    request = fill(case["request"], ids)
    if case.get("lookup_hit"):  # the record the lookup finds
        ref = {
            "service_name": "Flowbuilder",
            "service_model": "story_create",
            "service_model_ref": ids["key"],
        }
        kantata.make(
            "stories",
            "story",
            {"title": "Found", "story_type": "task", "workspace_id": ids["ws"], "external_reference": ref},
        )
    if case.get("fault"):
        sandbox.fault("kantata", path_prefix="/api/v1", **case["fault"])
    answer = kantata.send(
        request["method"],
        request["path"],
        request["body"],
        request["query"] or None,
        auth=bool(request["headers"]),
    )
    expected = fill(case["response"], ids)
    assert answer.status_code == expected["status"], answer.text
    body = answer.json() if answer.content else None
    problems = mismatches(expected["body"], body)
    assert not problems, problems


def test_an_invoice_marks_its_time_and_expenses_invoiced_once(kantata: Kantata, ids: dict) -> None:
    entry, expense = ids["approved_entry"], ids["expense"]
    made = kantata.make(
        "invoices",
        "invoice",
        {
            "workspace_id": ids["ws"],
            "payment_schedule": 30,
            "time_entry_ids": [entry],
            "expense_ids": [expense],
        },
    )
    shown = kantata.send(
        "GET", f"/api/v1/invoices/{made}.json", query={"include": "time_entries,expenses"}
    ).json()
    invoice = shown["invoices"][made]
    assert invoice["balance_in_cents"] == 15000 + 500
    due = date.fromisoformat(invoice["invoice_date"]) + timedelta(days=30)
    assert invoice["due_date"] == due.isoformat()
    assert shown["time_entries"][entry]["is_invoiced"] and shown["expenses"][expense]["is_invoiced"]
    again = kantata.send(
        "POST",
        "/api/v1/invoices.json",
        {"invoice": {"workspace_id": ids["ws"], "payment_schedule": 30, "expense_ids": [expense]}},
    )
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "expense_ids"
    # "A time entry cannot be destroyed if ... the time has been invoiced".
    assert kantata.send("DELETE", f"/api/v1/time_entries/{entry}.json").status_code == 422


def test_external_reference_lookup_and_include(kantata: Kantata, ids: dict) -> None:
    ref = {
        "service_name": "Salesforce",
        "service_model": "OpportunityLineItem",
        "service_model_ref": "00k000000000001",
    }
    story = kantata.make(
        "stories",
        "story",
        {"title": "Linked", "story_type": "task", "workspace_id": ids["ws"], "external_reference": ref},
    )
    found = kantata.send(
        "GET",
        "/api/v1/stories.json",
        query={
            "external_reference_service_name": "Salesforce",
            "external_reference_service_model_refs": "00k000000000001,other",
            "include": "external_references",
        },
    ).json()
    assert [r["id"] for r in found["results"]] == [story]
    [ref_id] = found["stories"][story]["external_reference_ids"]
    assert found["external_references"][ref_id]["subject_type"] == "Story"
    assert (
        kantata.send(
            "GET", "/api/v1/stories.json", query={"external_reference_service_model_ref": "x"}
        ).status_code
        == 400
    )


def test_archived_projects_are_hidden_unless_asked_for(kantata: Kantata, ids: dict) -> None:
    kantata.send("PUT", f"/api/v1/workspaces/{ids['ws']}.json", {"workspace": {"archived": True}})
    assert kantata.send("GET", f"/api/v1/workspaces/{ids['ws']}.json").status_code == 404
    assert (
        kantata.send(
            "GET", f"/api/v1/workspaces/{ids['ws']}.json", query={"include_archived": "true"}
        ).status_code
        == 200
    )
    listed = kantata.send("GET", "/api/v1/time_entries.json", query={"workspace_id": ids["ws"]}).json()
    assert listed["count"] == 0
    every = kantata.send(
        "GET",
        "/api/v1/time_entries.json",
        query={"workspace_id": ids["ws"], "from_archived_workspaces": "true"},
    )
    assert every.json()["count"] == 3
