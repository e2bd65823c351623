"""The OpenAPI schema's finishing touches (a drf-spectacular postprocessing hook, see SPECTACULAR_SETTINGS).

Error answers share one body (``ApiError``, written by flowbuilder/api/errors.py), so they are declared
here once rather than on every view: 400 where the request can be refused (a body, query parameters, an
action on an object), 401/403 wherever a user must be signed in, 404 wherever the path names an object.
An operation that declares its own body for a status (409 of a stale draft, the expression preview's 400)
keeps it. The audit catalogue (``AuditActionEnum``) is published as a component although no endpoint lists
audit rows yet, so clients share the one set of names.
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "ApiError"
MUTATING = ("post", "put", "patch", "delete")
REASONS = {
    "400": "Refused: `detail`, and `errors` naming each field at fault.",
    "401": "Not signed in (token clients; a session client gets 403).",
    "403": "Not allowed for the user's role.",
    "404": "No such object, or one the user may not see.",
}


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The error statuses an operation can answer with the ApiError body."""
    statuses = []
    has_query = any(p.get("in") == "query" for p in operation.get("parameters", []))
    names_object = "{" in path
    if has_query or (method in MUTATING and ("requestBody" in operation or names_object)):
        statuses.append("400")
    if {} not in operation.get("security", []):  # ``{}``: anonymous allowed (AllowAny)
        statuses += ["401", "403"]
    if names_object:
        statuses.append("404")
    return statuses


def audit_action_enum() -> dict[str, Any]:
    from flowbuilder.audit.models import AuditAction

    lines = "\n".join(f"* `{a.value}` - {a.label}" for a in AuditAction)
    return {"enum": list(AuditAction.values), "type": "string", "description": lines}


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    if ERROR_COMPONENT not in schemas:
        raise RuntimeError(f"No operation references {ERROR_COMPONENT} (serializers/shapes.py ErrorShape).")
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(path, method, operation):
                responses.setdefault(
                    status, {"content": {"application/json": {"schema": ref}}, "description": REASONS[status]}
                )
            operation["responses"] = dict(sorted(responses.items()))
    schemas.setdefault("AuditActionEnum", audit_action_enum())
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result
