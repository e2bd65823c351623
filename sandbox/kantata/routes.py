"""Kantata OX (Mavenlink) API v1 as Kantata documents it (developer.kantata.com, "Kantata OX API
Documentation"): the ``results`` + keyed-objects response shape, ``page``/``per_page`` paging (default 20,
maximum 200), ``only``, ``include``, ``order``, the documented filters, ``{"errors": [{type, message,
field}]}`` errors, external references on creates, and invoices as the only way work becomes invoiced.

Strictness: an attribute a request body may not send (read-only, such as ``is_invoiced`` or a time entry's
``approved``, or unknown) is refused with a 422 naming it. The docs do not say whether Kantata ignores such
attributes or refuses them; ignoring would hide exactly the mistakes this sandbox exists to catch (a
connector that "marks" time invoiced by sending ``is_invoiced`` would pass every test and change nothing
on a real tenant), so the sandbox refuses.

Custom field values
(https://developer.kantata.com/kantata/specification/custom-field-values/create-custom-field-value):
"Creating a value can also override existing values, effectively making this an update request as well ...
every new value has a unique, new ID", so a subject holds one value per custom field and a write replaces
it under a new id. A value is checked against its field (the field exists, its set's subject_type is the
subject's, the subject exists, the value fits the field's value_type) and refused with a 422 naming the
attribute otherwise. PUT on a value is not served here (a POST overrides); DELETE is.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from ..platform.messages import Request, Response, empty_response, json_response
from ..platform.system import System
from ..platform.timeutil import iso_offset, parse_iso, utcnow
from .schema import (
    COLLECTIONS,
    CUSTOM_FIELD_SUBJECTS,
    ENUMS,
    EXTERNAL_REFERENCE,
    ID_START,
    SERVED,
    Collection,
    price_text,
)

MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 20
MAX_BULK = 100  # time entries, expenses, custom field values: "bulk creating up to 100 objects"
BULK_CREATE = ("time_entries", "expenses", "custom_field_values")
COLL = "(?P<coll>" + "|".join(SERVED) + ")"
API_USER = str(ID_START["users"])  # the seeded account owner the sandbox's tokens act as

# Filters as documented per endpoint. Flags marked "always processed as true" are presence filters.
_PRESENCE = {"time_entries": ("approved", "invoiced", "uninvoiced")}
_BOOL_FILTERS = {
    "time_entries": ("billable",),
    "expenses": ("invoiced", "uninvoiced", "reimbursable"),
    "workspaces": ("budgeted",),
    "stories": ("archived",),
}
_ID_FILTERS = {
    "time_entries": {
        "workspace_id": "workspace_id",
        "workspace_ids": "workspace_id",
        "with_user_ids": "user_id",
    },
    "expenses": {"workspace_id": "workspace_id"},
    "stories": {"workspace_id": "workspace_id", "with_parent_id": "parent_id", "parent_id": "parent_id"},
    "invoices": {"workspace_id": "workspace_ids"},
    "rate_card_roles": {"rate_card_version_id": "rate_card_version_id", "role_id": "role_id"},
    "rate_card_versions": {"rate_card_id": "rate_card_id"},
    "custom_field_values": {"with_subject_id": "subject_id", "custom_field_id": "custom_field_id"},
}
# include -> (the id attribute on the record, the collection it points into)
_LIST_INCLUDES = {
    "invoices": {
        "time_entries": ("time_entry_ids", "time_entries"),
        "expenses": ("expense_ids", "expenses"),
        "additional_items": ("additional_item_ids", "additional_items"),
        "fixed_fee_items": ("fixed_fee_item_ids", "fixed_fee_items"),
        "workspaces": ("workspace_ids", "workspaces"),
    },
    "rate_cards": {"rate_card_versions": ("rate_card_version_ids", "rate_card_versions")},
    "rate_card_versions": {"rate_card_roles": ("rate_card_role_ids", "rate_card_roles")},
}
_READ_REFS = {"workspaces": {"creator": ("creator_id", "users")}, "invoices": {"user": ("user_id", "users")}}


class KantataError(Exception):
    def __init__(self, status: int, kind: str, message: str, field_name: str | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.field = status, kind, message, field_name


def _invalid(message: str, field: str) -> KantataError:
    return KantataError(422, "validation", message, field)


class Kantata(System):
    name = "kantata"
    title = "Kantata OX"
    browse_objects = tuple(c for c in SERVED if c != "external_references")

    def routes(self) -> None:
        add = self.router.add
        add("GET", f"/api/v1/{COLL}(?:\\.json)?", self.index)
        add("POST", f"/api/v1/{COLL}(?:\\.json)?", self.create)
        add("GET", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.show)
        add("PUT", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.update)
        add("PATCH", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.update)
        add("DELETE", f"/api/v1/{COLL}/(?P<rid>\\d+)(?:\\.json)?", self.delete)

    # The documented error types are oauth, system and validation; a 429's body is not documented.
    def error(self, status: int, code: str, message: str, **extra: Any) -> Response:
        kind = extra.get("kind") or {401: "oauth", 422: "validation", 429: "rate_limit"}.get(status, "system")
        item = {"type": kind, "message": message}
        if extra.get("field"):
            item["field"] = extra["field"]
        return json_response(status, {"errors": [item]})

    def _fail(self, exc: KantataError) -> Response:
        return self.error(exc.status, "", exc.message, kind=exc.kind, field=exc.field)

    def unauthorized(self) -> Response:
        return self.error(401, "", "Invalid OAuth 2 Request")  # the Errors section's example

    def rate_limited(self, retry_after: str) -> Response:
        resp = self.error(429, "", "Too Many Requests")
        resp.headers["Retry-After"] = retry_after
        return resp

    def browse_label(self, obj: str, record: dict[str, Any]) -> str:
        return str(
            record.get("title")
            or record.get("full_name")
            or record.get("name")
            or record.get("notes")
            or record["id"]
        )

    # -- reads ------------------------------------------------------------------------------------
    def _public(self, coll: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record as the API answers it: internal keys (``_...``) left out."""
        return {k: v for k, v in record.items() if not k.startswith("_")}

    def _shape(self, coll: str, records: list[dict[str, Any]], req: Request, meta: dict[str, int]) -> dict:
        out = {r["id"]: self._public(coll, r) for r in records}
        body: dict[str, Any] = {
            "count": meta["count"],
            "results": [{"key": coll, "id": r["id"]} for r in records],
            coll: out,
        }
        for include in [i.strip() for i in (req.arg("include") or "").split(",") if i.strip()]:
            self._include(coll, include, records, out, body)
        body["meta"] = meta
        return body

    def _include(
        self, coll: str, include: str, records: list[dict[str, Any]], out: dict[str, dict], body: dict
    ) -> None:
        def add(target: str, rid: Any) -> None:
            found = self.store.peek(self.name, target, str(rid)) if rid else None
            if found is not None:
                bucket = body[coll] if target == coll else body.setdefault(target, {})
                bucket.setdefault(str(rid), self._public(target, found))

        if include == "external_references":
            for r in records:
                refs = [ref for ref in self._refs_of(coll, r["id"])]
                out[r["id"]]["external_reference_ids"] = [ref["id"] for ref in refs]
                for ref in refs:
                    body.setdefault("external_references", {})[ref["id"]] = self._public(
                        "external_references", ref
                    )
            return
        listed = _LIST_INCLUDES.get(coll, {}).get(include)
        if listed:
            attr, target = listed
            for r in records:
                for rid in r.get(attr) or []:
                    add(target, rid)
            return
        read_ref = _READ_REFS.get(coll, {}).get(include)
        ftype = COLLECTIONS[coll].fields.get(f"{include}_id", "")
        if read_ref or ftype.startswith("ref:"):
            attr, target = read_ref or (f"{include}_id", ftype[4:])
            for r in records:
                add(target, r.get(attr))

    def _refs_of(self, coll: str, rid: str) -> list[dict[str, Any]]:
        subject = COLLECTIONS[coll].subject_type
        return [
            ref
            for ref in self.store.all(self.name, "external_references")
            if ref["subject_type"] == subject and str(ref["subject_id"]) == str(rid)
        ]

    def index(self, req: Request, coll: str) -> Response:
        req.object_label = coll
        try:
            records = self._filter(coll, req)
            page = int(req.arg("page") or 1)
            per_page = min(MAX_PER_PAGE, int(req.arg("per_page") or DEFAULT_PER_PAGE))
        except KantataError as exc:
            return self._fail(exc)
        except ValueError:
            return self.error(400, "", "page and per_page must be integers")
        if page < 1 or per_page < 1:
            return self.error(400, "", "page and per_page must be positive")
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
        records = self._custom_field_filters(coll, req, records)
        only = req.arg("only")
        if only:
            wanted = {i.strip() for i in only.split(",")}
            records = [r for r in records if r["id"] in wanted]
        records = [r for r in records if self._visible(coll, r, req)]
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
        for name, attr in _ID_FILTERS.get(coll, {}).items():
            raw = req.arg(name)
            if raw is not None:
                wanted = {i.strip() for i in raw.split(",")}
                records = [r for r in records if _matches_id(r.get(attr), wanted)]
        for name in _PRESENCE.get(coll, ()):
            if req.arg(name) is not None:  # "always processed as true; the actual value is ignored"
                records = [r for r in records if _presence(coll, name, r)]
        for name in _BOOL_FILTERS.get(coll, ()):
            raw = req.arg(name)
            if raw is not None:
                flag = raw.lower() in ("true", "1", "yes")
                records = [r for r in records if _bool_filter(coll, name, r) == flag]
        records = self._external_filters(coll, req, records)
        between = req.arg("date_performed_between") if coll == "time_entries" else None
        if between:
            start, _, end = between.partition(":")
            records = [r for r in records if start <= (r.get("date_performed") or "") <= (end or "9999")]
        search = (req.arg("search") or "").casefold()
        if search:
            records = [
                r
                for r in records
                if search in str(r.get("title") or r.get("full_name") or r.get("name") or "").casefold()
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

    def _custom_field_filters(self, coll: str, req: Request, records: list[dict[str, Any]]) -> list[dict]:
        """GET /custom_fields ``subject_types`` (comma-separated, matched through the field's set);
        GET /custom_field_values ``subject_type`` (required: it names the set of fields)."""
        if coll == "custom_fields" and req.arg("subject_types"):
            wanted = {t.strip() for t in (req.arg("subject_types") or "").split(",") if t.strip()}
            return [r for r in records if self._subject_type_of(r) in wanted]
        if coll == "custom_field_values":
            subject_type = req.arg("subject_type")
            if not subject_type:
                raise KantataError(400, "system", "subject_type is required", "subject_type")
            return [r for r in records if r.get("subject_type") == subject_type]
        return records

    def _subject_type_of(self, custom_field: dict[str, Any]) -> str:
        found = self.store.peek(self.name, "custom_field_sets", str(custom_field.get("custom_field_set_id")))
        return str((found or {}).get("subject_type") or "")

    def _visible(self, coll: str, record: dict[str, Any], req: Request) -> bool:
        """Archived projects (and, by default, their time and expenses) are left out unless asked for."""
        if coll == "workspaces":
            archived = req.arg("archived") or (
                "include" if _truthy(req.arg("include_archived")) else "exclude"
            )
            if archived == "only":
                return bool(record.get("archived"))
            return archived == "include" or not record.get("archived")
        if coll in ("time_entries", "expenses") and not _truthy(req.arg("from_archived_workspaces")):
            ws = self.store.peek(self.name, "workspaces", str(record.get("workspace_id")))
            return not (ws and ws.get("archived"))
        return True

    def _external_filters(self, coll: str, req: Request, records: list[dict[str, Any]]) -> list[dict]:
        wanted = {
            "service_name": req.arg("external_reference_service_name"),
            "service_model": req.arg("external_reference_service_model"),
            "status": req.arg("external_reference_status"),
        }
        one_ref = req.arg("external_reference_service_model_ref")
        refs = req.arg("external_reference_service_model_refs")
        has = req.arg("has_external_references")
        if one_ref is not None and not one_ref.strip().lstrip("-").isdigit():
            raise KantataError(400, "system", "external_reference_service_model_ref must be an integer")
        ref_values = {v.strip() for v in refs.split(",")} if refs else None
        if ref_values is not None and len(ref_values) > 200:
            raise KantataError(400, "system", "external_reference_service_model_refs takes up to 200 ids")
        if one_ref is not None:
            ref_values = (ref_values or set()) | {one_ref.strip()}
        active = {k: v for k, v in wanted.items() if v is not None}
        if not active and ref_values is None and has is None:
            return records
        subject = COLLECTIONS[coll].subject_type
        matching: dict[str, bool] = {}
        for ref in self.store.all(self.name, "external_references"):
            if ref["subject_type"] != subject:
                continue
            ok = all(str(ref.get(k)) == v for k, v in active.items()) and (
                ref_values is None or str(ref.get("service_model_ref")) in ref_values
            )
            matching[str(ref["subject_id"])] = matching.get(str(ref["subject_id"]), False) or ok
        if has is not None:
            flag = _truthy(has)
            records = [r for r in records if (r["id"] in matching) == flag]
        if active or ref_values is not None:
            records = [r for r in records if matching.get(r["id"])]
        return records

    def show(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        record = self.store.peek(self.name, coll, rid)
        hidden = (
            record is not None and coll in ("workspaces", "expenses") and not self._visible(coll, record, req)
        )
        if record is None or hidden:
            return self.error(404, "", f"{COLLECTIONS[coll].singular} {rid} not found")
        return json_response(200, self._shape(coll, [record], req, _single_meta()))

    # -- writes -----------------------------------------------------------------------------------
    def create(self, req: Request, coll: str) -> Response:
        req.object_label = coll
        spec = COLLECTIONS[coll]
        try:
            if not (spec.writable and spec.creatable):
                raise KantataError(403, "system", f"{coll} cannot be created through the API")
            items = self._items(req, spec, coll)
            if coll == "custom_field_values":
                prepared = [self._custom_value(dict(item)) for item in items]
                for record in prepared:
                    self._replace_value(record)
                meta = {"count": len(prepared), "page_count": 1, "page_number": 1, "page_size": len(prepared)}
                return json_response(200, self._shape(coll, prepared, req, meta))
            prepared = [self._prepare(coll, None, dict(item)) for item in items]
            if coll == "invoices":
                prepared = [self._invoice(record) for record in prepared]
        except KantataError as exc:
            return self._fail(exc)
        for record in prepared:
            self._save(coll, record, "created")
        meta = {"count": len(prepared), "page_count": 1, "page_number": 1, "page_size": len(prepared)}
        return json_response(200, self._shape(coll, prepared, req, meta))

    def update(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        spec = COLLECTIONS[coll]
        existing = self.store.get(self.name, coll, rid)
        try:
            if existing is None:
                raise KantataError(404, "system", f"{spec.singular} {rid} not found")
            if not spec.writable or coll in ("invoices", "custom_field_values"):
                raise KantataError(403, "system", f"{coll} cannot be changed through this sandbox's API")
            body = req.json()
            attrs = body.get(spec.singular) if isinstance(body, dict) else None
            if not isinstance(attrs, dict):
                raise KantataError(400, "system", f'body must be {{"{spec.singular}": {{...}}}}')
            record = self._prepare(coll, existing, dict(attrs))
        except KantataError as exc:
            return self._fail(exc)
        except ValueError:
            return self.error(400, "", "Malformed JSON body")
        self._save(coll, record, "updated")
        return json_response(200, self._shape(coll, [record], req, _single_meta()))

    def delete(self, req: Request, coll: str, rid: str) -> Response:
        req.object_label = coll
        record = self.store.peek(self.name, coll, rid)
        if record is None:
            return self.error(404, "", f"{COLLECTIONS[coll].singular} {rid} not found")
        if not COLLECTIONS[coll].writable or coll in ("workspaces", "invoices"):
            return self.error(403, "", f"{coll} cannot be deleted through this sandbox's API")
        if record.get("is_invoiced"):  # "A time entry cannot be destroyed if ... the time has been invoiced"
            return self.error(422, "", f"{COLLECTIONS[coll].singular} {rid} has been invoiced", field="id")
        self.store.delete(self.name, coll, rid)
        self.emit(coll, "deleted", self._public(coll, record))
        return empty_response(204)

    def _save(self, coll: str, record: dict[str, Any], event: str) -> None:
        reference = record.pop("_external_reference", None)
        self.store.put(self.name, coll, record["id"], record)
        if reference is not None:
            self._put_reference(coll, record["id"], reference)
        self.emit(coll, event, self._public(coll, record))

    # -- custom field values ------------------------------------------------------------------------
    def _custom_value(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """One value of a POST /custom_field_values, checked against its field; nothing is saved until
        every value of the request passed."""
        spec = COLLECTIONS["custom_field_values"]
        for key in attrs:
            if key in spec.read_only:
                raise _invalid(f"{key} is read-only and cannot be set", key)
            if key not in spec.fields:
                raise _invalid(f"unknown attribute '{key}' for custom_field_value", key)
        for key in spec.required:
            if attrs.get(key) in (None, ""):
                raise _invalid(f"{key.replace('_', ' ').capitalize()} can't be blank", key)
        field_id = str(attrs["custom_field_id"])
        custom_field = self.store.peek(self.name, "custom_fields", field_id) if field_id.isdigit() else None
        if custom_field is None:
            raise _invalid(f"custom_field_id {field_id} does not exist", "custom_field_id")
        subject_type = attrs["subject_type"]
        field_subject = self._subject_type_of(custom_field)
        if subject_type != field_subject:
            raise _invalid(
                f"subject_type {subject_type} does not match custom field {field_id} ({field_subject})",
                "subject_type",
            )
        subject_id = self._coerce("subject_id", "int", attrs["subject_id"])
        target = CUSTOM_FIELD_SUBJECTS.get(str(subject_type))
        if target is None or self.store.peek(self.name, target, str(subject_id)) is None:
            raise _invalid(f"{subject_type} {subject_id} does not exist", "subject_id")
        value_type = str(custom_field.get("value_type"))
        value = _field_value(value_type, attrs.get("value"), custom_field)
        now = iso_offset(utcnow())
        return {
            "id": str(self.store.next_value("kantata:custom_field_values", ID_START["custom_field_values"])),
            "subject_type": subject_type,
            "subject_id": subject_id,
            "custom_field_id": field_id,
            "custom_field_name": custom_field.get("name"),
            "type": value_type,
            "value": value,
            "display_value": "" if value is None else str(value),
            "setter_id": API_USER,
            "can_edit": True,
            "created_at": now,
            "updated_at": now,
        }

    def _replace_value(self, record: dict[str, Any]) -> None:
        """One value per subject and field: the earlier one goes, the new one (a new id) stays."""
        for old in self.store.all(self.name, "custom_field_values"):
            same = (old["subject_type"], str(old["subject_id"]), old["custom_field_id"])
            if same == (record["subject_type"], str(record["subject_id"]), record["custom_field_id"]):
                self.store.delete(self.name, "custom_field_values", old["id"])
                self.emit("custom_field_values", "deleted", self._public("custom_field_values", old))
        self._save("custom_field_values", record, "created")

    def _put_reference(self, coll: str, rid: str, reference: dict[str, Any]) -> None:
        """One external reference per (subject, service_name): "If you are adding multiple external
        references to the same object, the service_name must be unique"."""
        now = iso_offset(utcnow())
        current = next(
            (r for r in self._refs_of(coll, rid) if r["service_name"] == reference["service_name"]), None
        )
        ref = (
            dict(current)
            if current
            else {
                "id": str(
                    self.store.next_value("kantata:external_references", ID_START["external_references"])
                ),
                "created_at": now,
            }
        )
        ref.update(
            {
                "subject_type": COLLECTIONS[coll].subject_type,
                "subject_id": int(rid),
                "status": "successful",
                **reference,
                "updated_at": now,
                "last_synced_at": now,
            }
        )
        self.store.put(self.name, "external_references", ref["id"], ref)

    def _items(self, req: Request, spec: Collection, coll: str) -> list[dict[str, Any]]:
        try:
            body = req.json()
        except ValueError:
            raise KantataError(400, "system", "Malformed JSON body") from None
        if isinstance(body, dict) and isinstance(body.get(spec.singular), dict):
            return [body[spec.singular]]
        if coll in BULK_CREATE and isinstance(body, dict) and isinstance(body.get(coll), list):
            items = body[coll]
            if not items or len(items) > MAX_BULK or not all(isinstance(i, dict) for i in items):
                raise KantataError(400, "system", f"{coll} must hold 1 to {MAX_BULK} objects")
            return items
        raise KantataError(400, "system", f'body must be {{"{spec.singular}": {{...}}}}')

    def _prepare(self, coll: str, existing: dict[str, Any] | None, attrs: dict[str, Any]) -> dict[str, Any]:
        spec = COLLECTIONS[coll]
        record = dict(existing) if existing else {**spec.defaults}
        reference = attrs.pop(EXTERNAL_REFERENCE, None)
        for key, value in attrs.items():
            ftype = spec.fields.get(key)
            if key in spec.read_only:
                raise _invalid(f"{key} is read-only and cannot be set", key)
            if ftype is None:
                raise _invalid(f"unknown attribute '{key}' for {spec.singular}", key)
            coerced = self._coerce(key, ftype, value)
            if existing is not None and key in spec.create_only and coerced != existing.get(key):
                raise _invalid(f"{key} can only be set when the {spec.singular} is created", key)
            record[key] = coerced
        if reference is not None:
            record["_external_reference"] = _reference(reference)
        if existing is None:
            self._check_required(coll, spec, record)
        self._derive(coll, record, existing)
        now = iso_offset(utcnow())
        if existing is None:
            record["id"] = str(self.store.next_value(f"kantata:{coll}", ID_START[coll]))
            record["created_at"] = now
        record["updated_at"] = now
        return record

    def _check_required(self, coll: str, spec: Collection, record: dict[str, Any]) -> None:
        if coll == "workspaces" and record.get("title") in (None, ""):
            raise _invalid("Please give your project a title", "title")  # the Errors section's wording
        if coll == "workspaces" and record.get("creator_role") in (None, ""):
            raise _invalid("Please select a role for this project", "creator_role")
        missing = [f for f in spec.required if record.get(f) in (None, "", [])]
        if missing:
            raise _invalid(f"{missing[0].replace('_', ' ').capitalize()} can't be blank", missing[0])
        if coll == "workspaces" and record.get("budgeted") and record.get("price") is None:
            raise _invalid("Price is required for budgeted projects", "price")  # create-workspace: price

    def _derive(self, coll: str, record: dict[str, Any], existing: dict[str, Any] | None) -> None:
        """What Kantata computes from what was written."""
        if coll == "workspaces":
            record.pop("creator_role", None)  # which team the creator joins; not read back
            if "price" in record and record["price"] is not None:
                record["price_in_cents"] = int(record["price"]) * 100
                record["price"] = price_text(record["price_in_cents"])
            if existing is None:
                record["creator_id"] = API_USER
        if coll == "expenses" and "billable" in record:
            record["is_billable"] = bool(record.pop("billable"))
        if coll == "expenses" and existing is None:
            category = self.store.peek(
                self.name, "expense_categories", str(record.get("expense_category_id"))
            )
            record["category"] = record.get("category") or (category or {}).get("name")
        if coll in ("time_entries", "expenses") and not record.get("user_id"):
            record["user_id"] = API_USER  # "set to the current_user ID by default"
        if coll in ("time_entries", "expenses") and existing is None:
            ws = self.store.peek(self.name, "workspaces", str(record["workspace_id"])) or {}
            record["currency"] = ws.get("currency") or "USD"
        if coll == "time_entries" and existing is None:
            user = self.store.peek(self.name, "users", str(record["user_id"])) or {}
            record.setdefault("cost_rate_in_cents", user.get("_cost_rate_in_cents"))
            if record.get("rate_in_cents") is None:
                record["rate_in_cents"] = user.get("_bill_rate_in_cents")
        if coll == "stories" and record.get("story_type") is None:
            record["story_type"] = "task"

    def _coerce(self, key: str, ftype: str, value: Any) -> Any:
        if value is None:
            return None
        bad = _invalid(f"{key} is invalid", key)
        if ftype == "int":
            if isinstance(value, bool) or (
                isinstance(value, str) and not value.strip().lstrip("-").isdigit()
            ):
                raise bad
            if isinstance(value, float) and not value.is_integer():
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
        if ftype.startswith("enum:"):
            allowed = ENUMS[ftype[5:]]
            if value not in allowed:
                raise _invalid(f"{key} must be one of {', '.join(allowed)}", key)
            return value
        if ftype.startswith("ref:"):
            target = ftype[4:]
            rid = str(value)
            if not rid.isdigit() or self.store.peek(self.name, target, rid) is None:
                raise _invalid(f"{key} {rid} does not exist", key)
            return rid
        if ftype == "list:int":
            if not isinstance(value, list):
                raise bad
            return [str(self._coerce(key, "int", v)) for v in value]
        if ftype == "list:object":
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise bad
            return value
        if ftype == "object":
            if not isinstance(value, dict):
                raise bad
            return value
        if not isinstance(value, str):
            raise bad
        return value

    # -- invoices -----------------------------------------------------------------------------------
    def _invoice(self, record: dict[str, Any]) -> dict[str, Any]:
        """POST /invoices: the documented way work becomes invoiced. Validates every line, then marks the
        time entries and expenses invoiced and creates the additional / fixed fee items."""
        workspace_ids = list(record.pop("workspace_ids", None) or [])
        if record.get("workspace_id"):
            workspace_ids = [str(record.pop("workspace_id")), *workspace_ids]
        record.pop("workspace_id", None)
        if not workspace_ids:
            raise _invalid("Either workspace_id or workspace_ids is required", "workspace_id")
        for wid in workspace_ids:
            if self.store.peek(self.name, "workspaces", wid) is None:
                raise _invalid(f"workspace {wid} does not exist", "workspace_id")
        time_ids = list(record.get("time_entry_ids") or [])
        expense_ids = list(record.get("expense_ids") or [])
        extra = list(record.pop("additional_items", None) or [])
        fixed = list(record.pop("fixed_fee_items", None) or [])
        if not (time_ids or expense_ids or extra or fixed):
            raise _invalid(
                "At least one of time_entry_ids, expense_ids, additional_items, fixed_fee_items or "
                "billing_milestone_ids is required",
                "time_entry_ids",
            )
        if int(record["payment_schedule"]) < 0:
            raise _invalid("payment_schedule is invalid", "payment_schedule")
        entries = [self._line("time_entries", "time_entry_ids", rid, workspace_ids) for rid in time_ids]
        expenses = [self._line("expenses", "expense_ids", rid, workspace_ids) for rid in expense_ids]
        total = sum(round(int(e["time_in_minutes"]) * int(e.get("rate_in_cents") or 0) / 60) for e in entries)
        total += sum(int(e["amount_in_cents"]) for e in expenses)
        now = iso_offset(utcnow())
        made: dict[str, list[str]] = {"additional_items": [], "fixed_fee_items": []}
        for coll, items in (("additional_items", extra), ("fixed_fee_items", fixed)):
            for item in items:
                line = self._nested_item(coll, item, workspace_ids)
                total += line["amount_in_cents"]
                line.update(
                    {"id": str(self.store.next_value(f"kantata:{coll}", ID_START[coll])), "created_at": now}
                )
                self.store.put(self.name, coll, line["id"], line)
                made[coll].append(line["id"])
        invoice_date = record.get("invoice_date") or date.today().isoformat()
        number = record.get("user_invoice_number") or self.store.next_value("kantata:invoice_number", 1001)
        draft = bool(record.get("draft"))
        ws = self.store.peek(self.name, "workspaces", workspace_ids[0]) or {}
        record.update(
            {
                "workspace_ids": workspace_ids,
                "time_entry_ids": [e["id"] for e in entries],
                "expense_ids": [e["id"] for e in expenses],
                "additional_item_ids": made["additional_items"],
                "fixed_fee_item_ids": made["fixed_fee_items"],
                "invoice_date": invoice_date,
                "due_date": (
                    date.fromisoformat(invoice_date) + timedelta(days=int(record["payment_schedule"]))
                ).isoformat(),
                "user_invoice_number": int(number),
                "title": f"{'Draft ' if draft else ''}Invoice #{number}",
                "status": "draft" if draft else "new",
                "balance_in_cents": int(total),
                "currency": ws.get("currency") or "USD",
                "user_id": API_USER,
                "recipient_id": None,
            }
        )
        record.pop("suppress_emails", None)
        for coll, lines in (("time_entries", entries), ("expenses", expenses)):
            for line in lines:
                line.update({"is_invoiced": True, "_invoice_id": record["id"], "updated_at": now})
                self.store.put(self.name, coll, line["id"], line)
                self.emit(coll, "updated", self._public(coll, line))
        return record

    def _line(self, coll: str, field_name: str, rid: str, workspace_ids: list[str]) -> dict[str, Any]:
        line = self.store.get(self.name, coll, rid)
        label = COLLECTIONS[coll].singular.replace("_", " ")
        if line is None:
            raise _invalid(f"{label} {rid} does not exist", field_name)
        if str(line.get("workspace_id")) not in workspace_ids:
            raise _invalid(f"{label} {rid} is not in the invoice's project", field_name)
        if line.get("is_invoiced"):
            raise _invalid(f"{label} {rid} has already been invoiced", field_name)
        if coll == "time_entries" and not line.get("approved"):
            # "These Time Entries must be approved through a Timesheet Submission before creating an invoice."
            raise _invalid(f"{label} {rid} has not been approved", field_name)
        billable = line.get("billable") if coll == "time_entries" else line.get("is_billable")
        if not billable:
            raise _invalid(f"{label} {rid} is not billable", field_name)
        return line

    def _nested_item(self, coll: str, item: dict[str, Any], workspace_ids: list[str]) -> dict[str, Any]:
        """additional_items / fixed_fee_items: notes, amount (the currency's main unit), taxable,
        workspace_id (fixed fee items also story_id)."""
        allowed = {"notes", "amount", "taxable", "workspace_id"} | (
            {"story_id"} if coll == "fixed_fee_items" else set()
        )
        for key in item:
            if key not in allowed:
                raise _invalid(f"unknown attribute '{key}' for {coll[:-1]}", coll)
        amount = item.get("amount")
        if amount is None or isinstance(amount, bool) or not isinstance(amount, int | float):
            raise _invalid(f"{coll[:-1]} amount is invalid", coll)
        wid = str(item.get("workspace_id") or workspace_ids[0])
        return {
            "notes": str(item.get("notes") or ""),
            "amount_in_cents": int(round(float(amount) * 100)),
            "taxable": bool(item.get("taxable", False)),
            "currency": "USD",
            "workspace_id": wid,
            **({"story_id": str(item["story_id"])} if item.get("story_id") else {}),
        }


def _reference(value: Any) -> dict[str, Any]:
    """The nested external_reference object: service_name, service_model and service_model_ref required."""
    if not isinstance(value, dict):
        raise _invalid("external_reference is invalid", EXTERNAL_REFERENCE)
    allowed = {
        "service_name", "service_model", "service_model_ref", "status", "external_message",
        "external_link", "external_status", "locked",
    }  # fmt: skip
    for key in value:
        if key not in allowed:
            raise _invalid(f"unknown attribute '{key}' for external_reference", EXTERNAL_REFERENCE)
    for key in ("service_name", "service_model", "service_model_ref"):
        if value.get(key) in (None, ""):
            raise _invalid(f"external_reference {key} can't be blank", EXTERNAL_REFERENCE)
    if value.get("status") not in (None, "successful", "pending", "failed"):
        raise _invalid("external_reference status must be successful, pending or failed", EXTERNAL_REFERENCE)
    return {k: (str(v) if k != "locked" else bool(v)) for k, v in value.items()}


def _field_value(value_type: str, value: Any, custom_field: dict[str, Any]) -> Any:
    """A value as its field's value_type takes it (null clears the field)."""
    if value is None:
        return None
    bad = _invalid(f"value is not a valid {value_type}", "value")
    if value_type in ("number", "currency"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise bad
        try:
            number = float(value)
        except ValueError:
            raise bad from None
        if not math.isfinite(number):
            raise bad
        return int(number) if number.is_integer() and not isinstance(value, float) else number
    if value_type == "date":
        if not isinstance(value, str) or len(value) != 10 or parse_iso(value) is None:
            raise bad
        return value
    if value_type in ("single", "multi"):
        choices = {str(c) for c in custom_field.get("choice_ids") or []}
        picked = value if isinstance(value, list) and value_type == "multi" else [value]
        if not picked or any(str(c) not in choices for c in picked):
            raise _invalid("value is not one of the custom field's choices", "value")
        return [str(c) for c in picked] if value_type == "multi" else str(value)
    if not isinstance(value, str):
        raise bad
    return value


def _matches_id(value: Any, wanted: set[str]) -> bool:
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    return str(value) in wanted


def _presence(coll: str, name: str, record: dict[str, Any]) -> bool:
    if name == "approved":
        return bool(record.get("approved"))
    if name == "invoiced":
        return bool(record.get("is_invoiced"))
    return not record.get("is_invoiced")  # uninvoiced


def _bool_filter(coll: str, name: str, record: dict[str, Any]) -> bool:
    if coll == "expenses" and name in ("invoiced", "uninvoiced"):
        return bool(record.get("is_invoiced")) == (name == "invoiced")
    return bool(record.get(name))


def _truthy(raw: str | None) -> bool:
    return (raw or "").lower() in ("true", "1", "yes")


def _single_meta() -> dict[str, int]:
    return {"count": 1, "page_count": 1, "page_number": 1, "page_size": 1}
