"""Salesforce REST: SOQL with paging, sObject CRUD, upsert by external id, composite collections."""

from __future__ import annotations

import pytest

API = "/salesforce/services/data/v60.0"


@pytest.fixture
def sf(sandbox):
    headers = sandbox.auth("salesforce")

    class Client:
        def get(self, path, **kw):
            return sandbox.http.get(
                sandbox.url + API + path, headers={**headers, **kw.pop("headers", {})}, **kw
            )

        def query(self, soql, **kw):
            return self.get("/query", params={"q": soql}, **kw)

        def send(self, method, path, body):
            return sandbox.http.request(method, sandbox.url + API + path, headers=headers, json=body)

        def follow(self, next_url, **kw):
            # nextRecordsUrl is relative to instance_url, as on a real org.
            return sandbox.http.get(sandbox.url + "/salesforce" + next_url, headers={**headers, **kw})

    return Client()


def test_soql_pages_past_two_pages_via_next_records_url(sf):
    first = sf.query("SELECT Id, Name FROM Contact ORDER BY Name")
    body = first.json()
    assert first.status_code == 200
    assert body["totalSize"] > 600 and body["done"] is False and len(body["records"]) == 200
    seen = [r["Id"] for r in body["records"]]
    pages = 1
    while not body["done"]:
        body = sf.follow(body["nextRecordsUrl"]).json()
        seen += [r["Id"] for r in body["records"]]
        pages += 1
    assert pages >= 4
    assert len(seen) == len(set(seen)) == first.json()["totalSize"]
    assert "nextRecordsUrl" not in body


def test_batch_size_header_is_honoured(sf):
    resp = sf.query("SELECT Id FROM Account", headers={"Sforce-Query-Options": "batchSize=50"})
    body = resp.json()
    assert len(body["records"]) == 50 and body["nextRecordsUrl"].endswith("-50")
    second = sf.follow(body["nextRecordsUrl"]).json()
    assert len(second["records"]) == 50 and second["nextRecordsUrl"].endswith("-100")


def test_record_shape_and_parent_relationship(sf):
    body = sf.query(
        "SELECT Id, Name, Amount, Account.Name FROM Opportunity WHERE StageName = 'Closed Won' LIMIT 5"
    ).json()
    record = body["records"][0]
    assert record["attributes"]["type"] == "Opportunity"
    assert record["attributes"]["url"] == f"/services/data/v60.0/sobjects/Opportunity/{record['Id']}"
    assert len(record["Id"]) == 18 and record["Id"].startswith("006")
    assert record["Account"]["attributes"]["type"] == "Account" and record["Account"]["Name"]


def test_where_operators_and_date_literals(sf):
    won = sf.query(
        "SELECT Id, CloseDate, Amount FROM Opportunity WHERE IsWon = true AND Amount >= 10000"
    ).json()
    assert won["totalSize"] > 0 and all(r["Amount"] >= 10000 for r in won["records"])
    like = sf.query("SELECT Name FROM Account WHERE Name LIKE 'a%' ORDER BY Name DESC").json()
    names = [r["Name"] for r in like["records"]]
    assert names and all(n.lower().startswith("a") for n in names) and names == sorted(names, reverse=True)
    stages = sf.query(
        "SELECT StageName FROM Opportunity WHERE StageName IN ('Closed Won', 'Closed Lost')"
    ).json()
    assert {r["StageName"] for r in stages["records"]} == {"Closed Won", "Closed Lost"}
    either = sf.query(
        "SELECT Id FROM Opportunity "
        "WHERE (StageName = 'Closed Won' OR StageName = 'Closed Lost') AND Amount > 0"
    ).json()
    assert either["totalSize"] == stages["totalSize"]
    dated = sf.query("SELECT Id FROM Opportunity WHERE CloseDate < 2026-01-01 AND CloseDate != null").json()
    assert dated["totalSize"] > 0
    recent = sf.query("SELECT Id FROM Account WHERE LastModifiedDate > 2026-10-01T00:00:00Z").json()
    older = sf.query("SELECT Id FROM Account WHERE LastModifiedDate <= 2026-10-01T00:00:00Z").json()
    assert (
        recent["totalSize"] + older["totalSize"]
        == sf.query("SELECT COUNT() FROM Account").json()["totalSize"]
    )
    assert (
        sf.query("SELECT Id FROM Account WHERE LastModifiedDate = LAST_N_DAYS:3650").json()["totalSize"] > 100
    )
    limited = sf.query("SELECT Id FROM Account ORDER BY Name LIMIT 7").json()
    assert limited["totalSize"] == 7 and limited["done"] is True


def test_certinia_objects_are_queryable(sf):
    body = sf.query(
        "SELECT Id, Name, pse__Project__r.Name, pse__Total_Hours__c FROM pse__Timecard_Header__c "
        "WHERE pse__Status__c = 'Approved' LIMIT 3"
    ).json()
    assert body["totalSize"] == 3
    assert body["records"][0]["Name"].startswith("TC-")
    assert body["records"][0]["pse__Project__r"]["Name"]
    for obj in ("pse__Proj__c", "pse__Milestone__c", "pse__Assignment__c", "pse__Resource_Request__c"):
        assert sf.query(f"SELECT COUNT() FROM {obj}").json()["totalSize"] > 50


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELEC Id FROM Account", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Nope", "INVALID_TYPE"),
        ("SELECT Id FROM Opportunity WHERE CloseDate > '2026-01-01'", "INVALID_FIELD"),
    ],
)
def test_bad_soql_gets_400_with_salesforce_error_body(sf, soql, code):
    resp = sf.query(soql)
    assert resp.status_code == 400
    assert resp.json()[0]["errorCode"] == code and resp.json()[0]["message"]


def test_sobject_crud_maintains_system_fields(sf):
    created = sf.send("POST", "/sobjects/Account", {"Name": "Crud Test Ltd", "Industry": "Retail"})
    assert created.status_code == 201
    assert created.json()["success"] is True and created.json()["errors"] == []
    rid = created.json()["id"]
    assert rid.startswith("001") and len(rid) == 18
    record = sf.get(f"/sobjects/Account/{rid}").json()
    assert record["Name"] == "Crud Test Ltd" and record["CreatedDate"] == record["LastModifiedDate"]
    assert sf.send("PATCH", f"/sobjects/Account/{rid}", {"Phone": "+1 555 0100"}).status_code == 204
    updated = sf.get(f"/sobjects/Account/{rid[:15]}").json()  # 15-char ids are accepted too
    assert updated["Phone"] == "+1 555 0100" and updated["LastModifiedDate"] >= record["LastModifiedDate"]
    assert sf.send("DELETE", f"/sobjects/Account/{rid}", None).status_code == 204
    gone = sf.get(f"/sobjects/Account/{rid}")
    assert gone.status_code == 404 and gone.json()[0]["errorCode"] == "NOT_FOUND"


def test_write_validation_errors(sf):
    missing = sf.send("POST", "/sobjects/Opportunity", {"Name": "No stage"})
    assert missing.status_code == 400 and missing.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert set(missing.json()[0]["fields"]) == {"StageName", "CloseDate"}
    unknown = sf.send("POST", "/sobjects/Account", {"Name": "x", "Bogus__c": 1})
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"
    readonly = sf.send("POST", "/sobjects/Account", {"Name": "x", "CreatedDate": "2020-01-01T00:00:00Z"})
    assert readonly.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    bad_ref = sf.send("POST", "/sobjects/Contact", {"LastName": "x", "AccountId": "001Dn000009999zAAA"})
    assert bad_ref.status_code == 400


def test_upsert_by_external_id_is_idempotent(sf):
    path = "/sobjects/Account/External_Id__c/FB-UPSERT-1"
    first = sf.send("PATCH", path, {"Name": "Upsert Corp"})
    assert first.status_code == 201 and first.json()["created"] is True
    second = sf.send("PATCH", path, {"Name": "Upsert Corporation"})
    assert second.status_code == 200 and second.json()["created"] is False
    assert second.json()["id"] == first.json()["id"]
    rows = sf.query("SELECT Id, Name FROM Account WHERE External_Id__c = 'FB-UPSERT-1'").json()
    assert rows["totalSize"] == 1 and rows["records"][0]["Name"] == "Upsert Corporation"
    by_ext = sf.get("/sobjects/Account/External_Id__c/fb-upsert-1")  # external ids match case-insensitively
    assert by_ext.status_code == 200 and by_ext.json()["Id"] == first.json()["id"]
    # A child can point at its parent by the parent's external id.
    child = sf.send(
        "POST", "/sobjects/Contact", {"LastName": "Child", "Account": {"External_Id__c": "FB-UPSERT-1"}}
    )
    assert child.status_code == 201
    assert sf.get(f"/sobjects/Contact/{child.json()['id']}").json()["AccountId"] == first.json()["id"]


def test_upsert_on_a_non_external_id_field_is_refused(sf):
    resp = sf.send("PATCH", "/sobjects/Account/Name/Whatever", {"Industry": "Retail"})
    assert resp.status_code == 404 and resp.json()[0]["errorCode"] == "NOT_FOUND"


def test_composite_collections_create_update_and_all_or_none(sf):
    records = [{"attributes": {"type": "Account"}, "Name": f"Batch {n}"} for n in range(3)]
    created = sf.send("POST", "/composite/sobjects", {"allOrNone": False, "records": records})
    assert created.status_code == 200
    results = created.json()
    assert [r["success"] for r in results] == [True] * 3
    ids = [r["id"] for r in results]
    updates = [{"attributes": {"type": "Account"}, "Id": i, "Industry": "Energy"} for i in ids]
    assert all(r["success"] for r in sf.send("PATCH", "/composite/sobjects", {"records": updates}).json())
    assert sf.get(f"/sobjects/Account/{ids[0]}").json()["Industry"] == "Energy"

    before = sf.query("SELECT COUNT() FROM Account").json()["totalSize"]
    mixed = [{"attributes": {"type": "Account"}, "Name": "Fine"}, {"attributes": {"type": "Account"}}]
    rolled = sf.send("POST", "/composite/sobjects", {"allOrNone": True, "records": mixed}).json()
    assert [r["success"] for r in rolled] == [False, False]
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert sf.query("SELECT COUNT() FROM Account").json()["totalSize"] == before

    partial = sf.send("POST", "/composite/sobjects", {"allOrNone": False, "records": mixed}).json()
    assert [r["success"] for r in partial] == [True, False]

    too_many = [{"attributes": {"type": "Account"}, "Name": str(n)} for n in range(201)]
    assert sf.send("POST", "/composite/sobjects", {"records": too_many}).status_code == 400

    deleted = sf.send("DELETE", f"/composite/sobjects?ids={','.join(ids)}", None)
    assert deleted.status_code == 200 and all(r["success"] for r in deleted.json())


def test_composite_upsert_collection(sf):
    body = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "Account"}, "External_Id__c": "COLL-1", "Name": "Coll One"},
            {"attributes": {"type": "Account"}, "External_Id__c": "COLL-2", "Name": "Coll Two"},
        ],
    }
    first = sf.send("PATCH", "/composite/sobjects/Account/External_Id__c", body).json()
    assert [r["created"] for r in first] == [True, True]
    again = sf.send("PATCH", "/composite/sobjects/Account/External_Id__c", body).json()
    assert [r["created"] for r in again] == [False, False]
    assert [r["id"] for r in again] == [r["id"] for r in first]


def test_describe_lists_fields_with_external_id_flags(sf):
    body = sf.get("/sobjects/Account/describe").json()
    fields = {f["name"]: f for f in body["fields"]}
    assert body["keyPrefix"] == "001"
    assert fields["External_Id__c"]["externalId"] is True and fields["Name"]["externalId"] is False
    assert fields["OwnerId"]["referenceTo"] == ["User"] and fields["OwnerId"]["relationshipName"] == "Owner"
