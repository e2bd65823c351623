"""Partner templates: publish versions, clone into customers, preview and roll out upgrades, pin, roll
back and report drift.

Every mutation takes a keyword-only ``actor``, checks it, runs in one transaction and writes one audit row
per object it changes (a clone into ten customers writes ten rows, each in the customer's trail). Only the
partner's admins and builders manage its templates; customers see their own instances and nothing else.

Credentials never travel: a template version is scrubbed of connection references and secret-looking
config values when it is published, and a customer's copy only ever points at the customer's own
connections (connection slots). The pure helpers at the top (parameters, scrubbing, rendering) touch no
ORM; the merge and the diff live in :mod:`.merge` and :mod:`.graph_diff`.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from flowbuilder.audit.actions import record
from flowbuilder.audit.models import AuditAction
from flowbuilder.core.errors import InvalidInputError, PermissionDeniedError
from flowbuilder.tenancy.governance import approval_policy
from flowbuilder.tenancy.models import Organisation, OrganisationKind
from flowbuilder.tenancy.permissions import can

from . import references, review, shared_values
from .actions import FlowInvalidError, error_findings
from .graph_diff import MISSING, diff_documents, get_at, is_empty, nodes_by_id, set_at, split
from .merge import merge_documents
from .models import Flow, Template, TemplateInstance, TemplateVersion

CONNECTION_FIELD = "connection"
SECRET_KEY = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|private[_-]?key|access[_-]?key|credential)",
    re.IGNORECASE,
)
PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_VALUE_BYTES = 64 * 1024


# --- pure helpers -------------------------------------------------------------------------------------


def scrub_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy with every connection reference unbound and every secret-looking config value emptied."""
    doc = copy.deepcopy(document)

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ("" if k == CONNECTION_FIELD or SECRET_KEY.search(str(k)) else scrub(v))
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    for node in doc.get("nodes") or []:
        if isinstance(node, dict) and isinstance(node.get("config"), dict):
            node["config"] = scrub(node["config"])
    return doc


def check_parameters(declared: Any, document: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate and normalise declared parameters against ``document``; raises InvalidInputError."""
    if declared is None:
        return []
    if not isinstance(declared, list):
        raise InvalidInputError("Parameters must be a list.", field="parameters")
    nodes = nodes_by_id(document)
    names: set[str] = set()
    result = []
    for i, p in enumerate(declared):
        where = f"parameters[{i}]"
        if not isinstance(p, dict):
            raise InvalidInputError("Each parameter must be an object.", field=where)
        name = p.get("name")
        if not isinstance(name, str) or not PARAMETER_NAME.match(name):
            raise InvalidInputError(
                "A parameter name is lower-case letters, digits and _ (starting with a letter).",
                field=f"{where}.name",
            )
        if name in names:
            raise InvalidInputError(f"Parameter {name!r} is declared twice.", field=f"{where}.name")
        names.add(name)
        kind = p.get("kind", "value")
        base = {
            "name": name,
            "kind": kind,
            "description": str(p.get("description") or "")[:2000],
            "required": bool(p.get("required", False)),
        }
        if kind == "connection":
            connector = p.get("connector")
            targets = p.get("nodes")
            if not isinstance(connector, str) or not connector:
                raise InvalidInputError(
                    "A connection slot names its connector key.", field=f"{where}.connector"
                )
            if not isinstance(targets, list) or not targets or any(str(t) not in nodes for t in targets):
                raise InvalidInputError(
                    "A connection slot lists the ids of the nodes that use it (nodes of this flow).",
                    field=f"{where}.nodes",
                )
            result.append({**base, "connector": connector, "nodes": [str(t) for t in targets]})
        elif kind == "value":
            pointer = p.get("pointer")
            try:
                segments = split(pointer)
            except (ValueError, AttributeError):
                segments = []
            if len(segments) < 3 or segments[0] != "nodes" or segments[1] not in nodes:
                raise InvalidInputError(
                    "A value parameter points into a node: /nodes/<node id>/config/<field>.",
                    field=f"{where}.pointer",
                )
            if segments[2] in ("id", "type") or any(
                s == CONNECTION_FIELD or SECRET_KEY.search(s) for s in segments[2:]
            ):
                raise InvalidInputError(
                    "This field cannot be a parameter (ids, types, connections and secrets are not "
                    "overridable; declare a connection slot instead).",
                    field=f"{where}.pointer",
                )
            parent = get_at(document, "".join(f"/{s}" for s in pointer[1:].split("/")[:-1]))
            if not isinstance(parent, dict):
                raise InvalidInputError(f"{pointer} does not exist in the flow.", field=f"{where}.pointer")
            entry = {**base, "pointer": pointer}
            if p.get("references") is not None:
                entry["references"] = p["references"]  # checked below, once every slot is known
            if p.get("shared") is not None:
                entry["shared"] = shared_values.check_declaration(p["shared"], where)
            if "default" in p:
                entry["default"] = p["default"]
            else:
                current = get_at(document, pointer)
                entry["default"] = None if current is MISSING else current
            result.append(entry)
        else:
            raise InvalidInputError("A parameter's kind is 'value' or 'connection'.", field=f"{where}.kind")
    slots = {p["name"]: p for p in result if p["kind"] == "connection"}
    for i, entry in enumerate(result):
        if "references" in entry:
            entry["references"] = references.check_declaration(entry["references"], slots, f"parameters[{i}]")
    return result


def render_document(
    document: dict[str, Any], parameters: list[dict], values: dict[str, Any]
) -> dict[str, Any]:
    """The version's document with the customer's parameter values and connection bindings applied."""
    doc = copy.deepcopy(document)
    for p in parameters:
        value = values.get(p["name"])
        if p["kind"] == "connection":
            ref = f"conn_{value}" if value is not None else ""
            for nid in p["nodes"]:
                node = nodes_by_id(doc).get(nid)
                if node is not None:
                    node.setdefault("config", {})[CONNECTION_FIELD] = ref
        else:
            chosen = value if p["name"] in values and value is not None else p.get("default")
            try:
                set_at(doc, p["pointer"], copy.deepcopy(chosen) if chosen is not None else MISSING)
            except KeyError:
                continue  # the node is gone in this version; nothing to set
    return doc


# --- permissions --------------------------------------------------------------------------------------


def _require_manage(actor: Any, template: Template) -> None:
    if not can(actor, "change", template):
        raise PermissionDeniedError("Only the partner's admins and builders manage its templates.")


def _version(template: Template, number: int | None) -> TemplateVersion:
    versions = template.versions.all()
    version = versions.filter(number=number).first() if number is not None else versions.first()
    if version is None:
        raise InvalidInputError(
            f"Template {template.name!r} has no version {number}." if number else "Publish a version first.",
            field="version",
        )
    return version


# --- templates and versions ---------------------------------------------------------------------------


def create_template(
    *,
    actor: Any,
    organisation: Organisation,
    name: str,
    source_flow: Flow | None = None,
    description: str = "",
    category: str = "",
    tags: list[str] | None = None,
) -> Template:
    if not can(actor, "change", organisation):
        raise PermissionDeniedError("Only the partner's admins and builders manage its templates.")
    if organisation.kind != OrganisationKind.PARTNER:
        raise InvalidInputError("Templates belong to a partner organisation.", field="organisation")
    if source_flow is not None and source_flow.organisation_id != organisation.pk:
        raise InvalidInputError(
            "The source flow must be one of the partner's own flows.", field="source_flow"
        )
    with transaction.atomic():
        template = Template.objects.create(
            organisation=organisation,
            name=name,
            description=description,
            category=category,
            tags=tags or [],
            source_flow=source_flow,
            created_by=actor,
        )
        record(
            AuditAction.TEMPLATE_CREATE,
            actor=actor,
            organisation=organisation,
            obj=template,
            after={"name": name, "source_flow": source_flow.pk if source_flow else None},
        )
    return template


def publish_template_version(
    *,
    actor: Any,
    template: Template,
    source: str = "draft",
    parameters: list[dict] | None = None,
    changelog: str = "",
) -> TemplateVersion:
    """Freeze the source flow's draft (or published version) into a new, scrubbed template version."""
    _require_manage(actor, template)
    flow = template.source_flow
    if flow is None:
        raise InvalidInputError("The template has no source flow to publish from.", field="source_flow")
    if source == "published":
        if flow.published_version is None:
            raise InvalidInputError("The source flow has no published version yet.", field="source")
        document, source_version = flow.published_version.document, flow.published_version
    elif source == "draft":
        document, source_version = flow.draft_document, None
    else:
        raise InvalidInputError("source is 'draft' or 'published'.", field="source")
    problems = error_findings(document)
    if problems:
        raise FlowInvalidError(problems)
    declared = check_parameters(parameters, document)
    with transaction.atomic():
        Template.objects.select_for_update().filter(pk=template.pk).first()
        top = template.versions.aggregate(m=Max("number"))["m"] or 0
        version = TemplateVersion.objects.create(
            template=template,
            organisation_id=template.organisation_id,
            number=top + 1,
            document=scrub_document(document),
            parameters=declared,
            changelog=changelog,
            source_version=source_version,
            created_by=actor,
        )
        Template.objects.filter(pk=template.pk).update(updated_at=timezone.now())
        record(
            AuditAction.TEMPLATE_PUBLISH,
            actor=actor,
            organisation=template.organisation_id,
            obj=template,
            after={"version": version.number, "source": source, "parameters": [p["name"] for p in declared]},
        )
    return version


# --- parameter values ---------------------------------------------------------------------------------


def _check_values(
    version: TemplateVersion, customer: Organisation, values: Any
) -> tuple[dict[str, Any], dict[str, list[str]], list[str]]:
    """(clean values, errors by parameter, unbound connection slots) for one customer."""
    from flowbuilder.credentials.models import Connection

    errors: dict[str, list[str]] = {}
    if values is None:
        values = {}
    if not isinstance(values, dict):
        return {}, {"parameters": ["Parameter values are an object of name -> value."]}, []
    declared = {p["name"]: p for p in version.parameters}
    for name in values:
        if name not in declared:
            errors.setdefault(name, []).append(
                f"Template version {version.number} declares no parameter {name!r}."
            )
    clean: dict[str, Any] = {}
    unbound: list[str] = []
    for name, p in declared.items():
        value = values.get(name)
        if p["kind"] == "connection":
            if value in (None, ""):
                clean[name] = None
                unbound.append(name)
                continue
            raw = str(value).removeprefix("conn_")
            conn = (
                Connection.objects.filter(
                    pk=int(raw), organisation=customer, connector=p["connector"]
                ).first()
                if raw.isdigit() and len(raw) < 19
                else None
            )
            if conn is None:
                errors.setdefault(name, []).append(
                    f"Not a {p['connector']} connection of {customer.name}; bind one of the customer's own."
                )
            else:
                clean[name] = conn.pk
            continue
        if value is None or value == "":
            if p["required"]:
                errors.setdefault(name, []).append(f"{name} is required: {p['description'] or p['pointer']}.")
            continue
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError, RecursionError):
            size = MAX_VALUE_BYTES + 1
        if size > MAX_VALUE_BYTES:
            errors.setdefault(name, []).append("The value is not plain JSON or is larger than 64 KB.")
            continue
        clean[name] = value
    return clean, errors, unbound


def _upgraded_values(version: TemplateVersion, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Carry values over to ``version``'s parameters; names it requires and nobody set are missing."""
    declared = {p["name"]: p for p in version.parameters}
    kept = {k: v for k, v in values.items() if k in declared}
    missing = [
        n for n, p in declared.items() if p["kind"] == "value" and p["required"] and kept.get(n) in (None, "")
    ]
    return kept, missing


# --- clone --------------------------------------------------------------------------------------------


def clone_template(
    *, actor: Any, template: Template, targets: list[dict[str, Any]], version: int | None = None
) -> list[dict[str, Any]]:
    """Copy a template version into one or many of the partner's customers.

    ``targets``: ``[{"customer": <id>, "parameters": {...}, "name": "..."}]``. Each customer gets a flow
    (a draft) with its parameter values applied and its connection slots unbound unless bound to one of its
    own connections. Returns one result per target; a bad target is reported, the others still clone.
    Parameters naming ERP records are looked up in the customer's ERP (:mod:`.references`): a missing one
    refuses that customer's clone, naming the parameter; an unbound ERP slot leaves the check pending
    (``pending_checks``) until publish. A shared parameter (:mod:`.shared_values`) whose value differs from
    the customer's other copy of a template sharing it refuses the clone the same way.
    """
    _require_manage(actor, template)
    chosen = _version(template, version)
    customers = Organisation.objects.in_bulk(
        [t.get("customer") for t in targets if isinstance(t, dict) and isinstance(t.get("customer"), int)]
    )
    results: list[dict[str, Any]] = []
    seen: set[int] = set()
    with transaction.atomic():
        for target in targets:
            customer_id = target.get("customer") if isinstance(target, dict) else None
            result: dict[str, Any] = {"customer": customer_id, "ok": False, "errors": {}}
            results.append(result)
            customer = customers.get(customer_id) if isinstance(customer_id, int) else None
            if customer is None or customer.parent_id != template.organisation_id:
                result["errors"] = {"customer": [f"No such customer of {template.organisation.name}."]}
                continue
            if customer.pk in seen:
                result["errors"] = {"customer": ["This customer is listed twice."]}
                continue
            seen.add(customer.pk)
            values, errors, unbound = _check_values(chosen, customer, target.get("parameters"))
            if errors:
                result["errors"] = errors
                continue
            name = str(target.get("name") or template.name)[:200]
            rendered = render_document(chosen.document, chosen.parameters, values)
            # ERP ids among the values must exist in the customer's ERP (pending until it is connected).
            problems, pending = references.check(customer.pk, chosen.parameters, rendered)
            if problems:
                result["errors"] = problems
                continue
            # Shared values (the field owners of a two-way sync) must match the customer's other copies.
            problems = shared_values.as_errors(
                shared_values.disagreements(customer.pk, template.name, chosen.parameters, rendered)
            )
            if problems:
                result["errors"] = problems
                continue
            with transaction.atomic():
                now = timezone.now()
                flow = Flow.objects.create(
                    organisation=customer,
                    name=name,
                    description=template.description,
                    tags=list(template.tags),
                    created_by=actor,
                    draft_document=rendered,
                    draft_saved_by=actor,
                    draft_saved_at=now,
                )
                instance = TemplateInstance.objects.create(
                    template=template,
                    customer=customer,
                    flow=flow,
                    based_on=chosen,
                    parameter_values=values,
                    rendered_document=rendered,
                    created_by=actor,
                )
                record(
                    AuditAction.TEMPLATE_CLONE,
                    actor=actor,
                    organisation=customer,
                    obj=instance,
                    after={"template": template.pk, "version": chosen.number, "flow": flow.pk},
                )
            result.update(
                ok=True,
                instance=instance.pk,
                flow=flow.pk,
                version=chosen.number,
                unbound=unbound,
                pending_checks=pending,
            )
            _review_if_required(actor, flow, customer, result, f"{template.name} v{chosen.number}")
    return results


def dry_run_clone(
    *, actor: Any, template: Template, targets: list[dict[str, Any]], version: int | None = None
) -> list[dict[str, Any]]:
    """What cloning would do for each customer, without creating anything.

    Per customer: parameter errors, the validation findings of the rendered flow, and a live test of every
    bound connection (the customer's sandbox or production systems). Nothing is written except the
    connections' last-test results.
    """
    from flowbuilder.credentials.actions import test_connection
    from flowbuilder.credentials.models import Connection
    from flowbuilder.validation import validate_document

    _require_manage(actor, template)
    chosen = _version(template, version)
    ids = [t.get("customer") for t in targets if isinstance(t, dict) and isinstance(t.get("customer"), int)]
    customers = Organisation.objects.in_bulk(ids)
    slots = {p["name"]: p for p in chosen.parameters if p["kind"] == "connection"}
    results: list[dict[str, Any]] = []
    for target in targets:
        customer_id = target.get("customer") if isinstance(target, dict) else None
        result: dict[str, Any] = {"customer": customer_id, "ok": False, "dry_run": True, "errors": {}}
        results.append(result)
        customer = customers.get(customer_id) if isinstance(customer_id, int) else None
        if customer is None or customer.parent_id != template.organisation_id:
            result["errors"] = {"customer": [f"No such customer of {template.organisation.name}."]}
            continue
        values, errors, unbound = _check_values(chosen, customer, target.get("parameters"))
        rendered = render_document(chosen.document, chosen.parameters, values)
        pending: list[str] = []
        if not errors:
            problems, pending = references.check(customer.pk, chosen.parameters, rendered)
            errors.update(problems)
            disagree = shared_values.disagreements(customer.pk, template.name, chosen.parameters, rendered)
            for name, messages in shared_values.as_errors(disagree).items():
                errors.setdefault(name, []).extend(messages)
        # An unbound slot is reported as such, not as a broken node: binding it is the next step.
        waiting = {(n, "connection") for name in unbound for n in slots[name].get("nodes", [])}
        findings = [
            f.as_dict()
            for f in validate_document(rendered)
            if f.severity == "error" and (f.node_id, f.field) not in waiting
        ]
        tests: dict[str, dict[str, Any]] = {}
        for name, connection_id in values.items():
            if name in slots and connection_id:
                connection = Connection.objects.get(pk=connection_id)
                try:
                    outcome = test_connection(actor=actor, connection=connection)
                    tests[name] = {"ok": outcome.ok, "message": outcome.message}
                except PermissionDeniedError as exc:
                    tests[name] = {"ok": False, "message": exc.message}
        ok = not errors and not findings and all(t["ok"] for t in tests.values())
        result.update(
            ok=ok,
            errors=errors,
            findings=findings,
            connections=tests,
            unbound=unbound,
            pending_checks=pending,
            ready_to_publish=ok and not unbound,
        )
    return results


# --- upgrades -----------------------------------------------------------------------------------------


def _instances(template: Template, ids: list[int] | None):
    qs = template.instances.select_related("customer", "flow", "based_on")
    return qs.filter(pk__in=ids) if ids is not None else qs


def _plan_upgrade(
    instance: TemplateInstance, target: TemplateVersion, resolutions: dict[str, Any] | None = None
) -> dict[str, Any]:
    values, missing = _upgraded_values(target, instance.parameter_values or {})
    theirs = render_document(target.document, target.parameters, values)
    ours = instance.flow.draft_document
    merged = merge_documents(instance.rendered_document, ours, theirs, resolutions)
    return {
        "values": values,
        "missing_parameters": missing,
        "theirs": theirs,
        "merge": merged,
        "diff": diff_documents(ours, theirs),
        "changes": diff_documents(ours, merged.document),
    }


def preview_upgrade(
    *, actor: Any, template: Template, version: int, instances: list[int] | None = None
) -> list[dict[str, Any]]:
    """Per instance: the new version vs the customer's copy, the merge result and its conflicts."""
    _require_manage(actor, template)
    target = _version(template, version)
    out = []
    for instance in _instances(template, instances):
        plan = _plan_upgrade(instance, target)
        out.append(
            {
                "instance": instance.pk,
                "customer": instance.customer_id,
                "flow": instance.flow_id,
                "from_version": instance.based_on.number,
                "to_version": target.number,
                "pinned": instance.pinned,
                "diff": plan["diff"],
                "changes": plan["changes"],
                "conflicts": plan["merge"].conflicts,
                "warnings": plan["merge"].warnings,
                "missing_parameters": plan["missing_parameters"],
                "document": plan["merge"].document,
            }
        )
    return out


def upgrade_instances(
    *,
    actor: Any,
    template: Template,
    version: int,
    instances: list[int],
    resolutions: dict[int, dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Roll ``version`` out to the chosen instances (a staged rollout). Pinned instances are skipped;
    an instance whose merge has unresolved conflicts is reported and left unchanged."""
    _require_manage(actor, template)
    target = _version(template, version)
    resolutions = resolutions or {}
    found = {i.pk: i for i in _instances(template, instances)}
    results = []
    with transaction.atomic():
        for pk in dict.fromkeys(instances):
            instance = found.get(pk)
            result: dict[str, Any] = {"instance": pk, "status": "", "conflicts": []}
            results.append(result)
            if instance is None:
                result["status"] = "not_found"
                continue
            if instance.pinned:
                result["status"] = "skipped_pinned"
                continue
            if instance.based_on.number >= target.number:
                result["status"] = "up_to_date"
                continue
            Flow.objects.select_for_update().filter(pk=instance.flow_id).first()
            instance.flow.refresh_from_db(fields=["draft_document"])
            try:
                plan = _plan_upgrade(instance, target, resolutions.get(pk) or resolutions.get(str(pk)))
            except ValueError as exc:
                raise InvalidInputError(str(exc), field="resolutions") from exc
            if plan["missing_parameters"]:
                result.update(status="missing_parameters", missing_parameters=plan["missing_parameters"])
                continue
            if plan["merge"].conflicts:
                result.update(status="conflicts", conflicts=plan["merge"].conflicts)
                continue
            problems, pending = references.check(
                instance.customer_id, target.parameters, plan["merge"].document
            )
            if problems:
                result.update(status="invalid_references", errors=problems)
                continue
            disagree = shared_values.disagreements(
                instance.customer_id,
                template.name,
                target.parameters,
                plan["merge"].document,
                exclude_flow=instance.flow_id,
            )
            if disagree:
                result.update(status="shared_values_disagree", errors=shared_values.as_errors(disagree))
                continue
            result["pending_checks"] = pending
            _apply(
                actor,
                instance,
                document=plan["merge"].document,
                version=target,
                rendered=plan["theirs"],
                values=plan["values"],
                keep_previous=True,
                action=AuditAction.TEMPLATE_UPGRADE,
            )
            result.update(status="upgraded", resolved=plan["merge"].resolved, warnings=plan["merge"].warnings)
            _review_if_required(
                actor, instance.flow, instance.customer, result, f"{template.name} v{target.number}"
            )
    return results


def _apply(
    actor: Any,
    instance: TemplateInstance,
    *,
    document: dict,
    version: TemplateVersion,
    rendered: dict,
    values: dict,
    keep_previous: bool,
    action: AuditAction,
) -> None:
    now = timezone.now()
    before = {"version": instance.based_on.number}
    if keep_previous:
        instance.previous_version = instance.based_on
        instance.previous_document = instance.flow.draft_document
        instance.previous_rendered_document = instance.rendered_document
    else:
        instance.previous_version = None
        instance.previous_document = None
        instance.previous_rendered_document = None
    Flow.objects.filter(pk=instance.flow_id).update(
        draft_document=document,
        draft_revision=F("draft_revision") + 1,
        draft_saved_by=actor,
        draft_saved_at=now,
        updated_at=now,
    )
    instance.based_on = version
    instance.rendered_document = rendered
    instance.parameter_values = values
    instance.save()
    record(
        action,
        actor=actor,
        organisation=instance.customer_id,
        obj=instance,
        before=before,
        after={"version": version.number, "flow": instance.flow_id},
    )


def _review_if_required(actor: Any, flow: Flow, customer: Organisation, result: dict, label: str) -> None:
    """A customer that requires four-eyes publishing gets a review request for the rolled-out draft, not
    a live flow (customers without the rule get the draft only, as before, and publish it themselves)."""
    if not approval_policy(customer).required:
        return
    document = Flow.objects.values_list("draft_document", flat=True).get(pk=flow.pk)
    problems = error_findings(document)
    if problems:
        result.update(
            review=None,
            review_problem=f"{len(problems)} problem(s) to fix before review: "
            + "; ".join(p["message"] for p in problems[:3]),
        )
        return
    version = review.submit_for_review(
        actor=actor,
        flow=flow,
        document=document,
        comment=f"template rollout: {label}",
        origin=review.ReviewOrigin.TEMPLATE,
    )
    result["review"] = version.pk


def rollback_instance(*, actor: Any, instance: TemplateInstance) -> TemplateInstance:
    """Put back the customer's copy as it was under the previous template version."""
    _require_manage(actor, instance.template)
    with transaction.atomic():
        instance = (
            TemplateInstance.objects.select_for_update()
            .select_related("flow", "based_on")
            .get(pk=instance.pk)
        )
        if instance.previous_version is None or instance.previous_document is None:
            raise InvalidInputError("This copy has not been upgraded; there is nothing to roll back to.")
        _apply(
            actor,
            instance,
            document=instance.previous_document,
            version=instance.previous_version,
            rendered=instance.previous_rendered_document or instance.previous_document,
            values=instance.parameter_values,
            keep_previous=False,
            action=AuditAction.TEMPLATE_ROLLBACK,
        )
    instance.flow.refresh_from_db()
    return instance


def set_pinned(*, actor: Any, instance: TemplateInstance, pinned: bool) -> TemplateInstance:
    """A pinned copy stays on its version: upgrades skip it."""
    _require_manage(actor, instance.template)
    with transaction.atomic():
        TemplateInstance.objects.filter(pk=instance.pk).update(pinned=pinned, updated_at=timezone.now())
        instance.refresh_from_db()
        record(
            AuditAction.TEMPLATE_PIN if pinned else AuditAction.TEMPLATE_UNPIN,
            actor=actor,
            organisation=instance.customer_id,
            obj=instance,
            after={"pinned": pinned},
        )
    return instance


# --- drift --------------------------------------------------------------------------------------------


def drift_report(*, actor: Any, template: Template) -> list[dict[str, Any]]:
    """Every copy of ``template`` with how its draft differs from what the template produced for it."""
    _require_manage(actor, template)
    out = []
    for instance in _instances(template, None):
        diff = diff_documents(instance.rendered_document, instance.flow.draft_document)
        out.append(
            {
                "instance": instance.pk,
                "customer": instance.customer_id,
                "flow": instance.flow_id,
                "version": instance.based_on.number,
                "drifted": not is_empty(diff),
                "diff": diff,
            }
        )
    return out


__all__ = [
    "check_parameters",
    "clone_template",
    "create_template",
    "drift_report",
    "preview_upgrade",
    "publish_template_version",
    "render_document",
    "rollback_instance",
    "scrub_document",
    "set_pinned",
    "upgrade_instances",
]
