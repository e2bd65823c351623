"""Business Central: the company that uses VAT (Northwind Advisory UK Ltd). A sales line's ``taxCode`` names a
VAT product posting group (what the API's ``taxGroups`` lists there, ``taxType`` VAT), else the line takes its
item's; Business Central computes ``taxPercent``, ``totalTaxAmount`` and ``amountIncludingTax`` on the line
(read-only) and the invoice's ``totalTaxAmount`` / ``totalAmountIncludingTax``. An unknown code is refused.
The other companies keep their lines' tax as given.

https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoiceline
https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_taxgroup
"""

from __future__ import annotations

import uuid

import pytest

from sandbox.business_central.seed import VAT_COMPANY

API = "/dynamics/api/v2.0"


def _client(sandbox, name: str):
    headers = sandbox.auth("dynamics")
    companies = sandbox.http.get(sandbox.url + API + "/companies", headers=headers).json()["value"]
    company = next(c["id"] for c in companies if c["name"] == name)

    class Client:
        base = f"{sandbox.url}{API}/companies({company})"

        def get(self, path, **params):
            return sandbox.http.get(self.base + path, headers=headers, params=params)

        def send(self, method, path, body, extra=None):
            return sandbox.http.request(
                method, self.base + path, headers={**headers, **(extra or {})}, json=body
            )

        def customer(self) -> str:
            body = {"displayName": f"VAT test {uuid.uuid4().hex[:6]}", "country": "GB"}
            return self.send("POST", "/customers", body).json()["id"]

    return Client()


@pytest.fixture
def vat(sandbox):
    return _client(sandbox, VAT_COMPANY)


@pytest.fixture
def main(sandbox):
    return _client(sandbox, "Northwind Advisory Ltd")


def test_the_vat_company_lists_its_vat_product_posting_groups_as_tax_groups(vat, main):
    groups = vat.get("/taxGroups").json()["value"]
    assert [(g["code"], g["taxType"]) for g in groups] == [
        ("REDUCED", "VAT"),
        ("STANDARD", "VAT"),
        ("ZERO", "VAT"),
    ]
    assert all("_taxPercent" not in g for g in groups)  # the rate is the VAT posting setup's, not a field
    assert [i["taxGroupCode"] for i in vat.get("/items").json()["value"]] == ["STANDARD"] * 4
    assert [g["code"] for g in main.get("/taxGroups").json()["value"]] == ["VAT20", "ZERO"]  # unchanged


def test_lines_compute_the_vat_of_their_code_and_the_invoice_totals_it(vat):
    lines = [
        {
            "lineType": "Item",
            "lineObjectNumber": "CONS-HR",
            "quantity": 10,
            "unitPrice": 150,
            "taxCode": "STANDARD",
        },
        {
            "lineType": "Item",
            "lineObjectNumber": "EXPENSES",
            "quantity": 1,
            "unitPrice": 80.5,
            "taxCode": "zero",
        },
        {"lineType": "Item", "lineObjectNumber": "FIXED-FEE", "quantity": 1, "unitPrice": 1000},  # the item's
    ]
    created = vat.send("POST", "/salesInvoices", {"customerId": vat.customer(), "salesInvoiceLines": lines})
    assert created.status_code == 201, created.text
    invoice = created.json()
    # The deep insert answers with the header as the lines left it: what the approver is shown.
    assert (invoice["totalTaxAmount"], invoice["totalAmountIncludingTax"]) == (500.0, 3080.5)
    assert invoice["currencyCode"] == "GBP"  # no currency given, none on the customer: the UK company's own
    got = vat.get(f"/salesInvoices({invoice['id']})/salesInvoiceLines").json()["value"]
    assert [
        (
            ln["taxCode"],
            ln["taxPercent"],
            ln["amountExcludingTax"],
            ln["totalTaxAmount"],
            ln["amountIncludingTax"],
        )
        for ln in got
    ] == [
        ("STANDARD", 20.0, 1500.0, 300.0, 1800.0),
        ("ZERO", 0.0, 80.5, 0.0, 80.5),
        ("STANDARD", 20.0, 1000.0, 200.0, 1200.0),
    ]
    header = vat.get(f"/salesInvoices({invoice['id']})").json()
    assert (
        header["totalAmountExcludingTax"],
        header["totalTaxAmount"],
        header["totalAmountIncludingTax"],
    ) == (
        2580.5,
        500.0,
        3080.5,
    )
    # A line's code changed: its VAT follows.
    first = got[0]
    patched = vat.send(
        "PATCH",
        f"/salesInvoiceLines({first['id']})",
        {"taxCode": "REDUCED"},
        {"If-Match": first["@odata.etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["taxPercent"], patched.json()["totalTaxAmount"]) == (5.0, 75.0)
    assert vat.get(f"/salesInvoices({invoice['id']})").json()["totalTaxAmount"] == 275.0
    assert vat.send("POST", f"/salesInvoices({invoice['id']})/Microsoft.NAV.post", None).status_code == 204
    posted = vat.get(f"/salesInvoices({invoice['id']})").json()
    assert (posted["status"], posted["remainingAmount"]) == ("Open", 2855.5)


def test_an_unknown_tax_code_is_refused_and_the_deep_insert_leaves_nothing(vat):
    customer = vat.customer()
    lines = [
        {
            "lineType": "Item",
            "lineObjectNumber": "CONS-HR",
            "quantity": 1,
            "unitPrice": 100,
            "taxCode": "STANDARD",
        },
        {
            "lineType": "Item",
            "lineObjectNumber": "CONS-HR",
            "quantity": 1,
            "unitPrice": 100,
            "taxCode": "VAT20",
        },
    ]
    refused = vat.send("POST", "/salesInvoices", {"customerId": customer, "salesInvoiceLines": lines})
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] == "Internal_RecordNotFound"
    assert "(VAT20)" in error["message"] and "VAT Product Posting Group" in error["message"]
    assert vat.get("/salesInvoices", **{"$filter": f"customerId eq {customer}"}).json()["value"] == []


def test_tax_percent_is_read_only_in_the_vat_company_and_as_given_elsewhere(vat, main):
    draft = vat.send("POST", "/salesInvoices", {"customerId": vat.customer()}).json()
    refused = vat.send(
        "POST",
        f"/salesInvoices({draft['id']})/salesInvoiceLines",
        {"lineType": "Item", "quantity": 1, "unitPrice": 100, "taxPercent": 7},
    )
    assert refused.status_code == 400 and refused.json()["error"]["message"].startswith(
        "The property 'taxPercent' is read-only."
    )
    # The company without VAT keeps its lines' tax as given, any code included.
    customer = main.get("/customers", **{"$top": "1"}).json()["value"][0]
    other = main.send("POST", "/salesInvoices", {"customerId": customer["id"]}).json()
    line = main.send(
        "POST",
        f"/salesInvoices({other['id']})/salesInvoiceLines",
        {"lineType": "Item", "quantity": 1, "unitPrice": 100, "taxCode": "ANY", "taxPercent": 8},
    )
    assert line.status_code == 201, line.text
    assert (line.json()["taxCode"], line.json()["totalTaxAmount"]) == ("ANY", 8.0)
