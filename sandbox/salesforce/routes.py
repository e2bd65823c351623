"""Salesforce REST API (v60.0 shapes; any vNN.N accepted) with Certinia PSA objects on the same API."""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from typing import Any

from ..platform import tenancy
from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from ..platform.timeutil import parse_iso, sf_datetime, utcnow
from . import soql
from .schema import AUTONUMBER, OBJECTS, PREFIXES, SOAP_TYPES, ObjectDef, derive, field_of, lookup, make_id
from .schema import normalize_id as sf_normalize_id

API = r"/services/data/v(?P<version>\d+\.\d)"
OBJ = r"(?P<obj>[A-Za-z][A-Za-z0-9_]*)"
INTEGRATION_USER = make_id("005", 1)  # seeded "Integration User": CreatedById of API writes
MAX_COLLECTION = 200
CURSOR_TTL = 15 * 60


class SfError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or []

    def as_item(self) -> dict[str, Any]:
        """Per-record error as composite collections report it."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def _label(name: str) -> str:
    return name.removeprefix("pse__").removesuffix("__c").replace("_", " ")


class Salesforce(System):
    name = "salesforce"
    title = "Salesforce + Certinia PSA"
    browse_objects = tuple(OBJECTS)

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self._cursors: OrderedDict[str, tuple[list[dict[str, Any]], int, float]] = OrderedDict()
        self._cursor_lock = threading.Lock()

    def routes(self) -> None:
        add = self.router.add
        add("GET", "/services/data/?", self.versions)
        add("GET", API + "/?", self.resources)
        add("GET", API + "/limits/?", self.limits)
        add("GET", API + r"/(?:query|queryAll)/?", self.query)
        add("GET", API + r"/(?:query|queryAll)/(?P<locator>[A-Za-z0-9]+)-(?P<offset>\d+)/?", self.query_more)
        add("GET", API + "/sobjects/?", self.global_describe)
        add("GET", API + f"/sobjects/{OBJ}/?", self.sobject_info)
        add("GET", API + f"/sobjects/{OBJ}/describe/?", self.describe)
        add("GET", API + f"/sobjects/{OBJ}/updated/?", self.updated)
        add("POST", API + f"/sobjects/{OBJ}/?", self.create)
        add("GET", API + f"/sobjects/{OBJ}/(?P<rid>[A-Za-z0-9]+)/?", self.read)
        add("PATCH", API + f"/sobjects/{OBJ}/(?P<rid>[A-Za-z0-9]+)/?", self.update)
        add("DELETE", API + f"/sobjects/{OBJ}/(?P<rid>[A-Za-z0-9]+)/?", self.delete)
        add("GET", API + f"/sobjects/{OBJ}/(?P<ext>[A-Za-z0-9_]+)/(?P<value>[^/]+)/?", self.read_by_ext)
        add("PATCH", API + f"/sobjects/{OBJ}/(?P<ext>[A-Za-z0-9_]+)/(?P<value>[^/]+)/?", self.upsert)
        add("POST", API + "/composite/sobjects/?", self.collection_create)
        add("PATCH", API + "/composite/sobjects/?", self.collection_update)
        add("DELETE", API + "/composite/sobjects/?", self.collection_delete)
        add("GET", API + f"/composite/sobjects/{OBJ}/?", self.collection_read)
        add("PATCH", API + f"/composite/sobjects/{OBJ}/(?P<ext>[A-Za-z0-9_]+)/?", self.collection_upsert)

    # -- shapes -----------------------------------------------------------------------------------
    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        code = {"NOT_FOUND": "NOT_FOUND", "JSON_PARSER_ERROR": "JSON_PARSER_ERROR"}.get(code, code)
        if status == 500 and code == "SERVER_ERROR":
            code = "UNKNOWN_EXCEPTION"
        if status == 503:
            code = "SERVER_UNAVAILABLE"
        return json_response(
            status, [{"message": message, "errorCode": code, "fields": extra.get("fields", [])}]
        )

    def _fail(self, exc: SfError) -> Response:
        return self.error(exc.status, exc.code, exc.message, fields=exc.fields)

    def unauthorized(self) -> Response:
        resp = self.error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        resp.headers["WWW-Authenticate"] = 'Token realm="salesforce"'
        return resp

    def reset(self) -> None:
        with self._cursor_lock:
            self._cursors.clear()

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(record.get("Name") or record.get("Id"))

    def _url(self, version: str, obj: str, rid: str) -> str:
        return f"/services/data/v{version}/sobjects/{obj}/{rid}"

    def _present(self, obj: ObjectDef, record: dict[str, Any], version: str = "60.0") -> dict[str, Any]:
        """A record as GET returns it: attributes first, every field present (null when unset)."""
        out: dict[str, Any] = {
            "attributes": {"type": obj.name, "url": self._url(version, obj.name, record["Id"])}
        }
        for name in obj.fields:
            out[name] = record.get(name)
        return out

    def _object(self, name: str) -> ObjectDef:
        obj = lookup(name)
        if obj is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    # -- metadata ---------------------------------------------------------------------------------
    def versions(self, req: Request) -> Response:
        labels = {"58.0": "Summer '23", "59.0": "Winter '24", "60.0": "Spring '24", "61.0": "Summer '24"}
        return json_response(
            200, [{"label": v, "url": f"/services/data/v{k}", "version": k} for k, v in labels.items()]
        )

    def resources(self, req: Request, version: str) -> Response:
        base = f"/services/data/v{version}"
        names = ("sobjects", "query", "queryAll", "composite", "limits")
        return json_response(200, {n: f"{base}/{n}" for n in names})

    def limits(self, req: Request, version: str) -> Response:
        used = self.api_usage()  # this org's requests
        return json_response(200, {"DailyApiRequests": {"Max": 100000, "Remaining": max(0, 100000 - used)}})

    def global_describe(self, req: Request, version: str) -> Response:
        return json_response(
            200,
            {
                "encoding": "UTF-8",
                "maxBatchSize": MAX_COLLECTION,
                "sobjects": [self._object_summary(o, version) for o in OBJECTS.values()],
            },
        )

    def _object_summary(self, obj: ObjectDef, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{obj.name}"
        return {
            "name": obj.name,
            "label": _label(obj.name),
            "keyPrefix": obj.prefix,
            "custom": obj.custom,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    def sobject_info(self, req: Request, version: str, obj: str) -> Response:
        try:
            odef = self._object(obj)
        except SfError as exc:
            return self._fail(exc)
        req.object_label = odef.name
        recent = self.store.newest(self.name, odef.name, 5)
        return json_response(
            200,
            {
                "objectDescribe": self._object_summary(odef, version),
                "recentItems": [
                    {
                        "attributes": {"type": odef.name, "url": self._url(version, odef.name, r["Id"])},
                        "Id": r["Id"],
                    }
                    for r in recent
                ],
            },
        )

    def describe(self, req: Request, version: str, obj: str) -> Response:
        try:
            odef = self._object(obj)
        except SfError as exc:
            return self._fail(exc)
        fields = []
        for f in odef.fields.values():
            ftype = "string" if f.type == "extid" else f.type
            fields.append(
                {
                    "name": f.name,
                    "label": _label(f.name),
                    "type": ftype,
                    "soapType": SOAP_TYPES.get(ftype, "xsd:string"),
                    "length": 255 if ftype in ("string", "picklist", "email", "phone", "url") else 0,
                    "nillable": f.name not in odef.required and f.type != "boolean",
                    "createable": f.name not in odef.readonly,
                    "updateable": f.name not in odef.readonly,
                    "externalId": f.type == "extid",
                    "idLookup": f.type == "extid" or f.name == "Id",
                    "custom": f.name.endswith("__c"),
                    "referenceTo": [f.target] if f.target else [],
                    "relationshipName": f.relationship,
                }
            )
        body = self._object_summary(odef, version) | {"fields": fields}
        return json_response(200, body)

    # -- query ------------------------------------------------------------------------------------
    def _batch_size(self, req: Request) -> int:
        options = req.header("sforce-query-options")
        for part in options.split(","):
            key, _, value = part.partition("=")
            if key.strip().lower() == "batchsize" and value.strip().isdigit():
                return max(1, min(2000, int(value)))
        return int(self.sandbox.config.salesforce_batch_size)

    def query(self, req: Request, version: str) -> Response:
        text = req.arg("q")
        if not text:
            return self.error(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            result = soql.execute(text, _Source(self, version))
        except soql.SoqlError as exc:
            return self.error(400, exc.code, exc.message)
        req.object_label = result.obj.name
        if result.aggregate:
            return json_response(200, {"totalSize": result.total, "done": True, "records": result.rows})
        return self._page(version, result.rows, 0, self._batch_size(req), None)

    def _page(
        self, version: str, rows: list[dict[str, Any]], offset: int, batch: int, locator: str | None
    ) -> Response:
        chunk = rows[offset : offset + batch]
        done = offset + batch >= len(rows)
        body: dict[str, Any] = {"totalSize": len(rows), "done": done}
        if not done:
            if locator is None:
                locator = f"01g{secrets.token_hex(8).upper()[:15]}"
                with self._cursor_lock:
                    self._cursors[f"{tenancy.current()}/{locator}"] = (rows, batch, time.monotonic())
                    while len(self._cursors) > 200:
                        self._cursors.popitem(last=False)
            body["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{offset + batch}"
        body["records"] = chunk
        return json_response(200, body)

    def query_more(self, req: Request, version: str, locator: str, offset: str) -> Response:
        with self._cursor_lock:
            key = f"{tenancy.current()}/{locator}"  # a locator opens only its own org's cursor
            cursor = self._cursors.get(key)
            if cursor and time.monotonic() - cursor[2] > CURSOR_TTL:
                self._cursors.pop(key, None)
                cursor = None
        if cursor is None or int(offset) > len(cursor[0]):
            return self.error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        rows, batch, _ = cursor
        if req.header("sforce-query-options"):
            batch = self._batch_size(req)
        if rows:
            req.object_label = rows[0]["attributes"]["type"]
        return self._page(version, rows, int(offset), batch, locator)

    def updated(self, req: Request, version: str, obj: str) -> Response:
        try:
            odef = self._object(obj)
        except SfError as exc:
            return self._fail(exc)
        start, end = parse_iso(req.arg("start") or ""), parse_iso(req.arg("end") or "")
        if start is None or end is None:
            return self.error(400, "MALFORMED_QUERY", "start and end must be ISO 8601 date-times")
        ids = [
            r["Id"]
            for r in self.store.all(self.name, odef.name)
            if (when := parse_iso(r.get("SystemModstamp") or "")) and start <= when < end
        ]
        return json_response(200, {"ids": ids, "latestDateCovered": sf_datetime(min(end, utcnow()))})

    # -- single records ---------------------------------------------------------------------------
    def _find(self, odef: ObjectDef, rid: str) -> dict[str, Any]:
        full = sf_normalize_id(rid)
        record = self.store.get(self.name, odef.name, full) if full else None
        if record is None:
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def read(self, req: Request, version: str, obj: str, rid: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            record = self._find(odef, rid)
        except SfError as exc:
            return self._fail(exc)
        body = self._present(odef, record, version)
        wanted = req.arg("fields")
        if wanted:
            keep = {"attributes"} | {f.strip().lower() for f in wanted.split(",")}
            body = {k: v for k, v in body.items() if k.lower() in keep}
        return json_response(200, body)

    def create(self, req: Request, version: str, obj: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            record = self._prepare(odef, None, self._body(req), creating=True)
            self._commit(odef, record, "created")
        except SfError as exc:
            return self._fail(exc)
        return json_response(
            201,
            {"id": record["Id"], "success": True, "errors": []},
            {"Location": self._url(version, odef.name, record["Id"])},
        )

    def update(self, req: Request, version: str, obj: str, rid: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            existing = self._find(odef, rid)
            record = self._prepare(odef, existing, self._body(req), creating=False)
            self._commit(odef, record, "updated")
        except SfError as exc:
            return self._fail(exc)
        return empty_response(204)

    def delete(self, req: Request, version: str, obj: str, rid: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            record = self._find(odef, rid)
        except SfError as exc:
            return self._fail(exc)
        self.store.delete(self.name, odef.name, record["Id"])
        self.emit(odef.name, "deleted", self._present(odef, record))
        return empty_response(204)

    def _ext_field(self, odef: ObjectDef, ext: str) -> str:
        fdef = field_of(odef, ext)
        if fdef is None or (fdef.type != "extid" and fdef.name != "Id"):
            raise SfError(
                404, "NOT_FOUND", f"Provided external ID field does not exist or is not accessible: {ext}"
            )
        return fdef.name

    def _by_ext(self, odef: ObjectDef, field: str, value: str) -> list[dict[str, Any]]:
        if field == "Id":
            full = sf_normalize_id(value)
            found = self.store.peek(self.name, odef.name, full) if full else None
            return [found] if found else []
        needle = value.casefold()  # external ids are case-insensitive unless marked otherwise
        return [
            r for r in self.store.all(self.name, odef.name) if str(r.get(field) or "").casefold() == needle
        ]

    def read_by_ext(self, req: Request, version: str, obj: str, ext: str, value: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            field = self._ext_field(odef, ext)
            matches = self._by_ext(odef, field, value)
        except SfError as exc:
            return self._fail(exc)
        if not matches:
            return self.error(404, "NOT_FOUND", "The requested resource does not exist")
        if len(matches) > 1:
            return json_response(300, [self._url(version, odef.name, r["Id"]) for r in matches])
        return json_response(200, self._present(odef, matches[0], version))

    def upsert(self, req: Request, version: str, obj: str, ext: str, value: str) -> Response:
        try:
            odef = self._object(obj)
            req.object_label = odef.name
            field = self._ext_field(odef, ext)
            body = self._body(req)
            result = self._upsert_one(odef, field, value, body)
        except SfError as exc:
            return self._fail(exc)
        if result == "multiple":
            matches = self._by_ext(odef, field, value)
            return json_response(300, [self._url(version, odef.name, r["Id"]) for r in matches])
        rid, created = result
        payload = {"id": rid, "success": True, "errors": [], "created": created}
        headers = {"Location": self._url(version, odef.name, rid)} if created else {}
        return json_response(201 if created else 200, payload, headers)

    def _upsert_one(self, odef: ObjectDef, field: str, value: str, body: dict[str, Any]) -> Any:
        given = next((v for k, v in body.items() if k.lower() == field.lower()), None)
        if given is not None and str(given).casefold() != value.casefold():
            raise SfError(
                400, "INVALID_FIELD", f"The external ID field {field} in the body doesn't match the URL"
            )
        body = {k: v for k, v in body.items() if k.lower() != field.lower()}
        matches = self._by_ext(odef, field, value)
        if len(matches) > 1:
            return "multiple"
        if matches:
            existing = self.store.get(self.name, odef.name, matches[0]["Id"])
            record = self._prepare(odef, existing, body, creating=False)
            self._commit(odef, record, "updated")
            return record["Id"], False
        if field == "Id":
            raise SfError(404, "NOT_FOUND", "The requested resource does not exist")
        record = self._prepare(odef, None, {**body, field: value}, creating=True)
        self._commit(odef, record, "created")
        return record["Id"], True

    # -- composite sObject collections ------------------------------------------------------------
    def _collection_body(self, req: Request) -> tuple[bool, list[Any]]:
        body = self._body(req)
        records = body.get("records")
        if not isinstance(records, list):
            raise SfError(400, "INVALID_FIELD", "records is required and must be a list")
        if len(records) > MAX_COLLECTION:
            raise SfError(400, "EXCEEDED_ID_LIMIT", f"record limit exceeded. Limit is {MAX_COLLECTION}")
        return bool(body.get("allOrNone", False)), records

    def _record_type(self, item: Any) -> ObjectDef:
        if not isinstance(item, dict):
            raise SfError(400, "JSON_PARSER_ERROR", "each record must be a JSON object")
        rtype = (item.get("attributes") or {}).get("type")
        odef = lookup(rtype or "")
        if odef is None:
            raise SfError(
                400, "INVALID_TYPE", f"sObject type '{rtype}' is not supported." if rtype else "no type"
            )
        return odef

    def _run_collection(self, all_or_none: bool, items: list[Any], prepare: Any) -> list[dict[str, Any]]:
        """Two phases so allOrNone can refuse the whole batch before anything is written."""
        prepared: list[tuple[ObjectDef, dict[str, Any], str, bool] | SfError] = []
        for item in items:
            try:
                prepared.append(prepare(item))
            except SfError as exc:
                prepared.append(exc)
            if not all_or_none and not isinstance(prepared[-1], SfError):
                odef, record, event, _ = prepared[-1]
                self._commit(odef, record, event)
        failed = any(isinstance(p, SfError) for p in prepared)
        results = []
        for p in prepared:
            if isinstance(p, SfError):
                results.append({"success": False, "errors": [p.as_item()]})
            elif all_or_none and failed:
                results.append(
                    {
                        "id": p[1]["Id"] if p[2] == "updated" else None,
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                "message": "Record rolled back because not all records were valid and the "
                                "request was using AllOrNone header",
                                "fields": [],
                            }
                        ],
                    }
                )
            else:
                if all_or_none:
                    self._commit(p[0], p[1], p[2])
                entry: dict[str, Any] = {"id": p[1]["Id"], "success": True, "errors": []}
                if p[3] is not None:
                    entry["created"] = p[2] == "created"
                results.append(entry)
        return results

    def collection_create(self, req: Request, version: str) -> Response:
        try:
            all_or_none, items = self._collection_body(req)
        except SfError as exc:
            return self._fail(exc)

        def prepare(item: Any) -> tuple[ObjectDef, dict[str, Any], str, None]:
            odef = self._record_type(item)
            req.object_label = odef.name
            return odef, self._prepare(odef, None, item, creating=True), "created", None

        return json_response(200, self._run_collection(all_or_none, items, prepare))

    def collection_update(self, req: Request, version: str) -> Response:
        try:
            all_or_none, items = self._collection_body(req)
        except SfError as exc:
            return self._fail(exc)

        def prepare(item: Any) -> tuple[ObjectDef, dict[str, Any], str, None]:
            odef = self._record_type(item)
            req.object_label = odef.name
            rid = item.get("Id") or item.get("id")
            if not rid:
                raise SfError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            existing = self._find(odef, str(rid))
            body = {k: v for k, v in item.items() if k not in ("Id", "id")}
            return odef, self._prepare(odef, existing, body, creating=False), "updated", None

        return json_response(200, self._run_collection(all_or_none, items, prepare))

    def collection_upsert(self, req: Request, version: str, obj: str, ext: str) -> Response:
        try:
            odef_url = self._object(obj)
            field = self._ext_field(odef_url, ext)
            all_or_none, items = self._collection_body(req)
        except SfError as exc:
            return self._fail(exc)
        req.object_label = odef_url.name

        def prepare(item: Any) -> tuple[ObjectDef, dict[str, Any], str, bool]:
            odef = self._record_type(item)
            if odef.name != odef_url.name:
                raise SfError(400, "INVALID_TYPE", "record type does not match the URL")
            value = next((v for k, v in item.items() if k.lower() == field.lower()), None)
            if value in (None, ""):
                raise SfError(400, "MISSING_ARGUMENT", f"{field} not specified", [field])
            matches = self._by_ext(odef, field, str(value))
            if len(matches) > 1:
                raise SfError(300, "DUPLICATE_EXTERNAL_ID", f"{field} matches more than one record", [field])
            if matches:
                existing = self.store.get(self.name, odef.name, matches[0]["Id"])
                return odef, self._prepare(odef, existing, item, creating=False), "updated", False
            return odef, self._prepare(odef, None, item, creating=True), "created", True

        return json_response(200, self._run_collection(all_or_none, items, prepare))

    def collection_delete(self, req: Request, version: str) -> Response:
        ids = [i for i in (req.arg("ids") or "").split(",") if i]
        if len(ids) > MAX_COLLECTION:
            return self.error(400, "EXCEEDED_ID_LIMIT", f"record limit exceeded. Limit is {MAX_COLLECTION}")
        all_or_none = (req.arg("allOrNone") or "false").lower() == "true"
        found = []
        for rid in ids:
            full = sf_normalize_id(rid)
            odef = lookup(PREFIXES.get(rid[:3], "")) if full else None
            record = self.store.peek(self.name, odef.name, full) if odef and full else None
            found.append((rid, odef, record))
        missing = any(rec is None for _, _, rec in found)
        results = []
        for rid, odef, record in found:
            if record is None or odef is None:
                results.append(
                    {
                        "id": rid,
                        "success": False,
                        "errors": [SfError(404, "ENTITY_IS_DELETED", "entity is deleted").as_item()],
                    }
                )
            elif all_or_none and missing:
                results.append(
                    {
                        "id": rid,
                        "success": False,
                        "errors": [
                            {
                                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                "message": "rolled back",
                                "fields": [],
                            }
                        ],
                    }
                )
            else:
                req.object_label = odef.name
                self.store.delete(self.name, odef.name, record["Id"])
                self.emit(odef.name, "deleted", self._present(odef, record))
                results.append({"id": record["Id"], "success": True, "errors": []})
        return json_response(200, results)

    def collection_read(self, req: Request, version: str, obj: str) -> Response:
        try:
            odef = self._object(obj)
        except SfError as exc:
            return self._fail(exc)
        req.object_label = odef.name
        wanted = {f.strip().lower() for f in (req.arg("fields") or "").split(",") if f.strip()}
        out: list[dict[str, Any] | None] = []
        for rid in (req.arg("ids") or "").split(","):
            full = sf_normalize_id(rid.strip())
            record = self.store.peek(self.name, odef.name, full) if full else None
            if record is None:
                out.append(None)
                continue
            body = self._present(odef, record, version)
            if wanted:
                body = {k: v for k, v in body.items() if k == "attributes" or k.lower() in wanted}
            out.append(body)
        return json_response(200, out)

    # -- writes -----------------------------------------------------------------------------------
    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as exc:
            raise SfError(400, "JSON_PARSER_ERROR", f"Unexpected character in JSON body: {exc}") from None
        if not isinstance(body, dict):
            raise SfError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of SObject from array")
        return body

    def _prepare(
        self, odef: ObjectDef, existing: dict[str, Any] | None, body: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        """Validate and merge a write; return the full record to store (nothing is written here)."""
        values: dict[str, Any] = {}
        for key, value in body.items():
            if key == "attributes":
                continue
            rel = next((f for r, f in odef.relationships.items() if r.lower() == key.lower()), None)
            if rel is not None and isinstance(value, dict):
                values[rel.name] = self._resolve_relationship(rel.target or "", value)
                continue
            fdef = field_of(odef, key)
            if fdef is None:
                raise SfError(
                    400, "INVALID_FIELD", f"No such column '{key}' on sobject of type {odef.name}", [key]
                )
            if fdef.name in odef.readonly:
                raise SfError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fdef.name}. Please check the security settings of "
                    "this field and verify that it is read/write for your profile or permission set.",
                    [fdef.name],
                )
            values[fdef.name] = self._coerce(fdef.name, fdef.type, fdef.target, value)
        record = dict(existing or {})
        record.update(values)
        missing = [f for f in odef.required if record.get(f) in (None, "")]
        if missing:
            raise SfError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing
            )
        now = sf_datetime(utcnow())
        if creating:
            record["Id"] = make_id(odef.prefix, self.store.next_value(f"salesforce:{odef.prefix}", 1))
            record["CreatedDate"] = now
            record["CreatedById"] = INTEGRATION_USER
            record["IsDeleted"] = False
            if "OwnerId" in odef.fields and not record.get("OwnerId"):
                record["OwnerId"] = INTEGRATION_USER
            if odef.name in AUTONUMBER:
                number = self.store.next_value("sf-autonumber:" + odef.name, 100001)
                record["Name"] = f"{AUTONUMBER[odef.name]}{number:06d}"
        record["LastModifiedDate"] = now
        record["SystemModstamp"] = now
        record["LastModifiedById"] = INTEGRATION_USER
        derive(odef.name, record, self.store.peek)
        return record

    def _resolve_relationship(self, target: str, value: dict[str, Any]) -> str:
        """`"Account": {"External_Id__c": "X"}` in a body sets AccountId by the parent's external id."""
        tdef = lookup(target)
        keys = [k for k in value if k != "attributes"]
        if tdef is None or len(keys) != 1:
            raise SfError(400, "INVALID_FIELD", "A relationship must name exactly one external ID field")
        field = self._ext_field(tdef, keys[0])
        matches = self._by_ext(tdef, field, str(value[keys[0]]))
        if len(matches) != 1:
            raise SfError(
                400,
                "INVALID_FIELD",
                f"Foreign key external ID: {value[keys[0]]} not found for field {field} "
                f"in entity {tdef.name}",
                [field],
            )
        return matches[0]["Id"]

    def _coerce(self, name: str, ftype: str, target: str | None, value: Any) -> Any:
        if value is None or value == "":
            return None if ftype != "boolean" else False
        bad = SfError(
            400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of {ftype} from value {value!r}", [name]
        )
        if ftype == "boolean":
            if not isinstance(value, bool):
                raise bad
            return value
        if ftype in ("double", "currency", "percent", "int"):
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise bad from None
            return int(number) if ftype == "int" else number
        if ftype == "date":
            if not isinstance(value, str) or len(value) != 10 or parse_iso(value) is None:
                raise bad
            return value
        if ftype == "datetime":
            when = parse_iso(str(value))
            if when is None:
                raise bad
            return sf_datetime(when)
        if ftype == "reference":
            full = sf_normalize_id(str(value))
            tdef = lookup(target or "")
            if full is None or tdef is None or full[:3] != tdef.prefix:
                raise SfError(
                    400, "MALFORMED_ID", f"{_label(name)}: id value of incorrect type: {value}", [name]
                )
            if self.store.peek(self.name, tdef.name, full) is None:
                raise SfError(
                    400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name]
                )
            return full
        if isinstance(value, dict | list):
            raise bad
        return str(value)

    def _commit(self, odef: ObjectDef, record: dict[str, Any], event: str) -> None:
        self.store.put(self.name, odef.name, record["Id"], record)
        self.emit(odef.name, event, self._present(odef, record))


class _Source:
    """Adapts the store to what the SOQL engine needs."""

    def __init__(self, system: Salesforce, version: str) -> None:
        self.system = system
        self.version = version

    def records(self, obj: str) -> list[dict[str, Any]]:
        return self.system.store.all("salesforce", obj)

    def get(self, obj: str, rid: str) -> dict[str, Any] | None:
        return self.system.store.peek("salesforce", obj, rid)

    def attributes(self, obj: str, rid: str) -> dict[str, str]:
        return {"type": obj, "url": self.system._url(self.version, obj, rid)}
