"""Kantata OX (Mavenlink) API v1: workspaces, stories, time entries, expenses, users."""

from __future__ import annotations

import math
from typing import Any

from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from ..platform.timeutil import iso_offset, parse_iso, utcnow
from .schema import COLLECTIONS, ID_START, Collection

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
COLL = r"(?P<coll>workspaces|stories|time_entries|expenses|users)"
_BOOL_FILTERS = ("approved", "billable", "is_invoiced", "archived", "reimbursable")
_ID_FILTERS = ("workspace_id", "user_id", "story_id", "parent_id", "creator_id")


class KantataError(Exception):
    def __init__(self, status: int, kind: str, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.field = status, kind, message, field_name


class Kantata(System):
    name = "kantata"
    title = "Kantata OX"
    browse_objects = tuple(COLLECTIONS)

    def routes(self) -> None:
        add = self.router.add
        add("GET", f"/api/v1/{COLL}(?:\\.json)?", self.index)
        add("POST", f"/api/v1/{COLL}(?:\\.json)?", self.create)
        add("GET", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.show)
        add("PUT", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.update)
        add("PATCH", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.update)
        add("DELETE", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.delete)

    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        kind = {401: "oauth", 404: "not_found", 422: "validation", 429: "rate_limit"}.get(status, "system")
        item = {"type": extra.get("kind", kind), "message": message}
        if extra.get("field"):
            item["field"] = extra["field"]
        return json_response(status, {"errors": [item]})

    def _fail(self, exc: KantataError) -> Response:
        return self.error(exc.status, "", exc.message, kind=exc.kind, field=exc.field)

    def unauthorized(self) -> Response:
        return self.error(401, "", "Invalid or expired OAuth access token; please re-authenticate.")

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(record.get("title") or record.get("full_name") or record.get("notes") or record["id"])

    # -- reads ------------------------------------------------------------------------------------
    def _shape(self, coll: str, records: list[dict[str, Any]], req: Request, meta: dict[str, int]) -> dict:
        body: dict[str, Any] = {
            "count": meta["count"],
            "results": [{"key": coll, "id": r["id"]} for r in records],
            coll: {r["id"]: r for r in records},
        }
        for include in [i.strip() for i in (req.arg("include") or "").split(",") if i.strip()]:
            ftype = COLLECTIONS[coll].fields.get(f"{include}_id", "")
            if not ftype.startswith("ref:"):
                continue
            target = ftype[4:]
            bucket = body.setdefault(target, {}) if target != coll else body[coll]
            for r in records:
                ref = r.get(f"{include}_id")
                found = self.store.peek(self.name, target, ref) if ref else None
                if found:
                    bucket[ref] = found
        body["meta"] = meta
        return body

    def index(self, req: Request, coll: str) -> Response:
        req.object_label = coll
        try:
            records = self._filter(coll, req)
            page = int(req.arg("page") or 1)
            per_page = min(MAX_PER_PAGE, int(req.arg("per_page") or DEFAULT_PER_PAGE))
        except KantataError as exc:
            return self._fail(exc)
        except ValueError:
            return self.error(400, "", "page and per_page must be integers", kind="system")
        if page < 1 or per_page < 1:
            return self.error(400, "", "page and per_page must be positive", kind="system")
        total = len(records)
        chunk = records[(page - 1) * per_page : page * per_page]
        meta = {
            "count": total,
            "page_count": max(1, math.ceil(total / per_page)),
            "page_number": page,
            "page_size": per_page,
        }
        return json_response(200, self._shape(coll, chunk, req, meta))

    def _filter(self, coll: str, req: Request) -> list[dict[str, Any]]:
        records = self.store.all(self.name, coll)
        only = req.arg("only")
        if only:
            wanted = {i.strip() for i in only.split(",")}
            records = [r for r in records if r["id"] in wanted]
        for name in ("updated_after", "created_after", "updated_before", "created_before"):
            raw = req.arg(name)
            if raw is None:
                continue
            when = parse_iso(raw)
            if when is None:
                raise KantataError(400, "system", f"{name} must be an ISO 8601 date-time", name)
            fname = name.split("_")[0] + "_at"
            after = name.endswith("after")
            records = [
                r
                for r in records
                if (t := parse_iso(r.get(fname) or "")) is not None and (t > when if after else t < when)
            ]
        for name in _ID_FILTERS:
            raw = req.arg(name)
            if raw is not None:
                wanted = {i.strip() for i in raw.split(",")}
                records = [r for r in records if str(r.get(name)) in wanted]
        for name in _BOOL_FILTERS:
            raw = req.arg(name)
            if raw is not None:
                flag = raw.lower() in ("true", "1", "yes")
                records = [r for r in records if bool(r.get(name)) == flag]
        between = req.arg("date_performed_between")
        if between:
            start, _, end = between.partition(":")
            records = [r for r in records if start <= (r.get("date_performed") or "") <= (end or "9999")]
        search = (req.arg("search") or req.arg("matching") or "").casefold()
        if search:
            records = [
                r for r in records if search in str(r.get("title") or r.get("full_name") or "").casefold()
            ]
        order = req.arg("order")
        if order:
            key, _, direction = order.partition(":")
            records = sorted(
                records,
                key=lambda r: (r.get(key) is None, str(r.get(key) or "")),
                reverse=direction.lower() == "desc",
            )
        else:
            records = sorted(records, key=lambda r: int(r["id"]))
        return records

    def show(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        record = self.store.peek(self.name, coll, rid)
        if record is None:
            return self.error(404, "", f"{COLLECTIONS[coll].singular} {rid} not found")
        return json_response(200, self._shape(coll, [record], req, _single_meta()))

    # -- writes -----------------------------------------------------------------------------------
    def create(self, req: Request, coll: str) -> Response:
        req.object_label = coll
        spec = COLLECTIONS[coll]
        try:
            if not spec.writable:
                raise KantataError(403, "permission", f"{coll} cannot be created through the API")
            items = self._items(req, spec, coll)
            prepared = [self._prepare(coll, None, item) for item in items]
        except KantataError as exc:
            return self._fail(exc)
        for record in prepared:
            self.store.put(self.name, coll, record["id"], record)
            self.emit(coll, "created", record)
        meta = {"count": len(prepared), "page_count": 1, "page_number": 1, "page_size": len(prepared)}
        return json_response(200, self._shape(coll, prepared, req, meta))

    def update(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        spec = COLLECTIONS[coll]
        existing = self.store.get(self.name, coll, rid)
        try:
            if existing is None:
                raise KantataError(404, "not_found", f"{spec.singular} {rid} not found")
            if not spec.writable:
                raise KantataError(403, "permission", f"{coll} cannot be changed through the API")
            body = req.json()
            attrs = body.get(spec.singular) if isinstance(body, dict) else None
            if not isinstance(attrs, dict):
                raise KantataError(400, "system", f'body must be {{"{spec.singular}": {{...}}}}')
            record = self._prepare(coll, existing, attrs)
        except KantataError as exc:
            return self._fail(exc)
        except ValueError:
            return self.error(400, "", "Malformed JSON body", kind="system")
        self.store.put(self.name, coll, rid, record)
        self.emit(coll, "updated", record)
        return json_response(200, self._shape(coll, [record], req, _single_meta()))

    def delete(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        record = self.store.peek(self.name, coll, rid)
        if record is None:
            return self.error(404, "", f"{COLLECTIONS[coll].singular} {rid} not found")
        if not COLLECTIONS[coll].writable:
            return self.error(403, "", f"{coll} cannot be deleted through the API", kind="permission")
        self.store.delete(self.name, coll, rid)
        self.emit(coll, "deleted", record)
        return empty_response(204)

    def _items(self, req: Request, spec: Collection, coll: str) -> list[dict[str, Any]]:
        try:
            body = req.json()
        except ValueError:
            raise KantataError(400, "system", "Malformed JSON body") from None
        if isinstance(body, dict) and isinstance(body.get(spec.singular), dict):
            return [body[spec.singular]]
        if isinstance(body, dict) and isinstance(body.get(coll), list):
            items = body[coll]
            if not items or len(items) > MAX_PER_PAGE or not all(isinstance(i, dict) for i in items):
                raise KantataError(400, "system", f"{coll} must hold 1 to {MAX_PER_PAGE} objects")
            return items
        raise KantataError(
            400, "system", f'body must be {{"{spec.singular}": {{...}}}} or {{"{coll}": [...]}}'
        )

    def _prepare(self, coll: str, existing: dict[str, Any] | None, attrs: dict[str, Any]) -> dict[str, Any]:
        spec = COLLECTIONS[coll]
        record = dict(existing) if existing else {**spec.defaults}
        for key, value in attrs.items():
            ftype = spec.fields.get(key)
            if ftype is None:
                raise KantataError(422, "validation", f"unknown attribute '{key}' for {spec.singular}", key)
            record[key] = self._coerce(key, ftype, value)
        if coll == "time_entries" and not record.get("user_id"):
            record["user_id"] = str(ID_START["users"])  # the API user logs their own time
        missing = [f for f in spec.required if record.get(f) in (None, "")]
        if missing:
            raise KantataError(
                422, "validation", f"{missing[0].replace('_', ' ').capitalize()} can't be blank", missing[0]
            )
        if coll in ("time_entries", "expenses") and (record.get("workspace_id") is None):
            raise KantataError(422, "validation", "Workspace must exist", "workspace_id")
        now = iso_offset(utcnow())
        if existing is None:
            record["id"] = str(self.store.next_value(f"kantata:{coll}", ID_START[coll]))
            record["created_at"] = now
        record["updated_at"] = now
        return record

    def _coerce(self, key: str, ftype: str, value: Any) -> Any:
        if value is None:
            return None
        bad = KantataError(422, "validation", f"{key} is invalid", key)
        if ftype == "int":
            if isinstance(value, bool):
                raise bad
            try:
                return int(value)
            except (TypeError, ValueError):
                raise bad from None
        if ftype == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise bad
            return value
        if ftype == "date":
            if not isinstance(value, str) or len(value) != 10 or parse_iso(value) is None:
                raise bad
            return value
        if ftype.startswith("ref:"):
            target = ftype[4:]
            rid = str(value)
            if self.store.peek(self.name, target, rid) is None:
                raise KantataError(422, "validation", f"{key} {rid} does not exist", key)
            return rid
        if ftype == "object":
            if not isinstance(value, dict):
                raise bad
            return value
        return str(value)


def _single_meta() -> dict[str, int]:
    return {"count": 1, "page_count": 1, "page_number": 1, "page_size": 1}
