"""Contract tests, sandbox side: the emulated org accepts every documented request with the documented
answer, and refuses what Salesforce and Certinia refuse, with their status and error body (required,
read-only and unknown fields, wrong types, restricted picklists, missing auth, the package's own rules).
The connector side is tests/unit/connectors/crm/salesforce/test_contracts.py."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.unit.connectors.crm.salesforce.contracts import fill, ids, load, mismatch, placeholders

API = "/salesforce/services/data/v60.0"
FIXTURES = [
    f for system in ("salesforce", "certinia") for f in load(system) if f.get("setup") != "connector_only"
]


class Org:
    """Real records of the sandbox org for the placeholders a fixture uses, made once per module."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.headers = sandbox.auth("salesforce")
        self.values: dict[str, Any] = {"token": self.headers["Authorization"].removeprefix("Bearer ")}

    def send(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        resp = self.sandbox.http.request(
            method, self.sandbox.url + API + path, json=body, headers=self.headers, **kw
        )
        assert resp.status_code < 300, resp.text
        return resp.json() if resp.content else None

    def create(self, obj: str, body: dict[str, Any]) -> str:
        return self.send("POST", f"/sobjects/{obj}", body)["id"]

    def first(self, soql: str) -> str:
        return self.send("GET", "/query", params={"q": soql})["records"][0]["Id"]

    def get(self, name: str) -> Any:
        if name not in self.values:
            self.values[name] = self._make(name)
        return self.values[name]

    def _make(self, name: str) -> Any:
        tag = uuid.uuid4().hex[:8]
        if name in ("ext", "idempotency_key"):
            return f"{name.upper()}-{tag}"
        if name.endswith("_ext"):  # the external id of the record behind <object>_id
            self.get(name.replace("_ext", "_id"))
            return self.values[name]
        if name == "bad_token":
            return "00DSANDBOX000001!expired"
        if name == "missing_id":
            return "001Dn00000ZZZZZIAA"
        if name in ("account_id", "record_id"):
            return self.create("Account", {"Name": f"Contract {name} {tag}"})
        if name == "pricebook_id":
            return self.first("SELECT Id FROM Pricebook2 WHERE IsStandard = true")
        if name == "pricebook_entry_id":
            return self.first(
                f"SELECT Id FROM PricebookEntry WHERE Pricebook2Id = '{self.get('pricebook_id')}'"
            )
        if name == "product_id":
            return self.first("SELECT Id FROM Product2 ORDER BY Id")
        if name == "opportunity_line_id":
            return self.first("SELECT Id FROM OpportunityLineItem ORDER BY Id")
        if name == "resource_id":
            return self.first("SELECT Id FROM Contact WHERE pse__Is_Resource__c = true ORDER BY Id")
        if name == "split_id":
            return self.first(
                f"SELECT Id FROM pse__Timecard__c WHERE pse__Timecard_Header__c = '{self.get('timecard_id')}'"
            )
        if name == "opportunity_id":
            return self.create(
                "Opportunity",
                {
                    "Name": f"Contract deal {tag}",
                    "AccountId": self.get("account_id"),
                    "StageName": "Closed Won",
                    "CloseDate": "2026-01-01",
                    "Pricebook2Id": self.get("pricebook_id"),
                },
            )
        made = self._records().get(name)
        if made is None:
            raise AssertionError(f"no record for placeholder {{{name}}}")
        obj, body = made
        ext = f"{name[:-3].upper()}-{tag}"
        self.values[name.replace("_id", "_ext")] = ext
        return self.create(obj, {**body(), "External_Id__c": ext})

    def _records(self) -> dict[str, tuple[str, Any]]:
        """Placeholder -> (object, body) of the records made for it (each with an external id)."""
        g = self.get
        return {
            "quote_id": (
                "Quote",
                lambda: {
                    "Name": "Q",
                    "OpportunityId": g("opportunity_id"),
                    "Pricebook2Id": g("pricebook_id"),
                },
            ),
            "quote_line_id": (
                "QuoteLineItem",
                lambda: {
                    "QuoteId": g("quote_id"),
                    "PricebookEntryId": g("pricebook_entry_id"),
                    "Quantity": 1,
                    "UnitPrice": 100,
                },
            ),
            "contract_id": ("Contract", lambda: {"AccountId": g("account_id"), "Status": "Draft"}),
            "project_id": (
                "pse__Proj__c",
                lambda: {"Name": "Contract project", "pse__Account__c": g("account_id")},
            ),
            "schedule_id": (
                "pse__Schedule__c",
                lambda: {"pse__Start_Date__c": "2026-01-05", "pse__End_Date__c": "2026-02-27"},
            ),
            "assignment_id": (
                "pse__Assignment__c",
                lambda: {
                    "pse__Project__c": g("project_id"),
                    "pse__Resource__c": g("resource_id"),
                    "pse__Schedule__c": g("schedule_id"),
                },
            ),
            "resource_request_id": ("pse__Resource_Request__c", lambda: {"pse__Project__c": g("project_id")}),
            # a week across the end of March: two splits
            "timecard_id": (
                "pse__Timecard_Header__c",
                lambda: {
                    "pse__Project__c": g("project_id"),
                    "pse__Resource__c": g("resource_id"),
                    "pse__Start_Date__c": "2026-03-30",
                    "pse__End_Date__c": "2026-04-05",
                    "pse__Monday_Hours__c": 8,
                    "pse__Thursday_Hours__c": 6,
                },
            ),
            "milestone_id": (
                "pse__Milestone__c",
                lambda: {
                    "Name": "Sign-off",
                    "pse__Project__c": g("project_id"),
                    "pse__Milestone_Amount__c": 9000,
                },
            ),
            "billing_event_id": ("pse__Billing_Event__c", lambda: {"pse__Project__c": g("project_id")}),
            # on an event of its own: the shared one is released by the billing fixtures
            "billing_event_item_id": (
                "pse__Billing_Event_Item__c",
                lambda: {
                    "pse__Billing_Event__c": self.create(
                        "pse__Billing_Event__c", {"pse__Project__c": g("project_id")}
                    ),
                    "pse__Project__c": g("project_id"),
                    "pse__Category__c": "Milestone",
                    "pse__Milestone__c": g("milestone_id"),
                    "pse__Amount__c": 100,
                },
            ),
            "expense_report_id": (
                "pse__Expense_Report__c",
                lambda: {
                    "Name": "Travel",
                    "pse__Project__c": g("project_id"),
                    "pse__Resource__c": g("resource_id"),
                },
            ),
            "expense_id": (
                "pse__Expense__c",
                lambda: {
                    "pse__Expense_Report__c": g("expense_report_id"),
                    "pse__Amount__c": 50,
                    "pse__Type__c": "Meals",
                    "pse__Expense_Date__c": "2026-01-06",
                },
            ),
            "misc_adjustment_id": (
                "pse__Miscellaneous_Adjustment__c",
                lambda: {
                    "pse__Project__c": g("project_id"),
                    "pse__Amount__c": -250,
                    "pse__Transaction_Category__c": "Ready-to-Bill Revenue",
                },
            ),
            "rate_card_id": (
                "pse__Rate_Card__c",
                lambda: {"pse__Suggested_Bill_Rate__c": 200, "pse__Average_Cost_Rate__c": 100},
            ),
        }

    def resolve(self, fixture: dict[str, Any]) -> dict[str, Any]:
        """Fresh external ids per fixture; records shared by the module's fixtures."""
        self.values.pop("ext", None)
        self.values.pop("idempotency_key", None)
        wanted = placeholders(fixture["request"]) | placeholders(fixture["response"])
        wanted |= {n for b in fixture.get("before", []) for n in placeholders(b["request"])}
        return {name: self.get(name) for name in sorted(wanted) if name not in ("any", "new_id")}


@pytest.fixture(scope="module")
def org(sandbox_server):
    from tests.support.sandbox import Sandbox

    box = Sandbox(sandbox_server)
    yield Org(box)
    box.close()


@pytest.mark.parametrize("fixture", FIXTURES, ids=ids(FIXTURES))
def test_sandbox_answers_as_documented(org, fixture):
    values = org.resolve(fixture)
    for prior in fixture.get("before", []):  # e.g. the lookup by external id before a create
        sent = fill(prior["request"], values)
        answer = org.sandbox.http.request(
            sent["method"], org.sandbox.url + "/salesforce" + sent["path"], headers=sent["headers"]
        )
        assert answer.status_code == prior["response"]["status"], answer.text
        assert mismatch(fill(prior["response"]["body"], values), answer.json()) is None
    request = fill(fixture["request"], values)
    expected = fill(fixture["response"], values)
    resp = org.sandbox.http.request(
        request["method"],
        org.sandbox.url + "/salesforce" + request["path"],
        params=request["query"] or None,
        json=request["body"],
        headers=request["headers"],
    )
    assert resp.status_code == expected["status"], resp.text
    body = resp.json() if resp.content else None
    if expected["body"] is None:
        assert body is None
    else:
        problem = mismatch(expected["body"], body)
        assert problem is None, problem
    for name, value in expected["headers"].items():
        if name.lower() == "content-type":
            assert resp.headers[name].startswith("application/json")
        else:
            problem = mismatch(value, resp.headers.get(name), f"header {name}")
            assert problem is None, problem


def test_a_replayed_create_keyed_by_its_external_id_leaves_one_record(org):
    """The same documented create sent twice (a replay): the second answers 200, created false, the
    first record's id; the org holds one record."""
    ext = f"REPLAY-{uuid.uuid4().hex[:8]}"
    path = f"{API}/sobjects/pse__Proj__c/External_Id__c/{ext}"
    body = {"Name": "Replayed project"}
    first = org.sandbox.http.patch(org.sandbox.url + path, json=body, headers=org.headers)
    second = org.sandbox.http.patch(org.sandbox.url + path, json=body, headers=org.headers)
    assert (first.status_code, first.json()["created"]) == (201, True)
    assert (second.status_code, second.json()["created"]) == (200, False)
    assert second.json()["id"] == first.json()["id"]
    rows = org.send(
        "GET", "/query", params={"q": f"SELECT Id FROM pse__Proj__c WHERE External_Id__c = '{ext}'"}
    )
    assert rows["totalSize"] == 1


def test_quote_lines_roll_up_into_the_quote(org):
    quote = org.get("quote_id")
    entry = org.get("pricebook_entry_id")
    for qty in (2, 3):
        org.create(
            "QuoteLineItem",
            {"QuoteId": quote, "PricebookEntryId": entry, "Quantity": qty, "UnitPrice": 100, "Discount": 10},
        )
    got = org.send("GET", f"/sobjects/Quote/{quote}")
    assert got["LineItemCount"] >= 2 and got["QuoteNumber"] and got["AccountId"] == org.get("account_id")
    lines = org.send(
        "GET",
        "/query",
        params={"q": f"SELECT TotalPrice, Subtotal FROM QuoteLineItem WHERE QuoteId = '{quote}'"},
    )
    assert got["TotalPrice"] == sum(r["TotalPrice"] for r in lines["records"])
    assert {r["Subtotal"] - r["TotalPrice"] for r in lines["records"] if r["Subtotal"] in (200, 300)} == {
        20,
        30,
    }
    refused = org.sandbox.http.patch(
        org.sandbox.url + API + f"/sobjects/Quote/{quote}",
        json={"OpportunityId": org.get("opportunity_id")},
        headers=org.headers,
    )
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_contract_end_date_follows_start_and_term(org):
    cid = org.create(
        "Contract",
        {"AccountId": org.get("account_id"), "Status": "Draft", "StartDate": "2026-01-31", "ContractTerm": 1},
    )
    got = org.send("GET", f"/sobjects/Contract/{cid}")
    assert got["EndDate"] == "2026-02-27" and got["ContractNumber"]
