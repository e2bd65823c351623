"""Dynamics 365 Business Central API v2.0 (OData v4): companies and their customers, projects, sales
invoices and credit memos (+ lines, posted with the bound action ``Microsoft.NAV.post``), customer payment
journals and their payments (which take effect only when the journal is posted), and one custom API page
(``/api/northwind/billing/v1.0``), with ETags, If-Match and server-driven paging.

Documented at https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/
(resources dynamics_salesinvoice, dynamics_salescreditmemo, dynamics_customerpaymentjournal,
dynamics_customerpayment) and webservices/api-endpoint-structure (custom API routes)."""

from __future__ import annotations

import base64
import re
import uuid
import zlib
from typing import Any
from urllib.parse import quote, urlencode

from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from ..platform.timeutil import iso_z, parse_iso, utcnow
from . import odata, subscriptions
from .schema import (
    CASH_ACCOUNT,
    DOCUMENT_LINES,
    READ_ONLY_SETS,
    RECEIVABLES_ACCOUNT,
    REVENUE_ACCOUNT,
    SALES_TAX_ACCOUNT,
    SETS_DEF,
    document_totals,
    invoice_totals,
    line_amounts,
)

API = r"(?:/v2\.0/[^/]+/[^/]+)?/api/(?P<route>v2\.0|[A-Za-z0-9_]+/[A-Za-z0-9_]+/v\d+\.\d+)"
GUID = r"[0-9a-fA-F-]{36}"
COMPANY = rf"/companies\((?P<cid>'?{GUID}'?)\)"
SETS = "(?P<es>" + "|".join(sorted(SETS_DEF, key=len, reverse=True)) + ")"
ENTITY = rf"\((?P<eid>'?{GUID}'?)\)"
PARENT = rf"(?P<parent_es>salesInvoices|salesCreditMemos|customerPaymentJournals)\((?P<pid>'?{GUID}'?)\)"
CHILD = r"(?P<es>salesInvoiceLines|salesCreditMemoLines|customerPayments)"
CHILDREN = {
    "salesInvoices": "salesInvoiceLines",
    "salesCreditMemos": "salesCreditMemoLines",
    "customerPaymentJournals": "customerPayments",
}
POSTED_PAYMENTS = "postedCustomerPayments"  # journal lines once posted (customer ledger entries)
DIALOG = "Application_DialogException"


class BcError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def etag(record: dict[str, Any]) -> str:
    """Weak ETag that changes on every write, shaped like Business Central's base64 version tags."""
    version = f"{zlib.crc32(str(record.get('id')).encode()):010d}{int(record.get('_version', 1)):09d}"
    raw = f"'{len(version)};{version};'"
    return 'W/"' + base64.b64encode(raw.encode()).decode() + '"'


def public(record: dict[str, Any]) -> dict[str, Any]:
    """The entity as the API shows it: ETag first, fields in the documented order, internals hidden."""
    out: dict[str, Any] = {"@odata.etag": etag(record)}
    spec = SETS_DEF.get(record.get("_set", ""))
    for name in spec.fields if spec else ():
        if name in record:
            out[name] = record[name]
    out.update({k: v for k, v in record.items() if not k.startswith("_") and k not in out})
    return out


class BusinessCentral(System):
    name = "dynamics"  # URL prefix, store and config key: connections and fixtures use /dynamics/...
    title = "Dynamics 365 Business Central"
    browse_objects = ("companies", *SETS_DEF)

    def routes(self) -> None:
        add = self.router.add
        add("GET", API + r"/companies/?", self.companies)
        add("GET", API + COMPANY + "/?", self.company)
        add("GET", API + COMPANY + "/" + SETS + "/?", self.index)
        add("POST", API + COMPANY + "/" + SETS + "/?", self.create)
        add("GET", API + COMPANY + "/" + SETS + ENTITY + "/?", self.read)
        add("PATCH", API + COMPANY + "/" + SETS + ENTITY + "/?", self.patch)
        add("DELETE", API + COMPANY + "/" + SETS + ENTITY + "/?", self.delete)
        add("GET", API + COMPANY + "/" + PARENT + "/" + CHILD + "/?", self.children)
        add("POST", API + COMPANY + "/" + PARENT + "/" + CHILD + "/?", self.add_child)
        add("GET", API + r"/subscriptions/?", self.list_subscriptions)
        add("POST", API + r"/subscriptions/?", self.create_subscription)
        for method, handler in (
            ("GET", self.read_subscription),
            ("PATCH", self.patch_subscription),
            ("DELETE", self.delete_subscription),
        ):
            add(method, API + r"/subscriptions\('?(?P<sid>[0-9a-fA-F]{32})'?\)/?", handler)
        add(
            "POST",
            API + COMPANY + rf"/(?P<es>salesInvoices|salesCreditMemos|customerPaymentJournals){ENTITY}"
            r"/Microsoft\.NAV\.post/?",
            self.post,
        )

    # -- shapes -----------------------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        codes = {
            401: "Authentication_InvalidCredentials",
            404: "BadRequest_NotFound",
            405: "BadRequest_MethodNotAllowed",
            429: "Application_TooManyRequests",
            500: "Internal_ServerError",
            503: "Internal_ServiceUnavailable",
        }
        if code in (
            "",
            "NOT_FOUND",
            "UNAUTHORIZED",
            "SERVER_ERROR",
            "JSON_PARSER_ERROR",
            "METHOD_NOT_ALLOWED",
            "REQUEST_LIMIT_EXCEEDED",
            "UNKNOWN_EXCEPTION",
            "CONCURRENCY_LIMIT_EXCEEDED",
        ):
            code = codes.get(status, "BadRequest")
        correlation = uuid.uuid4()
        return json_response(
            status, {"error": {"code": code, "message": f"{message}  CorrelationId:  {correlation}."}}
        )

    def _fail(self, exc: BcError) -> Response:
        return self.error(exc.status, exc.code, exc.message)

    def unauthorized(self) -> Response:
        resp = self.error(
            401, "Authentication_InvalidCredentials", "The server has rejected the client credentials."
        )
        resp.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'
        return resp

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(
            record.get("displayName") or record.get("number") or record.get("description") or record["id"]
        )

    def _base(self, req: Request, route: str = "v2.0") -> str:
        return f"{req.base_url}{req.root}/api/{route}"

    def _route(self, route: str, es: str) -> None:
        """An entity set answers only on its own API route (v2.0, or its custom page's route)."""
        if SETS_DEF[es].api != route:
            raise BcError(404, "BadRequest_NotFound", f"Resource not found for the segment '{es}'.")

    def _writable_set(self, es: str, method: str) -> None:
        """G/L entries are written by posting only: the API page allows GET alone."""
        if es in READ_ONLY_SETS:
            raise BcError(
                405, "BadRequest_MethodNotAllowed", f"'{method}' requests for '{es}' are not allowed."
            )

    # -- companies --------------------------------------------------------------------------------
    def _company(self, cid: str) -> dict[str, Any]:
        company = self.store.peek(self.name, "companies", cid.strip("'").lower())
        if company is None:
            raise BcError(
                404,
                "Internal_CompanyNotFound",
                f"Cannot process the request because the company {cid} does not exist.",
            )
        return company

    def companies(self, req: Request, route: str = "v2.0") -> Response:
        req.object_label = "companies"
        rows = [public(c) for c in self.store.all(self.name, "companies")]
        return json_response(
            200, {"@odata.context": f"{self._base(req, route)}/$metadata#companies", "value": rows}
        )

    def company(self, req: Request, cid: str, route: str = "v2.0") -> Response:
        req.object_label = "companies"
        try:
            company = self._company(cid)
        except BcError as exc:
            return self._fail(exc)
        return json_response(
            200,
            {"@odata.context": f"{self._base(req, route)}/$metadata#companies/$entity", **public(company)},
        )

    # -- collections ------------------------------------------------------------------------------
    def _records(self, cid: str, es: str) -> list[dict[str, Any]]:
        return [r for r in self.store.all(self.name, es) if r.get("_companyId") == cid]

    def index(
        self,
        req: Request,
        cid: str,
        es: str,
        route: str = "v2.0",
        *,
        parent: dict[str, Any] | None = None,
    ) -> Response:
        req.object_label = es
        try:
            self._route(route, es)
            company = self._company(cid)
            records = self._records(company["id"], es)
            if parent is not None:
                key = "journalId" if es == "customerPayments" else "documentId"
                records = [r for r in records if r.get(key) == parent["id"]]
            records = self._query(req, es, records)
        except BcError as exc:
            return self._fail(exc)
        except odata.ODataError as exc:
            return self.error(400, "BadRequest", str(exc))
        size = int(self.sandbox.config.dynamics_page_size)
        prefer = re.search(r"odata\.maxpagesize=(\d+)", req.header("prefer"))
        headers = {}
        if prefer:
            size = max(1, int(prefer[1]))
            headers["Preference-Applied"] = f"odata.maxpagesize={size}"
        token = req.arg("$skiptoken") or "0"
        start = int(token) if token.isdigit() else 0
        page = records[start : start + size]
        context_path = f"companies({company['id']})/{es}"
        body: dict[str, Any] = {"@odata.context": f"{self._base(req, route)}/$metadata#{context_path}"}
        if (req.arg("$count") or "").lower() == "true":
            body["@odata.count"] = len(records)
        body["value"] = [self._shape(req, es, r) for r in page]
        if start + size < len(records):
            params = {k: v[0] for k, v in req.query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(start + size)
            body["@odata.nextLink"] = (
                f"{req.base_url}{req.root}{req.sub_path}?{urlencode(params, quote_via=quote)}"
            )
        return json_response(200, body, headers)

    def _query(self, req: Request, es: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        spec = SETS_DEF[es]
        names = set(spec.fields)
        flt = req.arg("$filter")
        if flt:
            tree = odata.parse_filter(flt, names)
            records = [r for r in records if odata.matches(tree, r)]
        records = odata.order(records, req.arg("$orderby") or spec.order_by, names)
        try:
            skip = int(req.arg("$skip") or 0)
            top = int(req.arg("$top")) if req.arg("$top") else None
        except ValueError:
            raise odata.ODataError("$top and $skip must be integers") from None
        records = records[skip:]
        return records[:top] if top is not None else records

    def _shape(self, req: Request, es: str, record: dict[str, Any]) -> dict[str, Any]:
        out = public(record)
        select = req.arg("$select")
        if select:
            keep = {s.strip() for s in select.split(",")} | {"@odata.etag"}
            out = {k: v for k, v in out.items() if k in keep}
        child = CHILDREN.get(es)
        if child and child in (req.arg("$expand") or ""):
            key = "journalId" if child == "customerPayments" else "documentId"
            rows = [r for r in self._records(record["_companyId"], child) if r.get(key) == record["id"]]
            order = "lineNumber" if child == "customerPayments" else "sequence"
            out[child] = [public(r) for r in sorted(rows, key=lambda r: r.get(order) or 0)]
        return out

    def _find(self, cid: str, es: str, eid: str) -> dict[str, Any]:
        company = self._company(cid)
        record = self.store.get(self.name, es, eid.strip("'").lower())
        if record is None or record.get("_companyId") != company["id"] or record.get("_set") != es:
            raise BcError(
                404,
                "Internal_RecordNotFound",
                f"The {SETS_DEF[es].entity} does not exist. Identification fields and values: Id='{eid}'",
            )
        return record

    def read(self, req: Request, cid: str, es: str, eid: str, route: str = "v2.0") -> Response:
        req.object_label = es
        try:
            self._route(route, es)
            record = self._find(cid, es, eid)
        except BcError as exc:
            return self._fail(exc)
        context = f"{self._base(req, route)}/$metadata#companies({record['_companyId']})/{es}/$entity"
        body = {"@odata.context": context}
        body.update(self._shape(req, es, record))
        return json_response(200, body, {"ETag": etag(record)})

    def children(
        self, req: Request, cid: str, parent_es: str, pid: str, es: str, route: str = "v2.0"
    ) -> Response:
        try:
            self._route(route, parent_es)
            if CHILDREN[parent_es] != es:
                raise BcError(404, "BadRequest_NotFound", f"Resource not found for the segment '{es}'.")
            parent = self._find(cid, parent_es, pid)
        except BcError as exc:
            return self._fail(exc)
        return self.index(req, cid, es, route, parent=parent)

    # -- writes -----------------------------------------------------------------------------------
    def create(
        self,
        req: Request,
        cid: str,
        es: str,
        route: str = "v2.0",
        *,
        parent: dict[str, Any] | None = None,
    ) -> Response:
        """POST: one entity; a sales document with its lines (``salesInvoiceLines`` / ``salesCreditMemoLines``
        in the body) is a deep insert, all or nothing."""
        req.object_label = es
        try:
            self._route(route, es)
            self._writable_set(es, "POST")
            company = self._company(cid)
            body = self._body(req)
            if parent is not None:
                body.setdefault("journalId" if es == "customerPayments" else "documentId", parent["id"])
            nested = body.pop(DOCUMENT_LINES[es], None) if es in DOCUMENT_LINES else None
            if nested is not None and (
                not isinstance(nested, list) or not all(isinstance(n, dict) for n in nested)
            ):
                raise BcError(400, "BadRequest", "Invalid Request Body")
            record = self._prepare(company["id"], es, None, body)
        except BcError as exc:
            return self._fail(exc)
        if nested:
            error = self._deep_insert(company["id"], es, record, nested)
            if error is not None:
                return self._fail(error)
        else:
            self._commit(company["id"], es, record, "created")
        record = self.store.get(self.name, es, record["id"]) or record
        base = self._base(req, route)
        location = f"{base}/companies({company['id']})/{es}({record['id']})"
        body_out = {"@odata.context": f"{base}/$metadata#companies({company['id']})/{es}/$entity"}
        body_out.update(self._shape(req, es, record))
        return json_response(201, body_out, {"ETag": etag(record), "Location": location})

    def _deep_insert(
        self, cid: str, es: str, doc: dict[str, Any], nested: list[dict[str, Any]]
    ) -> BcError | None:
        """The document and its lines in one transaction: a refused line leaves nothing behind."""
        lines_es = DOCUMENT_LINES[es]
        self.store.put(self.name, es, doc["id"], doc)
        prepared: list[dict[str, Any]] = []
        try:
            for index, line in enumerate(nested):
                body = {**line, "documentId": doc["id"]}
                if body.get("sequence") is None:
                    body["sequence"] = (index + 1) * 10000
                if any(p.get("sequence") == body["sequence"] for p in prepared):
                    raise self._same_line(doc, body["sequence"])
                prepared.append(self._prepare(cid, lines_es, None, body))
        except BcError as exc:
            self.store.delete(self.name, es, doc["id"])
            return exc
        self._commit(cid, es, doc, "created")
        for line in prepared:
            self.store.put(self.name, lines_es, line["id"], line)
            self._changed(cid, lines_es, "created", public(line))
        self._recompute_document(cid, lines_es, doc["id"])
        return None

    def _same_line(self, doc: dict[str, Any], sequence: Any) -> BcError:
        return BcError(
            400,
            "Internal_EntityWithSameKeyExists",
            "The record in table Sales Line already exists. Identification fields and values: "
            f"Document No.='{doc.get('number')}',Line No.='{sequence}'",
        )

    def add_child(
        self, req: Request, cid: str, parent_es: str, pid: str, es: str, route: str = "v2.0"
    ) -> Response:
        try:
            self._route(route, parent_es)
            if CHILDREN[parent_es] != es:
                raise BcError(404, "BadRequest_NotFound", f"Resource not found for the segment '{es}'.")
            parent = self._find(cid, parent_es, pid)
        except BcError as exc:
            return self._fail(exc)
        return self.create(req, cid, es, route, parent=parent)

    def _check_etag(self, req: Request, record: dict[str, Any]) -> None:
        given = req.header("if-match")
        if not given:
            raise BcError(
                428,
                "Request_PreconditionRequired",
                "Could not find a value for the 'If-Match' header; send the entity's @odata.etag or *.",
            )
        if given.strip() != "*" and given.strip() != etag(record):
            raise BcError(412, "Request_EntityChanged", "Another user has already changed the record.")

    def _check_editable(self, cid: str, es: str, record: dict[str, Any]) -> None:
        """A posted sales document (or a line of one) cannot be changed or deleted."""
        doc = record
        if es in ("salesInvoiceLines", "salesCreditMemoLines"):
            doc_es = "salesInvoices" if es == "salesInvoiceLines" else "salesCreditMemos"
            doc = self.store.peek(self.name, doc_es, str(record.get("documentId"))) or {}
        elif es not in DOCUMENT_LINES:
            return
        if doc.get("status") not in (None, "Draft"):
            kind = "credit memo" if "CreditMemo" in es else "invoice"
            raise BcError(400, DIALOG, f"The {kind} has been posted and can no longer be modified.")

    def patch(self, req: Request, cid: str, es: str, eid: str, route: str = "v2.0") -> Response:
        req.object_label = es
        try:
            self._route(route, es)
            self._writable_set(es, "PATCH")
            record = self._find(cid, es, eid)
            self._check_etag(req, record)
            self._check_editable(cid, es, record)
            updated = self._prepare(record["_companyId"], es, record, self._body(req))
        except BcError as exc:
            return self._fail(exc)
        self._commit(record["_companyId"], es, updated, "updated")
        context = f"{self._base(req, route)}/$metadata#companies({record['_companyId']})/{es}/$entity"
        body = {"@odata.context": context}
        body.update(public(updated))
        return json_response(200, body, {"ETag": etag(updated)})

    def delete(self, req: Request, cid: str, es: str, eid: str, route: str = "v2.0") -> Response:
        req.object_label = es
        try:
            self._route(route, es)
            self._writable_set(es, "DELETE")
            record = self._find(cid, es, eid)
            self._check_etag(req, record)
            self._check_editable(cid, es, record)
        except BcError as exc:
            return self._fail(exc)
        self.store.delete(self.name, es, record["id"])
        if es in ("salesInvoiceLines", "salesCreditMemoLines"):
            self._recompute_document(record["_companyId"], es, record["documentId"])
        self._changed(record["_companyId"], es, "deleted", public(record))
        return empty_response(204)

    def post(self, req: Request, cid: str, es: str, eid: str, route: str = "v2.0") -> Response:
        """Bound action ``Microsoft.NAV.post``: a draft invoice or credit memo becomes Open (posted, no
        longer editable); a customer payment journal's lines are posted, which is when a payment reduces
        the invoice it applies to (and the lines leave the journal). 204 No Content."""
        req.object_label = es
        try:
            self._route(route, es)
            record = self._find(cid, es, eid)
            if es == "customerPaymentJournals":
                self._post_journal(record)
            else:
                self._post_document(es, record)
        except BcError as exc:
            return self._fail(exc)
        return empty_response(204)

    def _post_document(self, es: str, doc: dict[str, Any]) -> None:
        kind = "credit memo" if es == "salesCreditMemos" else "invoice"
        if doc.get("status") != "Draft":
            raise BcError(400, DIALOG, f"The {kind} has already been posted.")
        lines = [
            r
            for r in self._records(doc["_companyId"], DOCUMENT_LINES[es])
            if r.get("documentId") == doc["id"]
        ]
        if not any(float(r.get("quantity") or 0) for r in lines):
            raise BcError(400, DIALOG, "There is nothing to post.")
        doc["status"] = "Open"
        prefix = SETS_DEF[es].number_prefix
        doc["number"] = re.sub(rf"^{re.escape(prefix)}-D", prefix, str(doc["number"]))
        self._commit(doc["_companyId"], es, self._touch(doc), "updated")
        self._recompute_document(doc["_companyId"], DOCUMENT_LINES[es], doc["id"])
        if es == "salesInvoices":
            doc = self.store.get(self.name, es, doc["id"]) or doc
            total, tax = float(doc.get("totalAmountIncludingTax") or 0), float(doc.get("totalTaxAmount") or 0)
            entries = [(RECEIVABLES_ACCOUNT, total, 0.0), (REVENUE_ACCOUNT, 0.0, round(total - tax, 2))]
            if tax:
                entries.append((SALES_TAX_ACCOUNT, 0.0, tax))
            self._post_entries(doc["_companyId"], doc, "Invoice", str(doc["number"]), entries)
        else:
            doc = self.store.get(self.name, es, doc["id"]) or doc
            total, tax = float(doc.get("totalAmountIncludingTax") or 0), float(doc.get("totalTaxAmount") or 0)
            entries = [(REVENUE_ACCOUNT, round(total - tax, 2), 0.0), (RECEIVABLES_ACCOUNT, 0.0, total)]
            if tax:
                entries.append((SALES_TAX_ACCOUNT, tax, 0.0))
            # documentType as generalLedgerEntry documents it: " ", Payment, Invoice, Credit Memo, ...
            self._post_entries(doc["_companyId"], doc, "Credit Memo", str(doc["number"]), entries)
            if doc.get("invoiceId"):  # applied to the invoice: it closes that much of it
                self._recompute_document(doc["_companyId"], "salesInvoiceLines", doc["invoiceId"])

    def _post_journal(self, journal: dict[str, Any]) -> None:
        cid = journal["_companyId"]
        lines = [r for r in self._records(cid, "customerPayments") if r.get("journalId") == journal["id"]]
        if not lines:
            raise BcError(400, DIALOG, "There is nothing to post.")
        for line in lines:
            if not float(line.get("amount") or 0):
                raise BcError(
                    400,
                    DIALOG,
                    f"Amount must have a value in Gen. Journal Line: Line No.={line['lineNumber']}.",
                )
        for line in lines:
            self.store.delete(self.name, "customerPayments", line["id"])
            posted = {**line, "_set": POSTED_PAYMENTS}
            self.store.put(self.name, POSTED_PAYMENTS, line["id"], posted)
            amount = float(line.get("amount") or 0)
            cash = str(journal.get("balancingAccountNumber") or CASH_ACCOUNT)
            self._post_entries(
                cid,
                line,
                "Payment",
                str(line.get("documentNumber") or ""),
                [(cash, amount, 0.0), (RECEIVABLES_ACCOUNT, 0.0, amount)],
            )
            self._changed(cid, "customerPayments", "deleted", public(line))
            if line.get("appliesToInvoiceId"):
                self._recompute_document(cid, "salesInvoiceLines", line["appliesToInvoiceId"])
        self._commit(cid, "customerPaymentJournals", self._touch(journal), "updated")

    def _post_entries(
        self,
        cid: str,
        source: dict[str, Any],
        document_type: str,
        document_number: str,
        entries: list[tuple[str, float, float]],
    ) -> None:
        """G/L entries a posting writes (account, debit, credit), numbered in posting order."""
        for account, debit, credit in entries:
            number = self.store.next_value(f"dynamics:glentry:{cid}", 1)
            entry = {
                "id": str(uuid.uuid4()),
                "entryNumber": number,
                "postingDate": source.get("postingDate") or utcnow().date().isoformat(),
                "documentNumber": document_number,
                "documentType": document_type,
                "accountId": str(uuid.uuid5(uuid.NAMESPACE_OID, f"bc-account-{cid}-{account}")),
                "accountNumber": account,
                "description": str(source.get("description") or source.get("customerName") or "")[:100],
                "debitAmount": round(debit, 2),
                "creditAmount": round(credit, 2),
                "_companyId": cid,
                "_set": "generalLedgerEntries",
                "_version": 0,
            }
            self._touch(entry)
            self.store.put(self.name, "generalLedgerEntries", entry["id"], entry)

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError:
            raise BcError(400, "BadRequest", "Invalid Request Body") from None
        if not isinstance(body, dict):
            raise BcError(400, "BadRequest", "Invalid Request Body")
        return body

    def _touch(self, record: dict[str, Any]) -> dict[str, Any]:
        record["_version"] = int(record.get("_version", 1)) + 1
        if "lastModifiedDateTime" in SETS_DEF.get(record.get("_set", ""), SETS_DEF["customers"]).fields:
            record["lastModifiedDateTime"] = iso_z(utcnow(), millis=True)
        return record

    def _prepare(
        self, cid: str, es: str, existing: dict[str, Any] | None, body: dict[str, Any]
    ) -> dict[str, Any]:
        spec = SETS_DEF[es]
        record = dict(existing) if existing else {**spec.defaults}
        for key, value in body.items():
            if key.startswith("@odata"):
                continue
            ftype = spec.fields.get(key)
            if ftype is None:
                raise BcError(
                    400,
                    "BadRequest_PropertyNotFound",
                    f"The property '{key}' does not exist on type 'Microsoft.NAV.{spec.entity}'.",
                )
            if key in spec.readonly or (
                key == "taxPercent" and es in DOCUMENT_LINES.values() and self._vat_company(cid)
            ):
                raise BcError(400, "BadRequest", f"The property '{key}' is read-only.")
            record[key] = self._coerce(key, ftype, value)
        if existing is None:
            record["id"] = str(uuid.uuid4())
            record["_companyId"] = cid
            record["_set"] = es
            record["_version"] = 0
            if "number" in spec.fields and not record.get("number"):
                seq = self.store.next_value(f"dynamics:{es}", 10001)
                record["number"] = (
                    f"{spec.number_prefix}-D{seq}"
                    if es in DOCUMENT_LINES
                    else f"{spec.number_prefix}{seq:05d}"
                )
        missing = [f for f in spec.required if record.get(f) in (None, "")]
        if missing:
            raise BcError(400, "Internal_FieldMissing", f"{missing[0]} must have a value.")
        self._derive(cid, es, record, existing)
        return self._touch(record)

    def _coerce(self, key: str, ftype: str, value: Any) -> Any:
        bad = BcError(
            400, "BadRequest", f"Cannot convert the literal '{value}' to the expected type for '{key}'."
        )
        if value is None:
            return None
        if ftype == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad
            return value
        if ftype == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if ftype == "date":
            if not isinstance(value, str) or len(value) != 10 or parse_iso(value) is None:
                raise bad
            return value
        if ftype == "guid":
            try:
                return str(uuid.UUID(str(value)))
            except ValueError:
                raise bad from None
        if not isinstance(value, str):
            raise bad
        return value

    def _customer(self, cid: str, record: dict[str, Any]) -> dict[str, Any]:
        customers = self._records(cid, "customers")
        if record.get("customerId"):
            cust = next((c for c in customers if c["id"] == record["customerId"]), None)
        else:
            cust = next((c for c in customers if c.get("number") == record.get("customerNumber")), None)
        if cust is None:
            raise BcError(
                400,
                "Internal_RecordNotFound",
                "The customer does not exist. Set customerId or customerNumber.",
            )
        record["customerId"], record["customerNumber"] = cust["id"], cust["number"]
        return cust

    def _derive(self, cid: str, es: str, record: dict[str, Any], existing: dict[str, Any] | None) -> None:
        today = utcnow().date().isoformat()
        if es in DOCUMENT_LINES:
            cust = self._customer(cid, record)
            record["customerName"] = cust["displayName"]
            if existing is None and not record.get("currencyCode"):
                # The customer's currency; blank there means the company's local currency, which the API
                # answers with its code (a UK company's GBP, not USD).
                company = self.store.peek(self.name, "companies", cid) or {}
                record["currencyCode"] = cust.get("currencyCode") or company.get("_lcy") or "USD"
            record.setdefault("billToName", cust["displayName"])
            date_field = "invoiceDate" if es == "salesInvoices" else "creditMemoDate"
            record.setdefault(date_field, today)
            record.setdefault("postingDate", record[date_field])
            record.setdefault("dueDate", record[date_field])
            if es == "salesCreditMemos" and record.get("invoiceId"):
                inv = self.store.peek(self.name, "salesInvoices", record["invoiceId"])
                if inv is None or inv.get("_companyId") != cid or inv.get("status") == "Draft":
                    raise BcError(
                        400, "Internal_RecordNotFound", "The invoiceId does not match a posted invoice."
                    )
                record["invoiceNumber"] = inv["number"]
            if existing is None:
                record.update(totalAmountExcludingTax=0, totalTaxAmount=0, totalAmountIncludingTax=0)
                if es == "salesInvoices":
                    record["remainingAmount"] = 0
        elif es == "customerPayments":
            self._customer(cid, record)
            record.setdefault("postingDate", today)
            journal = self._journal(cid, record.get("journalId"))
            record["journalId"], record["journalDisplayName"] = journal["id"], journal["code"]
            if existing is None:
                record["lineNumber"] = self.store.next_value(f"dynamics:payline:{cid}", 1) * 10000
                if not record.get("documentNumber"):  # the journal batch's number series
                    record["documentNumber"] = f"PAY{record['lineNumber'] // 10000 + 2000:05d}"
            self._apply_to(cid, record)
        elif es in ("salesInvoiceLines", "salesCreditMemoLines"):
            doc_es = "salesInvoices" if es == "salesInvoiceLines" else "salesCreditMemos"
            doc = self.store.peek(self.name, doc_es, record["documentId"])
            if doc is None or doc.get("_companyId") != cid:
                raise BcError(
                    400,
                    "Internal_RecordNotFound",
                    f"The {SETS_DEF[doc_es].entity} (documentId) does not exist.",
                )
            self._check_editable(cid, doc_es, doc)
            siblings = [
                r
                for r in self._records(cid, es)
                if r.get("documentId") == record["documentId"] and r["id"] != record.get("id")
            ]
            if existing is None and record.get("sequence") is None:
                record["sequence"] = (
                    max([int(r.get("sequence") or 0) for r in siblings] or [0]) // 10000 + 1
                ) * 10000
            if any(r.get("sequence") == record["sequence"] for r in siblings):
                raise self._same_line(doc, record["sequence"])
            self._line_tax(cid, record)
            line_amounts(record)
        elif es == "customerPaymentJournals":
            clash = [
                j
                for j in self._records(cid, es)
                if j.get("code") == record.get("code") and j["id"] != record.get("id")
            ]
            if clash:
                raise BcError(
                    400,
                    "Internal_EntityWithSameKeyExists",
                    "The record in table Gen. Journal Batch already exists. "
                    f"Identification fields and values: "
                    f"Name='{record['code']}'",
                )
            record["displayName"] = record.get("displayName") or record["code"]

    def _vat_company(self, cid: str) -> bool:
        return bool((self.store.peek(self.name, "companies", cid) or {}).get("_vat"))

    def _line_tax(self, cid: str, line: dict[str, Any]) -> None:
        """A VAT company's sales line: ``taxCode`` names a VAT product posting group (the API's taxGroups,
        type VAT), else the item's; ``taxPercent`` (read-only, documented) is that group's VAT %, and
        :func:`.schema.line_amounts` makes ``totalTaxAmount`` and ``amountIncludingTax`` from it. An unknown
        code is refused as Business Central refuses a value missing from the related table. Other companies
        keep the line's tax as given (sales tax is not modelled).
        https://learn.microsoft.com/en-us/dynamics365/business-central/dev-itpro/api-reference/v2.0/resources/dynamics_salesinvoiceline
        """
        if not self._vat_company(cid):
            return
        code = str(line.get("taxCode") or "").upper()  # a Code field: Business Central stores it upper case
        if not code and line.get("lineObjectNumber"):
            item = next(
                (i for i in self._records(cid, "items") if i.get("number") == line["lineObjectNumber"]), None
            )
            code = str((item or {}).get("taxGroupCode") or "")
        if not code:
            line.update(taxCode="", taxPercent=0.0)
            return
        group = next((g for g in self._records(cid, "taxGroups") if g.get("code") == code), None)
        if group is None:
            raise BcError(
                400,
                "Internal_RecordNotFound",
                f"The field VAT Prod. Posting Group of table Sales Line contains a value ({code}) that "
                "cannot be found in the related table (VAT Product Posting Group).",
            )
        line.update(taxCode=code, taxPercent=float(group.get("_taxPercent") or 0))

    def _journal(self, cid: str, journal_id: Any) -> dict[str, Any]:
        """The payment's journal: the given one, else the company's default (CASHRCPT), created on demand."""
        journals = self._records(cid, "customerPaymentJournals")
        if journal_id:
            found = next((j for j in journals if j["id"] == journal_id), None)
            if found is None:
                raise BcError(
                    400, "Internal_RecordNotFound", "The customer payment journal (journalId) does not exist."
                )
            return found
        default = next((j for j in journals if j.get("code") == "CASHRCPT"), None)
        if default is None:
            default = self._prepare(cid, "customerPaymentJournals", None, {"code": "CASHRCPT"})
            self.store.put(self.name, "customerPaymentJournals", default["id"], default)
        return default

    def _apply_to(self, cid: str, record: dict[str, Any]) -> None:
        """``appliesToInvoiceId`` / ``appliesToInvoiceNumber`` name a posted sales invoice (either fills
        the other)."""
        if not (record.get("appliesToInvoiceId") or record.get("appliesToInvoiceNumber")):
            return
        invoices = self._records(cid, "salesInvoices")
        if record.get("appliesToInvoiceId"):
            inv = next((i for i in invoices if i["id"] == record["appliesToInvoiceId"]), None)
        else:
            inv = next((i for i in invoices if i.get("number") == record["appliesToInvoiceNumber"]), None)
        if inv is None or inv.get("status") == "Draft":
            raise BcError(
                400,
                "Internal_RecordNotFound",
                "The appliesToInvoiceId does not match a posted sales invoice.",
            )
        if inv.get("customerId") != record.get("customerId"):
            raise BcError(400, DIALOG, "The invoice to apply to belongs to another customer.")
        record["appliesToInvoiceId"], record["appliesToInvoiceNumber"] = inv["id"], inv["number"]

    def _commit(self, cid: str, es: str, record: dict[str, Any], event: str) -> None:
        self.store.put(self.name, es, record["id"], record)
        self._changed(cid, es, event, public(record))
        if es in ("salesInvoiceLines", "salesCreditMemoLines"):
            self._recompute_document(cid, es, record["documentId"])

    def _recompute_document(self, cid: str, lines_es: str, doc_id: str) -> None:
        """Totals from the lines; an invoice's remaining amount less its posted payments and the posted
        credit memos applied to it (``invoiceId``): both close the customer's ledger entry."""
        doc_es = "salesInvoices" if lines_es == "salesInvoiceLines" else "salesCreditMemos"
        doc = self.store.get(self.name, doc_es, doc_id)
        if doc is None:
            return
        lines = [r for r in self._records(cid, lines_es) if r.get("documentId") == doc_id]
        if doc_es == "salesInvoices":
            paid = sum(
                float(p.get("amount") or 0)
                for p in self._records(cid, POSTED_PAYMENTS)
                if p.get("appliesToInvoiceId") == doc_id
            )
            credited = sum(
                float(c.get("totalAmountIncludingTax") or 0)
                for c in self._records(cid, "salesCreditMemos")
                if c.get("invoiceId") == doc_id and c.get("status") != "Draft"
            )
            invoice_totals(doc, lines, paid + credited)
        else:
            document_totals(doc, lines)
        self.store.put(self.name, doc_es, doc_id, self._touch(doc))
        self._changed(cid, doc_es, "updated", public(doc))

    # -- webhook subscriptions ----------------------------------------------------------------------
    def _changed(self, cid: str, es: str, change: str, shaped: dict[str, Any]) -> None:
        """The sandbox's own webhooks, and a notification to every live subscription on the collection."""
        self.emit(es, change, shaped)
        for sub in self.store.all(self.name, "subscriptions"):
            target = subscriptions.parse_resource(sub["resource"])
            if target and target[1] == cid and target[2] == es and subscriptions.live(sub):
                note = subscriptions.notification(sub, shaped, change)
                subscriptions.deliver(sub["notificationUrl"], {"value": [note]})

    def _subscription_shape(self, req: Request, route: str, sub: dict[str, Any]) -> dict[str, Any]:
        out = {"@odata.context": f"{self._base(req, route)}/$metadata#subscriptions/$entity"}
        out["@odata.etag"] = etag({"id": sub["subscriptionId"], "_version": sub.get("_version", 1)})
        out.update({k: v for k, v in sub.items() if not k.startswith("_")})
        return out

    def _check_resource(self, route: str, resource: str) -> None:
        target = subscriptions.parse_resource(resource)
        if target is None or target[0] != f"/api/{route}":
            raise BcError(
                400,
                "BadRequest",
                f"The resource '{resource}' is not a company's collection on this API route.",
            )
        self._company(target[1])
        es = target[2]
        if es not in SETS_DEF or SETS_DEF[es].api != route:
            raise BcError(400, "BadRequest", f"Resource not found for the segment '{es}'.")

    def list_subscriptions(self, req: Request, route: str = "v2.0") -> Response:
        req.object_label = "subscriptions"
        rows = [
            self._subscription_shape(req, route, s)
            for s in self.store.all(self.name, "subscriptions")
            if subscriptions.parse_resource(s["resource"])
            and subscriptions.parse_resource(s["resource"])[0] == f"/api/{route}"
        ]
        for row in rows:
            row.pop("@odata.context", None)
        return json_response(
            200, {"@odata.context": f"{self._base(req, route)}/$metadata#subscriptions", "value": rows}
        )

    def create_subscription(self, req: Request, route: str = "v2.0") -> Response:
        """Created only after the notification URL echoes the validation token (201), as documented."""
        req.object_label = "subscriptions"
        try:
            body = self._body(req)
            subscriptions.check_body(body, creating=True)
            self._check_resource(route, body["resource"])
            subscriptions.handshake(body["notificationUrl"])
        except subscriptions.SubscriptionError as exc:
            return self.error(exc.status, exc.code, exc.message)
        except BcError as exc:
            return self._fail(exc)
        sub = subscriptions.new_subscription(body)
        self.store.put(self.name, "subscriptions", sub["subscriptionId"], sub)
        return json_response(201, self._subscription_shape(req, route, sub))

    def _subscription(self, sid: str) -> dict[str, Any]:
        sub = self.store.get(self.name, "subscriptions", sid.lower())
        if sub is None:
            raise BcError(
                404,
                "Internal_RecordNotFound",
                f"The subscription does not exist. Identification fields and values: subscriptionId='{sid}'",
            )
        return sub

    def read_subscription(self, req: Request, sid: str, route: str = "v2.0") -> Response:
        req.object_label = "subscriptions"
        try:
            sub = self._subscription(sid)
        except BcError as exc:
            return self._fail(exc)
        return json_response(200, self._subscription_shape(req, route, sub))

    def patch_subscription(self, req: Request, sid: str, route: str = "v2.0") -> Response:
        """Renewal: another handshake, then three more days."""
        req.object_label = "subscriptions"
        try:
            sub = self._subscription(sid)
            self._check_etag(req, {"id": sub["subscriptionId"], "_version": sub.get("_version", 1)})
            body = self._body(req)
            subscriptions.check_body(body, creating=False)
            if body.get("resource"):
                self._check_resource(route, body["resource"])
            subscriptions.handshake(body.get("notificationUrl") or sub["notificationUrl"])
        except subscriptions.SubscriptionError as exc:
            return self.error(exc.status, exc.code, exc.message)
        except BcError as exc:
            return self._fail(exc)
        sub = subscriptions.renew(sub, body)
        self.store.put(self.name, "subscriptions", sub["subscriptionId"], sub)
        return json_response(200, self._subscription_shape(req, route, sub))

    def delete_subscription(self, req: Request, sid: str, route: str = "v2.0") -> Response:
        req.object_label = "subscriptions"
        try:
            sub = self._subscription(sid)
            self._check_etag(req, {"id": sub["subscriptionId"], "_version": sub.get("_version", 1)})
        except BcError as exc:
            return self._fail(exc)
        self.store.delete(self.name, "subscriptions", sub["subscriptionId"])
        return empty_response(204)
