"""NetSuite REST web services: record API (customer, job, invoice, customerpayment) and SuiteQL."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from ..platform.timeutil import iso_z, parse_iso, utcnow
from . import suiteql
from .schema import ID_START, INVOICE_STATUS, LISTS, TRAN_PREFIX, TYPES_DEF, RecordType, recompute_invoice

RECORD = "/services/rest/record/v1"
TYPES = r"(?P<rtype>customer|job|invoice|customerpayment)"
KEY = r"(?P<key>\d+|eid:[^/]+)"
MAX_LIMIT = 1000

_HTTP_SECTION = {
    400: "15.5.1",
    401: "15.5.2",
    403: "15.5.4",
    404: "15.5.5",
    405: "15.5.6",
    409: "15.5.10",
    412: "15.5.13",
    415: "15.5.16",
    500: "15.6.1",
    503: "15.6.4",
}
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class NsError(Exception):
    def __init__(self, status: int, code: str, detail: str, path: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.path = status, code, detail, path


class NetSuite(System):
    name = "netsuite"
    title = "NetSuite"
    browse_objects = tuple(TYPES_DEF)

    def routes(self) -> None:
        add = self.router.add
        add("GET", f"{RECORD}/{TYPES}/?", self.index)
        add("POST", f"{RECORD}/{TYPES}/?", self.create)
        add("GET", f"{RECORD}/{TYPES}/{KEY}/?", self.read)
        add("PATCH", f"{RECORD}/{TYPES}/{KEY}/?", self.patch)
        add("PUT", f"{RECORD}/{TYPES}/{KEY}/?", self.put)
        add("DELETE", f"{RECORD}/{TYPES}/{KEY}/?", self.delete)
        add("GET", f"{RECORD}/{TYPES}/{KEY}/(?P<sublist>item|apply)/?", self.read_sublist)
        add("POST", "/services/rest/query/v1/suiteql", self.suiteql)

    # -- shapes -----------------------------------------------------------------------------------
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
        kind = (
            "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"
            if status == 429
            else f"https://www.rfc-editor.org/rfc/rfc9110.html#section-{_HTTP_SECTION.get(status, '15.5.1')}"
        )
        detail: dict[str, Any] = {"detail": message, "o:errorCode": code}
        if extra.get("path"):
            detail["o:errorPath"] = extra["path"]
        body = {
            "type": kind,
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "o:errorDetails": [detail],
        }
        return json_response(
            status, body, {"Content-Type": "application/vnd.oracle.resource+json; type=error"}
        )

    def _fail(self, exc: NsError) -> Response:
        return self.error(exc.status, exc.code, exc.detail, path=exc.path)

    def unauthorized(self) -> Response:
        return self.error(
            401, "INVALID_LOGIN", "Invalid login attempt. For more details, see the Login Audit Trail"
        )

    def concurrency_limit(self) -> int:
        return self.sandbox.config.netsuite_concurrency  # per account; POST /_admin/config may change it

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(record.get("tranId") or record.get("companyName") or record.get("id"))

    def _url(self, req: Request, rtype: str, rid: str) -> str:
        return f"{req.base_url}{req.root}{RECORD}/{rtype}/{rid}"

    # -- record API -------------------------------------------------------------------------------
    def _find(self, rtype: str, key: str) -> dict[str, Any]:
        if key.startswith("eid:"):
            ext = key[4:]
            found = next((r for r in self.store.all(self.name, rtype) if r.get("externalId") == ext), None)
            record = self.store.get(self.name, rtype, found["id"]) if found else None
        else:
            record = self.store.get(self.name, rtype, key)
        if record is None:
            raise NsError(
                404,
                "NONEXISTENT_ID",
                "The record instance does not exist. Provide a valid record instance ID.",
                None,
            )
        return record

    def index(self, req: Request, rtype: str) -> Response:
        req.object_label = rtype
        try:
            limit = int(req.arg("limit") or MAX_LIMIT)
            offset = int(req.arg("offset") or 0)
        except ValueError:
            return self.error(400, "INVALID_PARAMETER", "limit and offset must be integers")
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return self.error(400, "INVALID_PARAMETER", f"limit must be between 1 and {MAX_LIMIT}")
        records = self.store.all(self.name, rtype)
        query = req.arg("q")
        if query:
            try:
                records = [r for r in records if _record_filter(query, TYPES_DEF[rtype])(r)]
            except NsError as exc:
                return self._fail(exc)
        records = sorted(records, key=lambda r: int(r["id"]))
        page = records[offset : offset + limit]
        has_more = offset + limit < len(records)
        base = f"{req.base_url}{req.root}{RECORD}/{rtype}"
        params = f"&q={req.arg('q')}" if query else ""
        links = [{"rel": "self", "href": f"{base}?limit={limit}&offset={offset}{params}"}]
        if has_more:
            links.insert(0, {"rel": "next", "href": f"{base}?limit={limit}&offset={offset + limit}{params}"})
        body = {
            "links": links,
            "count": len(page),
            "hasMore": has_more,
            "items": [{"links": [{"rel": "self", "href": f"{base}/{r['id']}"}], "id": r["id"]} for r in page],
            "offset": offset,
            "totalResults": len(records),
        }
        return json_response(200, body)

    def read(self, req: Request, rtype: str, key: str) -> Response:
        req.object_label = rtype
        try:
            record = self._find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        expand = (req.arg("expandSubResources") or "").lower() == "true"
        body = self.present(req, rtype, record, expand=expand)
        wanted = req.arg("fields")
        if wanted:
            keep = {"links", "id"} | {f.strip() for f in wanted.split(",")}
            body = {k: v for k, v in body.items() if k in keep}
        return json_response(200, body)

    def read_sublist(self, req: Request, rtype: str, key: str, sublist: str) -> Response:
        req.object_label = rtype
        spec = TYPES_DEF[rtype]
        if sublist not in spec.sublists:
            return self.error(404, "NONEXISTENT_ID", f"Sublist {sublist} does not exist on {rtype}")
        try:
            record = self._find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        return json_response(200, self._sublist(req, rtype, record, sublist, expand=True))

    def present(
        self, req: Request, rtype: str, record: dict[str, Any], *, expand: bool = False
    ) -> dict[str, Any]:
        spec = TYPES_DEF[rtype]
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self._url(req, rtype, record["id"])}]}
        for name, ftype in spec.fields.items():
            value = record.get(name)
            if ftype.startswith("sublist:"):
                out[name] = self._sublist(req, rtype, record, name, expand=expand)
            elif value is None:
                continue  # NetSuite omits empty fields
            elif ftype.startswith("ref:"):
                out[name] = self._ref(req, ftype[4:], value)
            elif ftype == "status":
                out[name] = {"id": value, "refName": INVOICE_STATUS.get(value, value)}
            else:
                out[name] = value
        out["id"] = record["id"]
        for key, value in record.items():
            if key.startswith(("custentity", "custbody")):
                out[key] = value
        return out

    def _ref(self, req: Request, target: str, rid: str) -> dict[str, Any]:
        if target in LISTS:
            return {"id": rid, "refName": LISTS[target].get(rid, rid)}
        found = self.store.peek(self.name, target, rid)
        name = (found or {}).get(TYPES_DEF[target].name_field) or rid
        if target == "job" and found:
            name = found.get("entityId") or name
        return {"links": [{"rel": "self", "href": self._url(req, target, rid)}], "id": rid, "refName": name}

    def _sublist(self, req: Request, rtype: str, record: dict[str, Any], name: str, *, expand: bool) -> dict:
        href = f"{self._url(req, rtype, record['id'])}/{name}"
        if not expand:
            return {"links": [{"rel": "self", "href": href}]}
        lines = []
        for n, line in enumerate(record.get(name) or [], start=1):
            shaped: dict[str, Any] = {"links": [], "line": n}
            for key, ftype in TYPES_DEF[rtype].sublists[name].items():
                if line.get(key) is None:
                    continue
                shaped[key] = self._ref(req, ftype[4:], line[key]) if ftype.startswith("ref:") else line[key]
            lines.append(shaped)
        return {
            "links": [{"rel": "self", "href": href}],
            "items": lines,
            "totalResults": len(lines),
            "count": len(lines),
            "hasMore": False,
            "offset": 0,
        }

    def create(self, req: Request, rtype: str) -> Response:
        req.object_label = rtype
        try:
            body = self._body(req)
            if body.get("externalId") and self._by_eid(rtype, str(body["externalId"])):
                raise NsError(
                    400, "USER_ERROR", "A record with the same external ID already exists.", "externalId"
                )
            record = self._prepare(rtype, None, body)
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, rtype, record, "created")
        return empty_response(204, {"Location": self._url(req, rtype, record["id"])})

    def patch(self, req: Request, rtype: str, key: str) -> Response:
        req.object_label = rtype
        try:
            existing = self._find(rtype, key)
            record = self._prepare(rtype, existing, self._body(req))
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, rtype, record, "updated")
        return empty_response(204)

    def put(self, req: Request, rtype: str, key: str) -> Response:
        """Upsert by external id (PUT .../customer/eid:ABC): creates or updates, 204 + Location either way."""
        req.object_label = rtype
        if not key.startswith("eid:"):
            return self.error(
                405, "METHOD_NOT_ALLOWED", "PUT is only supported with an external ID (eid:...)"
            )
        ext = key[4:]
        try:
            body = self._body(req)
            if body.get("externalId") not in (None, ext):
                raise NsError(400, "USER_ERROR", "externalId in the body must match the URL", "externalId")
            found = self._by_eid(rtype, ext)
            existing = self.store.get(self.name, rtype, found["id"]) if found else None
            record = self._prepare(rtype, existing, {**body, "externalId": ext})
        except NsError as exc:
            return self._fail(exc)
        self._commit(req, rtype, record, "updated" if existing else "created")
        return empty_response(204, {"Location": self._url(req, rtype, record["id"])})

    def delete(self, req: Request, rtype: str, key: str) -> Response:
        req.object_label = rtype
        try:
            record = self._find(rtype, key)
        except NsError as exc:
            return self._fail(exc)
        self.store.delete(self.name, rtype, record["id"])
        self.emit(rtype, "deleted", self.present(req, rtype, record, expand=True))
        return empty_response(204)

    def _by_eid(self, rtype: str, ext: str) -> dict[str, Any] | None:
        return next((r for r in self.store.all(self.name, rtype) if r.get("externalId") == ext), None)

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as exc:
            raise NsError(400, "INVALID_CONTENT", f"Invalid content in the request body: {exc}") from None
        if not isinstance(body, dict):
            raise NsError(400, "INVALID_CONTENT", "The request body must be a JSON object.")
        return body

    def _prepare(self, rtype: str, existing: dict[str, Any] | None, body: dict[str, Any]) -> dict[str, Any]:
        spec = TYPES_DEF[rtype]
        record = dict(existing) if existing else dict(spec.defaults)
        for key, value in body.items():
            if key in ("links", "id") and existing is not None:
                continue
            if key.startswith(("custentity", "custbody")):
                record[key] = value
                continue
            ftype = spec.fields.get(key)
            if ftype is None:
                raise NsError(
                    400, "INVALID_CONTENT", f"Invalid field name '{key}' on record type {rtype}.", key
                )
            if key in spec.readonly:
                raise NsError(400, "USER_ERROR", f"The field {key} is read-only and cannot be set.", key)
            if ftype.startswith("sublist:"):
                record[key] = self._lines(rtype, key, value)
            else:
                record[key] = self._coerce(key, ftype, value)
        missing = [f for f in spec.required if record.get(f) in (None, "", [])]
        if missing:
            raise NsError(400, "USER_ERROR", f"Please enter value(s) for: {', '.join(missing)}", missing[0])
        now = iso_z(utcnow())
        if existing is None:
            record["id"] = str(self.store.next_value(f"netsuite:{spec.id_space}", ID_START[spec.id_space]))
            record["dateCreated" if spec.id_space == "entity" else "createdDate"] = now
            if rtype in TRAN_PREFIX and not record.get("tranId"):
                record["tranId"] = (
                    f"{TRAN_PREFIX[rtype]}{self.store.next_value('netsuite:tranid:' + rtype, 10001)}"
                )
            if not record.get("tranDate") and spec.id_space == "transaction":
                record["tranDate"] = utcnow().date().isoformat()
            if spec.id_space == "entity" and not record.get("entityId"):
                record["entityId"] = record.get("companyName") or record["id"]
        record["lastModifiedDate"] = now
        if rtype == "invoice":
            recompute_invoice(record)
        if rtype == "customerpayment":
            record.setdefault("status", "deposited")
        return record

    def _coerce(self, key: str, ftype: str, value: Any) -> Any:
        if value is None:
            return None
        if ftype.startswith("ref:"):
            return self._resolve_ref(key, ftype[4:], value)
        bad = NsError(400, "INVALID_CONTENT", f"Invalid value for the field '{key}'.", key)
        if ftype == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if ftype == "number":
            if isinstance(value, bool):
                raise bad
            try:
                return float(value)
            except (TypeError, ValueError):
                raise bad from None
        if ftype == "date":
            if not isinstance(value, str) or parse_iso(value) is None:
                raise bad
            return value[:10]
        if isinstance(value, dict | list):
            raise bad
        return str(value)

    def _resolve_ref(self, key: str, target: str, value: Any) -> str:
        """References are objects: {"id": "12"} or {"externalId": "X"}, as in the real API."""
        if not isinstance(value, dict) or not (value.get("id") or value.get("externalId")):
            raise NsError(
                400,
                "INVALID_CONTENT",
                f"Invalid value for the resource or sub-resource field '{key}'. Provide a valid value.",
                key,
            )
        if target in LISTS:
            rid = str(value.get("id"))
            if rid not in LISTS[target]:
                raise NsError(400, "USER_ERROR", f"Invalid {key} reference key {rid}.", key)
            return rid
        if value.get("id"):
            rid = str(value["id"])
            if self.store.peek(self.name, target, rid) is None:
                raise NsError(400, "USER_ERROR", f"Invalid {key} reference key {rid}.", key)
            return rid
        found = self._by_eid(target, str(value["externalId"]))
        if not found:
            raise NsError(
                400, "USER_ERROR", f"Invalid {key} reference: external ID {value['externalId']}.", key
            )
        return found["id"]

    def _lines(self, rtype: str, name: str, value: Any) -> list[dict[str, Any]]:
        spec = TYPES_DEF[rtype].sublists[name]
        items = value.get("items") if isinstance(value, dict) else None
        if not isinstance(items, list):
            raise NsError(400, "INVALID_CONTENT", f"Sublist '{name}' must be {{\"items\": [...]}}.", name)
        lines = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise NsError(400, "INVALID_CONTENT", f"Invalid line {n + 1} in sublist {name}.", name)
            line = {}
            for key, val in item.items():
                ftype = spec.get(key)
                if ftype is None:
                    raise NsError(
                        400,
                        "INVALID_CONTENT",
                        f"Invalid field name '{key}' in sublist {name}.",
                        f"{name}.items[{n}].{key}",
                    )
                line[key] = self._coerce(key, ftype, val)
            lines.append(line)
        return lines

    def _commit(self, req: Request, rtype: str, record: dict[str, Any], event: str) -> None:
        self.store.put(self.name, rtype, record["id"], record)
        self.emit(rtype, event, self.present(req, rtype, record, expand=True))
        if rtype == "customerpayment":
            self._apply_payment(req, record)

    def _apply_payment(self, req: Request, payment: dict[str, Any]) -> None:
        """Applying a payment pays down the invoices it names, so status flows back to CRM/PSA."""
        for line in payment.get("apply") or []:
            if not line.get("doc") or line.get("apply") is False:
                continue
            invoice = self.store.get(self.name, "invoice", line["doc"])
            if invoice is None:
                continue
            invoice["amountPaid"] = round(
                float(invoice.get("amountPaid") or 0) + float(line.get("amount") or 0), 2
            )
            invoice["lastModifiedDate"] = iso_z(utcnow())
            recompute_invoice(invoice)
            self.store.put(self.name, "invoice", invoice["id"], invoice)
            self.emit("invoice", "updated", self.present(req, "invoice", invoice, expand=True))

    # -- SuiteQL ----------------------------------------------------------------------------------
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
            rows = suiteql.execute(text, self._tables())
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
        return json_response(
            200,
            {
                "links": links,
                "count": len(page),
                "hasMore": has_more,
                "items": [{"links": [], **row} for row in page],
                "offset": offset,
                "totalResults": len(rows),
            },
        )

    def _tables(self) -> dict[str, suiteql.Table]:
        return suiteql_tables(self.store)


_OPS = {
    "IS": "=",
    "IS_NOT": "!=",
    "EQUAL": "=",
    "EQUAL_NOT": "!=",
    "GREATER": ">",
    "GREATER_OR_EQUAL": ">=",
    "LESS": "<",
    "LESS_OR_EQUAL": "<=",
    "AFTER": ">",
    "BEFORE": "<",
    "ON": "=",
    "ON_OR_AFTER": ">=",
    "ON_OR_BEFORE": "<=",
    "START_WITH": "start",
    "START_WITH_NOT": "!start",
    "CONTAIN": "contain",
    "CONTAIN_NOT": "!contain",
    "END_WITH": "end",
    "EMPTY": "empty",
    "EMPTY_NOT": "!empty",
    "ANY_OF": "any",
}
_COND = re.compile(
    r'\s*([A-Za-z_][A-Za-z0-9_]*)\s+([A-Z_]+)\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s"]+)?\s*', re.S
)


def _record_filter(query: str, spec: RecordType) -> Any:
    """The record API's `q` filter: `field OP value` joined by AND/OR (AND binds tighter)."""
    pos, groups, current = 0, [], []
    while pos < len(query):
        m = _COND.match(query, pos)
        if not m or m[2] not in _OPS:
            raise NsError(400, "INVALID_PARAMETER", f"Invalid query: {query[pos : pos + 40]}")
        current.append((m[1], _OPS[m[2]], (m[3] or "").strip('"')))
        pos = m.end()
        join = re.match(r"(AND|OR)\s+", query[pos:])
        if join:
            pos += join.end()
            if join[1] == "OR":
                groups.append(current)
                current = []
        elif pos < len(query):
            raise NsError(400, "INVALID_PARAMETER", f"Invalid query near: {query[pos : pos + 40]}")
    groups.append(current)

    def check(record: dict[str, Any], name: str, op: str, raw: str) -> bool:
        ftype = spec.fields.get(name, "string")
        value = record.get(name)
        if op in ("empty", "!empty"):
            return (value in (None, "")) == (op == "empty")
        if value is None:
            return op.startswith("!")
        if op == "any":
            return str(value) in {v.strip().strip('"') for v in raw.strip("[]").split(",")}
        if ftype in ("date", "datetime"):
            left, right = _ns_date(str(value)), _ns_date(raw)
            if left is None or right is None:
                return False
            if ftype == "datetime" and op in ("=",):
                return left.date() == right.date()
        elif ftype == "number":
            try:
                left, right = float(value), float(raw)
            except ValueError:
                return False
        elif ftype == "bool":
            return (str(value).lower() == raw.lower()) == (op == "=")
        else:
            left, right = str(value).lower(), raw.lower()
        result = {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
            "start": str(left).startswith(str(right)),
            "!start": not str(left).startswith(str(right)),
            "contain": str(right) in str(left),
            "!contain": str(right) not in str(left),
            "end": str(left).endswith(str(right)),
        }
        return result[op]

    return lambda r: any(all(check(r, *cond) for cond in group) for group in groups)


def _ns_date(text: str) -> Any:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if m:
        return parse_iso(f"{m[3]}-{int(m[1]):02d}-{int(m[2]):02d}")
    return parse_iso(text)


def _as_date(value: Any) -> date | None:
    parsed = parse_iso(value) if isinstance(value, str) else None
    return parsed.date() if parsed else None


def suiteql_tables(store: Any) -> dict[str, suiteql.Table]:
    """SuiteQL's view of the records: lower-case columns; invoices and payments live in `transaction`."""

    def entity_rows(rtype: str) -> list[dict[str, Any]]:
        spec = TYPES_DEF[rtype]
        rows = []
        for r in store.all("netsuite", rtype):
            row: dict[str, Any] = {}
            for name, ftype in spec.fields.items():
                value = r.get(name)
                if value is None or ftype.startswith("sublist:"):
                    continue
                if ftype.startswith("ref:") or name == "id":
                    row[name.lower()] = int(value) if str(value).isdigit() else value
                elif ftype == "date":
                    row[name.lower()] = _as_date(value)
                elif ftype == "datetime":
                    row[name.lower()] = parse_iso(value)
                else:
                    row[name.lower()] = value
            row["id"] = int(r["id"])
            row.update({k.lower(): v for k, v in r.items() if k.startswith(("custentity", "custbody"))})
            rows.append(row)
        return rows

    def transactions() -> list[dict[str, Any]]:
        rows = []
        for r in store.all("netsuite", "invoice"):
            rows.append(
                {
                    "id": int(r["id"]),
                    "tranid": r.get("tranId"),
                    "trandate": _as_date(r.get("tranDate")),
                    "duedate": _as_date(r.get("dueDate")),
                    "entity": int(r["entity"]),
                    "type": "CustInvc",
                    "status": "B" if r.get("status") == "paidInFull" else "A",
                    "memo": r.get("memo"),
                    "foreigntotal": r.get("total"),
                    "foreignamountpaid": r.get("amountPaid"),
                    "foreignamountunpaid": r.get("amountRemaining"),
                    "currency": int(r.get("currency") or 1),
                    "externalid": r.get("externalId"),
                    "otherrefnum": r.get("otherRefNum"),
                    "job": int(r["job"]) if r.get("job") else None,
                    "createddate": parse_iso(r.get("createdDate") or ""),
                    "lastmodifieddate": parse_iso(r.get("lastModifiedDate") or ""),
                }
            )
        for r in store.all("netsuite", "customerpayment"):
            rows.append(
                {
                    "id": int(r["id"]),
                    "tranid": r.get("tranId"),
                    "trandate": _as_date(r.get("tranDate")),
                    "entity": int(r["customer"]),
                    "type": "CustPymt",
                    "status": "C",
                    "memo": r.get("memo"),
                    "foreigntotal": r.get("payment"),
                    "currency": int(r.get("currency") or 1),
                    "externalid": r.get("externalId"),
                    "createddate": parse_iso(r.get("createdDate") or ""),
                    "lastmodifieddate": parse_iso(r.get("lastModifiedDate") or ""),
                }
            )
        return sorted(rows, key=lambda x: x["id"])

    def lines() -> list[dict[str, Any]]:
        rows = []
        for r in store.all("netsuite", "invoice"):
            for n, line in enumerate(r.get("item") or [], start=1):
                rows.append(
                    {
                        "transaction": int(r["id"]),
                        "linesequencenumber": n,
                        "id": n,
                        "item": int(line["item"]) if line.get("item") else None,
                        "quantity": line.get("quantity"),
                        "rate": line.get("rate"),
                        "netamount": line.get("amount"),
                        "memo": line.get("description"),
                    }
                )
        return rows

    def ref_display(rtype: str) -> Any:
        spec = TYPES_DEF.get(rtype)

        def show(col: str, value: Any) -> str | None:
            ftype = next((t for n, t in (spec.fields.items() if spec else []) if n.lower() == col), "")
            target = (
                ftype[4:]
                if ftype.startswith("ref:")
                else {
                    "entity": "customer",
                    "job": "job",
                    "item": "item",
                    "currency": "currency",
                    "transaction": "invoice",
                }.get(col, "")
            )
            if target in LISTS:
                return LISTS[target].get(str(value))
            if target in TYPES_DEF:
                found = store.peek("netsuite", target, str(value))
                return (found or {}).get(TYPES_DEF[target].name_field) if found else None
            if col == "status" and rtype == "transaction":
                return {"A": "Invoice : Open", "B": "Invoice : Paid In Full", "C": "Payment : Deposited"}.get(
                    value
                )
            return None

        return show

    def columns(rtype: str) -> tuple[str, ...]:
        spec = TYPES_DEF[rtype]
        return ("id",) + tuple(n.lower() for n, t in spec.fields.items() if not t.startswith("sublist:"))

    return {
        "customer": suiteql.Table(
            lambda: entity_rows("customer"), columns("customer"), ref_display("customer")
        ),
        "job": suiteql.Table(lambda: entity_rows("job"), columns("job"), ref_display("job")),
        "transaction": suiteql.Table(
            transactions,
            (
                "id",
                "tranid",
                "trandate",
                "duedate",
                "entity",
                "type",
                "status",
                "memo",
                "foreigntotal",
                "foreignamountpaid",
                "foreignamountunpaid",
                "currency",
                "externalid",
                "otherrefnum",
                "job",
                "createddate",
                "lastmodifieddate",
            ),
            ref_display("transaction"),
        ),
        "transactionline": suiteql.Table(
            lines,
            ("transaction", "linesequencenumber", "id", "item", "quantity", "rate", "netamount", "memo"),
            ref_display("transactionline"),
        ),
    }
