"""NetSuite REST web services: the record API (``/services/rest/record/v1/<type>``) and SuiteQL
(``POST /services/rest/query/v1/suiteql``), with NetSuite's error shape and content types.

Pages of the NetSuite Help Center this follows (each contract fixture in connectors/erp/netsuite/contracts
names its own): Creating a Record Instance (204 + Location), Using the Upsert Operation (PUT eid:), Record
Collection Filtering (``q``), Collection Paging (limit/offset, links, hasMore, totalResults), Format of
Sublists and Subrecords (expandSubResources), Error Handling in REST Web Services, Executing SuiteQL Queries
Through REST Web Services (``Prefer: transient``).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from . import suiteql
from .filters import record_filter
from .records import RECORD, NsError, Records, check_external_id
from .schema import TYPES_DEF
from .tables import suiteql_tables

TYPE = r"(?P<rtype>[A-Za-z]+)"  # record type names are matched without regard to case
KEY = r"(?P<key>\d+|eid:[^/]+)"
SUBLIST = r"(?P<sublist>[A-Za-z]+)"
MAX_LIMIT = 1000
SINGULAR = {"Content-Type": "application/vnd.oracle.resource+json; type=singular"}
COLLECTION = {"Content-Type": "application/vnd.oracle.resource+json; type=collection"}
ERROR = {"Content-Type": "application/vnd.oracle.resource+json; type=error"}

# The "type" of an error body, as the error examples in Error Handling in REST Web Services show it.
_RFC2616 = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
_SECTION = {400: "10.4.1", 403: "10.4.4", 404: "10.4.5", 405: "10.4.6", 409: "10.4.10", 415: "10.4.16"}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _error_type(status: int) -> str:
    if status == 401:
        return _RFC2616  # the documented INVALID_LOGIN example has no anchor
    if status == 429:
        return "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"
    section = _SECTION.get(status) or ("10.5.1" if status >= 500 else "10.4.1")
    return f"{_RFC2616}#sec{section}"


class NetSuite(System):
    name = "netsuite"
    title = "NetSuite"
    browse_objects = tuple(TYPES_DEF)

    def routes(self) -> None:
        add = self.router.add
        record = f"{RECORD}/{TYPE}"
        add("GET", f"{record}/?", self.index)
        add("POST", f"{record}/?", self.create)
        add("GET", f"{record}/{KEY}/?", self.read)
        add("PATCH", f"{record}/{KEY}/?", self.patch)
        add("PUT", f"{record}/{KEY}/?", self.put)
        add("DELETE", f"{record}/{KEY}/?", self.delete)
        add("GET", f"{record}/{KEY}/{SUBLIST}/?", self.read_sublist)
        add("POST", "/services/rest/query/v1/suiteql", self.suiteql)

    # -- shapes -----------------------------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        codes = {401: "INVALID_LOGIN", 404: "NONEXISTENT_ID", 405: "METHOD_NOT_ALLOWED"}
        if code in (
            "",
            "NOT_FOUND",
            "UNAUTHORIZED",
            "SERVER_ERROR",
            "JSON_PARSER_ERROR",
            "METHOD_NOT_ALLOWED",
        ):
            code = codes.get(status, "UNEXPECTED_ERROR" if status >= 500 else "INVALID_CONTENT")
        detail: dict[str, Any] = {"detail": message, "o:errorCode": code}
        if extra.get("path"):
            detail["o:errorPath"] = extra["path"]
        body = {
            "type": _error_type(status),
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "o:errorDetails": [detail],
        }
        return json_response(status, body, dict(ERROR))

    def _fail(self, exc: NsError) -> Response:
        return self.error(exc.status, exc.code, exc.detail, path=exc.path)

    def unauthorized(self) -> Response:
        return self.error(
            401,
            "INVALID_LOGIN",
            "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
            "Setup > Users/Roles > User Management > View Login Audit Trail.",
        )

    def concurrency_limit(self) -> int:
        return self.sandbox.config.netsuite_concurrency  # per account; POST /_admin/config may change it

    def time_zone(self) -> ZoneInfo:
        """The account's time zone (the integration user's preference on a real account)."""
        try:
            return ZoneInfo(self.sandbox.config.netsuite_time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(
            record.get("tranId") or record.get("companyName") or record.get("name") or record.get("id")
        )

    def records(self, req: Request) -> Records:
        return Records(self.store, lambda rtype, rid: f"{req.base_url}{req.root}{RECORD}/{rtype}/{rid}")

    @staticmethod
    def _type(req: Request, rtype: str) -> str:
        name = rtype.lower()
        if name not in TYPES_DEF:
            raise NsError(404, "NONEXISTENT_ID", f"Record type '{rtype}' does not exist.")
        req.object_label = name
        return name

    @staticmethod
    def _replace(req: Request) -> frozenset[str]:
        return frozenset(s.strip() for s in (req.arg("replace") or "").split(",") if s.strip())

    @staticmethod
    def _body(req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as exc:
            raise NsError(400, "INVALID_CONTENT", f"Invalid content in the request body: {exc}") from None
        if not isinstance(body, dict):
            raise NsError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        return body

    # -- record API -------------------------------------------------------------------------------------
    def index(self, req: Request, rtype: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            limit = int(req.arg("limit") or MAX_LIMIT)
            offset = int(req.arg("offset") or 0)
            if not 1 <= limit <= MAX_LIMIT or offset < 0:
                raise ValueError
            records = self.store.all(self.name, rtype)
            query = req.arg("q")
            if query:
                keep = record_filter(query, TYPES_DEF[rtype])
                records = [r for r in records if keep(r)]
        except ValueError:
            return self.error(400, "INVALID_PARAMETER", f"limit must be between 1 and {MAX_LIMIT}")
        except NsError as exc:
            return self._fail(exc)
        records = sorted(records, key=lambda r: int(r["id"]))
        page = records[offset : offset + limit]
        has_more = offset + limit < len(records)
        base = f"{req.base_url}{req.root}{RECORD}/{rtype}"
        params = f"&q={query}" if query else ""
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}{params}"}]
        if has_more:
            last = ((len(records) - 1) // limit) * limit
            links.insert(0, {"rel": "last", "href": f"{base}?limit={limit}&offset={last}{params}"})
            links.insert(0, {"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}{params}"})
        body = {
            "links": links,
            "count": len(page),
            "hasMore": has_more,
            "items": [{"links": [{"rel": "self", "href": f"{base}/{r['id']}"}], "id": r["id"]} for r in page],
            "offset": offset,
            "totalResults": len(records),
        }
        return json_response(200, body, dict(COLLECTION))

    def read(self, req: Request, rtype: str, key: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            book = self.records(req)
            record = book.find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        expand = (req.arg("expandSubResources") or "").lower() == "true"
        body = book.present(rtype, record, expand=expand)
        wanted = req.arg("fields")
        if wanted:
            keep = {"links", "id"} | {f.strip() for f in wanted.split(",")}
            body = {k: v for k, v in body.items() if k in keep}
        return json_response(200, body, dict(SINGULAR))

    def read_sublist(self, req: Request, rtype: str, key: str, sublist: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            if sublist not in TYPES_DEF[rtype].sublists:
                raise NsError(404, "NONEXISTENT_ID", f"Sublist {sublist} does not exist on {rtype}")
            book = self.records(req)
            record = book.find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        return json_response(200, book.sublist(rtype, record, sublist, expand=True), dict(COLLECTION))

    def create(self, req: Request, rtype: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            body = self._body(req)
            book = self.records(req)
            if body.get("externalId") and book.by_eid(rtype, str(body["externalId"])):
                raise NsError(
                    400, "USER_ERROR", "A record with the same external ID already exists.", "externalId"
                )
            record = book.prepare(rtype, None, body)
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, book, rtype, record, None)
        return empty_response(204, {"Location": book.url(rtype, record["id"])})

    def patch(self, req: Request, rtype: str, key: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            book = self.records(req)
            existing = book.find(rtype, key)
            record = book.prepare(rtype, existing, self._body(req), self._replace(req))
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, book, rtype, record, existing)
        return empty_response(204, {"Location": book.url(rtype, record["id"])})

    def put(self, req: Request, rtype: str, key: str) -> Response:
        """Upsert by external id (``PUT .../customer/eid:ABC``): creates or updates; 204 + Location."""
        try:
            rtype = self._type(req, rtype)
            if not key.startswith("eid:"):
                raise NsError(
                    405, "METHOD_NOT_ALLOWED", "PUT is only supported with an external ID (eid:...)"
                )
            ext = key[4:]
            check_external_id(ext, "eid")
            body = self._body(req)
            if body.get("externalId") not in (None, ext):
                raise NsError(400, "USER_ERROR", "externalId in the body must match the URL", "externalId")
            book = self.records(req)
            found = book.by_eid(rtype, ext)
            existing = self.store.get(self.name, rtype, found["id"]) if found else None
            record = book.prepare(rtype, existing, {**body, "externalId": ext}, self._replace(req))
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, book, rtype, record, existing)
        return empty_response(204, {"Location": book.url(rtype, record["id"])})

    def delete(self, req: Request, rtype: str, key: str) -> Response:
        try:
            rtype = self._type(req, rtype)
            book = self.records(req)
            record = book.find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        self.store.delete(self.name, rtype, record["id"])
        self.emit(rtype, "deleted", book.present(rtype, record, expand=True))
        self._settle(book, book.applied_invoices(record))
        return empty_response(204)

    def _commit(
        self, req: Request, book: Records, rtype: str, record: dict[str, Any], before: dict[str, Any] | None
    ) -> None:
        self.store.put(self.name, rtype, record["id"], record)
        self.emit(rtype, "updated" if before else "created", book.present(rtype, record, expand=True))
        self._settle(book, book.applied_invoices(before, record))

    def _settle(self, book: Records, invoice_ids: set[str]) -> None:
        """Applications changed: every invoice they name pays down (or back up) and is announced."""
        for invoice in book.refresh_invoices(invoice_ids):
            self.emit("invoice", "updated", book.present("invoice", invoice, expand=True))

    # -- SuiteQL ----------------------------------------------------------------------------------------
    def suiteql(self, req: Request) -> Response:
        req.object_label = "suiteql"
        if "transient" not in req.header("prefer").lower():
            return self.error(
                400, "INVALID_HEADER", "The request must include the header 'Prefer: transient'."
            )
        try:
            limit = int(req.arg("limit") or MAX_LIMIT)
            offset = int(req.arg("offset") or 0)
            body = self._body(req)
        except ValueError:
            return self.error(400, "INVALID_PARAMETER", "limit and offset must be integers")
        except NsError as exc:
            return self._fail(exc)
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return self.error(400, "INVALID_PARAMETER", f"limit must be between 1 and {MAX_LIMIT}")
        if offset % limit:
            return self.error(400, "INVALID_PARAMETER", "The offset parameter must be a multiple of limit.")
        text = body.get("q")
        if not isinstance(text, str) or not text.strip():
            return self.error(400, "INVALID_CONTENT", "The request body must hold a query in 'q'.")
        try:
            rows = suiteql.execute(text, suiteql_tables(self.store), self.time_zone())
        except suiteql.SuiteQLError as exc:
            return self.error(400, "INVALID_PARAMETER", str(exc))
        page = rows[offset : offset + limit]
        has_more = offset + limit < len(rows)
        base = f"{req.base_url}{req.root}/services/rest/query/v1/suiteql"
        links = []
        if offset > 0:
            links.append({"rel": "previous", "href": f"{base}?limit={limit}&offset={max(0, offset - limit)}"})
            links.append({"rel": "first", "href": f"{base}?limit={limit}&offset=0"})
        if has_more:
            last = ((len(rows) - 1) // limit) * limit
            links.append({"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}"})
            links.append({"rel": "last", "href": f"{base}?limit={limit}&offset={last}"})
        links.append({"rel": "self", "href": f"{base}?limit={limit}&offset={offset}"})
        body = {
            "links": links,
            "count": len(page),
            "hasMore": has_more,
            "items": [{"links": [], **row} for row in page],
            "offset": offset,
            "totalResults": len(rows),
        }
        return json_response(200, body, dict(COLLECTION))
