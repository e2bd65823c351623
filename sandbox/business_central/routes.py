"""Dynamics 365 Business Central API v2.0 (OData v4): companies and their customers, projects, sales
invoices (+ lines) and customer payments, with ETags, If-Match and server-driven paging."""

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
from . import odata
from .schema import SETS_DEF, invoice_totals, line_amounts

API = r"(?:/v2\.0/[^/]+/[^/]+)?/api/v2\.0"
GUID = r"[0-9a-fA-F-]{36}"
COMPANY = rf"/companies\((?P<cid>'?{GUID}'?)\)"
SETS = r"(?P<es>customers|projects|salesInvoices|salesInvoiceLines|customerPayments)"
ENTITY = rf"\((?P<eid>'?{GUID}'?)\)"


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
        add("GET", API + COMPANY + rf"/salesInvoices\((?P<iid>'?{GUID}'?)\)/salesInvoiceLines/?", self.lines)
        add(
            "POST",
            API + COMPANY + rf"/salesInvoices\((?P<iid>'?{GUID}'?)\)/salesInvoiceLines/?",
            self.add_line,
        )
        add(
            "POST",
            API + COMPANY + rf"/salesInvoices\((?P<iid>'?{GUID}'?)\)/Microsoft\.NAV\.post/?",
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

    def _base(self, req: Request) -> str:
        return f"{req.base_url}{req.root}/api/v2.0"

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

    def companies(self, req: Request) -> Response:
        req.object_label = "companies"
        rows = [public(c) for c in self.store.all(self.name, "companies")]
        return json_response(200, {"@odata.context": f"{self._base(req)}/$metadata#companies", "value": rows})

    def company(self, req: Request, cid: str) -> Response:
        req.object_label = "companies"
        try:
            company = self._company(cid)
        except BcError as exc:
            return self._fail(exc)
        return json_response(
            200, {"@odata.context": f"{self._base(req)}/$metadata#companies/$entity", **public(company)}
        )

    # -- collections ------------------------------------------------------------------------------
    def _records(self, cid: str, es: str) -> list[dict[str, Any]]:
        return [r for r in self.store.all(self.name, es) if r.get("_companyId") == cid]

    def index(self, req: Request, cid: str, es: str, *, parent: dict[str, Any] | None = None) -> Response:
        req.object_label = es
        try:
            company = self._company(cid)
            records = self._records(company["id"], es)
            if parent is not None:
                records = [r for r in records if r.get("documentId") == parent["id"]]
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
        body: dict[str, Any] = {"@odata.context": f"{self._base(req)}/$metadata#{context_path}"}
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
        if es == "salesInvoices" and "salesInvoiceLines" in (req.arg("$expand") or ""):
            lines = [
                r
                for r in self._records(record["_companyId"], "salesInvoiceLines")
                if r.get("documentId") == record["id"]
            ]
            out["salesInvoiceLines"] = [
                public(r) for r in sorted(lines, key=lambda r: r.get("sequence") or 0)
            ]
        return out

    def _find(self, cid: str, es: str, eid: str) -> dict[str, Any]:
        company = self._company(cid)
        record = self.store.get(self.name, es, eid.strip("'").lower())
        if record is None or record.get("_companyId") != company["id"]:
            raise BcError(
                404,
                "Internal_RecordNotFound",
                f"The {SETS_DEF[es].entity} does not exist. Identification fields and values: Id='{eid}'",
            )
        return record

    def read(self, req: Request, cid: str, es: str, eid: str) -> Response:
        req.object_label = es
        try:
            record = self._find(cid, es, eid)
        except BcError as exc:
            return self._fail(exc)
        body = {
            "@odata.context": f"{self._base(req)}/$metadata#companies({record['_companyId']})/{es}/$entity"
        }
        body.update(self._shape(req, es, record))
        return json_response(200, body, {"ETag": etag(record)})

    def lines(self, req: Request, cid: str, iid: str) -> Response:
        try:
            invoice = self._find(cid, "salesInvoices", iid)
        except BcError as exc:
            return self._fail(exc)
        return self.index(req, cid, "salesInvoiceLines", parent=invoice)

    # -- writes -----------------------------------------------------------------------------------
    def create(self, req: Request, cid: str, es: str, *, parent: dict[str, Any] | None = None) -> Response:
        req.object_label = es
        try:
            company = self._company(cid)
            body = self._body(req)
            if parent is not None:
                body.setdefault("documentId", parent["id"])
            record = self._prepare(company["id"], es, None, body)
        except BcError as exc:
            return self._fail(exc)
        self._commit(company["id"], es, record, "created")
        location = f"{self._base(req)}/companies({company['id']})/{es}({record['id']})"
        body_out = {"@odata.context": f"{self._base(req)}/$metadata#companies({company['id']})/{es}/$entity"}
        body_out.update(public(record))
        return json_response(201, body_out, {"ETag": etag(record), "Location": location})

    def add_line(self, req: Request, cid: str, iid: str) -> Response:
        try:
            invoice = self._find(cid, "salesInvoices", iid)
        except BcError as exc:
            return self._fail(exc)
        return self.create(req, cid, "salesInvoiceLines", parent=invoice)

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

    def patch(self, req: Request, cid: str, es: str, eid: str) -> Response:
        req.object_label = es
        try:
            record = self._find(cid, es, eid)
            self._check_etag(req, record)
            updated = self._prepare(record["_companyId"], es, record, self._body(req))
        except BcError as exc:
            return self._fail(exc)
        self._commit(record["_companyId"], es, updated, "updated")
        body = {
            "@odata.context": f"{self._base(req)}/$metadata#companies({record['_companyId']})/{es}/$entity"
        }
        body.update(public(updated))
        return json_response(200, body, {"ETag": etag(updated)})

    def delete(self, req: Request, cid: str, es: str, eid: str) -> Response:
        req.object_label = es
        try:
            record = self._find(cid, es, eid)
            self._check_etag(req, record)
        except BcError as exc:
            return self._fail(exc)
        self.store.delete(self.name, es, record["id"])
        if es == "salesInvoiceLines":
            self._recompute_invoice(record["_companyId"], record["documentId"])
        self.emit(es, "deleted", public(record))
        return empty_response(204)

    def post(self, req: Request, cid: str, iid: str) -> Response:
        """Bound action Microsoft.NAV.post: a draft invoice becomes Open (posted)."""
        req.object_label = "salesInvoices"
        try:
            invoice = self._find(cid, "salesInvoices", iid)
        except BcError as exc:
            return self._fail(exc)
        if invoice.get("status") != "Draft":
            return self.error(400, "Application_DialogException", "The invoice has already been posted.")
        invoice["status"] = "Open"
        invoice["number"] = invoice["number"].replace("S-INV-D", "S-INV")
        self._commit(invoice["_companyId"], "salesInvoices", self._touch(invoice), "updated")
        return empty_response(204)

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
            if key in spec.readonly:
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
                    f"{spec.number_prefix}{seq:05d}" if es != "salesInvoices" else f"S-INV-D{seq}"
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

    def _derive(self, cid: str, es: str, record: dict[str, Any], existing: dict[str, Any] | None) -> None:
        if es in ("salesInvoices", "customerPayments"):
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
            if es == "salesInvoices":
                record["customerName"] = cust["displayName"]
                record.setdefault("billToName", cust["displayName"])
                today = utcnow().date().isoformat()
                record.setdefault("invoiceDate", today)
                record.setdefault("postingDate", record["invoiceDate"])
                record.setdefault("dueDate", record["invoiceDate"])
                if existing is None:
                    record.update(
                        totalAmountExcludingTax=0,
                        totalTaxAmount=0,
                        totalAmountIncludingTax=0,
                        remainingAmount=0,
                    )
            else:
                record.setdefault("postingDate", utcnow().date().isoformat())
                if existing is None:
                    record["lineNumber"] = self.store.next_value(f"dynamics:payline:{cid}", 1) * 10000
                    record.setdefault("journalId", "00000000-0000-0000-0000-0000000000aa")
                if record.get("appliedToInvoiceId"):
                    inv = self.store.peek(self.name, "salesInvoices", record["appliedToInvoiceId"])
                    if inv is None:
                        raise BcError(
                            400, "Internal_RecordNotFound", "The invoice to apply to does not exist."
                        )
                    record["appliedToInvoiceNumber"] = inv["number"]
        if es == "salesInvoiceLines":
            invoice = self.store.peek(self.name, "salesInvoices", record["documentId"])
            if invoice is None or invoice.get("_companyId") != cid:
                raise BcError(
                    400, "Internal_RecordNotFound", "The sales invoice (documentId) does not exist."
                )
            if existing is None and record.get("sequence") is None:
                count = sum(1 for r in self._records(cid, es) if r.get("documentId") == record["documentId"])
                record["sequence"] = (count + 1) * 10000
            line_amounts(record)

    def _commit(self, cid: str, es: str, record: dict[str, Any], event: str) -> None:
        self.store.put(self.name, es, record["id"], record)
        self.emit(es, event, public(record))
        if es == "salesInvoiceLines":
            self._recompute_invoice(cid, record["documentId"])
        if es == "customerPayments" and record.get("appliedToInvoiceId"):
            self._recompute_invoice(cid, record["appliedToInvoiceId"])

    def _recompute_invoice(self, cid: str, invoice_id: str) -> None:
        invoice = self.store.get(self.name, "salesInvoices", invoice_id)
        if invoice is None:
            return
        lines = [r for r in self._records(cid, "salesInvoiceLines") if r.get("documentId") == invoice_id]
        paid = sum(
            float(p.get("amount") or 0)
            for p in self._records(cid, "customerPayments")
            if p.get("appliedToInvoiceId") == invoice_id
        )
        invoice_totals(invoice, lines, paid)
        self.store.put(self.name, "salesInvoices", invoice_id, self._touch(invoice))
        self.emit("salesInvoices", "updated", public(invoice))
