"""`/_admin/*`: tenants, OAuth clients, faults, webhooks, record actions, reset, stats, config.

Unauthenticated: the sandbox binds loopback only. State-changing calls pass the same-origin check
(origin.py). Every call takes JSON; the page forms post the same calls form-encoded and get a 303 back
to the page they came from (`return_to`, a path on this sandbox) with `done=` or `error=`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode

from .actions import ActionError
from .faults import FaultError
from .messages import Request, Response, empty_response, json_response
from .oauth.errors import OAuthError
from .origin import refusal
from .tenancy import TenantError, bound
from .webhooks import WebhookError

if TYPE_CHECKING:
    from .server import Sandbox

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class AdminError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _is_form(req: Request) -> bool:
    return req.header("content-type").split(";")[0].strip().lower() in FORM_TYPES


def _body(req: Request) -> Any:
    if _is_form(req):
        parsed = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
    if not req.body:
        return {}
    return json.loads(req.body)


def _return_to(value: Any) -> str:
    """Only a path on this sandbox (never another site: //host or a scheme)."""
    path = str(value or "/")
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _back(req: Request, body: Any, *, done: str = "", error: str = "") -> Response:
    target = _return_to(body.get("return_to") if isinstance(body, dict) else "/")
    base, _, query = target.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items() if k not in ("done", "error")}
    params.update({"done": done} if done else {"error": error})
    return empty_response(303, {"Location": f"{base}?{urlencode(params)}"})


def handle(sandbox: Sandbox, req: Request) -> Response:
    action = req.path[len("/_admin/") :].strip("/")
    parts = action.split("/")
    if req.method in ("POST", "PUT", "PATCH", "DELETE"):
        why = refusal(req, loopback_only=not sandbox.config.allow_non_loopback)
        if why:
            return json_response(403, {"error": f"refused: {why}"})
    try:
        body = _body(req) if req.method in ("POST", "PUT", "PATCH") else {}
    except ValueError:
        return json_response(400, {"error": "body must be JSON"})
    form = _is_form(req)
    handler = _route(req.method, parts)
    if handler is None:
        return json_response(404, {"error": f"unknown admin endpoint {req.method} {req.path}"})
    try:
        resp = handler(sandbox, req, parts, body)
    except (AdminError, FaultError, WebhookError, TenantError, ActionError, OAuthError) as exc:
        message = exc.description if isinstance(exc, OAuthError) else str(exc)
        if form:
            return _back(req, body, error=message)
        return json_response(
            getattr(exc, "status", 400) if isinstance(exc, AdminError) else 400, {"error": message}
        )
    if form and isinstance(resp, Response) and resp.status < 400:
        return _back(req, body, done=_summary(resp))
    return resp


def _summary(resp: Response) -> str:
    try:
        data = json.loads(resp.body) if resp.body else {}
    except ValueError:
        return "done"
    return str(data.get("message") or "done") if isinstance(data, dict) else "done"


Handler = Callable[["Sandbox", Request, list[str], Any], Response]


def _route(method: str, parts: list[str]) -> Handler | None:
    head, n = parts[0], len(parts)
    table: dict[tuple[str, str, int], Handler] = {
        ("POST", "faults", 1): _add_faults,
        ("GET", "faults", 1): lambda s, r, p, b: json_response(200, {"faults": s.faults.list()}),
        ("DELETE", "faults", 1): _clear_faults,
        ("POST", "faults", 2): _clear_faults,  # /_admin/faults/clear (forms cannot DELETE)
        ("DELETE", "faults", 2): _delete_fault,
        ("POST", "faults", 3): _delete_fault,  # /_admin/faults/<id>/delete
        ("POST", "reset", 1): _reset,
        ("GET", "stats", 1): _stats,
        ("DELETE", "stats", 1): _clear_stats,
        ("POST", "webhooks", 1): _add_webhook,
        ("GET", "webhooks", 1): _list_webhooks,
        ("GET", "webhooks", 2): _deliveries,
        ("DELETE", "webhooks", 1): _delete_webhooks,
        ("DELETE", "webhooks", 2): _delete_webhooks,
        ("POST", "webhooks", 3): _delete_webhooks,  # /_admin/webhooks/<id>/delete
        ("GET", "config", 1): lambda s, r, p, b: json_response(200, s.config.to_dict()),
        ("POST", "config", 1): _config,
        ("PATCH", "config", 1): _config,
        ("POST", "expire_tokens", 1): _expire_tokens,
        ("GET", "counts", 1): _counts,
        ("GET", "tenants", 1): _list_tenants,
        ("POST", "tenants", 1): _add_tenant,
        ("GET", "tenants", 2): _get_tenant,
        ("POST", "tenants", 3): _reset_tenant,  # /_admin/tenants/<name>/reset
        ("GET", "clients", 1): _list_clients,
        ("POST", "clients", 1): _register_client,
        ("GET", "clients", 3): _get_client,
        ("DELETE", "clients", 3): _delete_client,
        ("POST", "clients", 4): _client_extra,  # .../certificates, .../tba_tokens, .../delete
        ("POST", "actions", 1): _run_action,
    }
    return table.get((method, head, n))


# -- faults -----------------------------------------------------------------------------------------
def _add_faults(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    specs = body if isinstance(body, list) else [body]
    tenants = tuple(t.name for t in sandbox.tenants.all())
    added = [sandbox.faults.add(s, tuple(sandbox.systems), tenants) for s in specs if isinstance(s, dict)]
    message = f"fault {added[0].id} added" if len(added) == 1 else f"{len(added)} faults added"
    return json_response(201, {"faults": [f.__dict__ for f in added], "message": message})


def _clear_faults(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if len(parts) == 2 and parts[1] != "clear":
        return _delete_fault(sandbox, req, parts, body)
    source = body if isinstance(body, dict) and body else {k: v[0] for k, v in req.query.items()}
    removed = sandbox.faults.clear(source.get("system") or None, source.get("tenant") or None)
    if req.method == "DELETE":
        return empty_response(204)
    return json_response(200, {"removed": removed, "message": f"{removed} faults cleared"})


def _delete_fault(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if not parts[1].isdigit() or (len(parts) == 3 and parts[2] != "delete"):
        raise AdminError("fault id must be a number", 400)
    if not sandbox.faults.clear(fault_id=int(parts[1])):
        raise AdminError("no such fault", 404)
    if req.method == "DELETE":
        return empty_response(204)
    return json_response(200, {"message": f"fault {parts[1]} cleared"})


# -- reset, stats, config, tokens -------------------------------------------------------------------
def _reset(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    counts = sandbox.reseed()
    sandbox.faults.clear()
    sandbox.stats.reset()
    sandbox.rates.reset()
    sandbox.store.delete_webhooks(all_tenants=True)
    sandbox.webhooks.clear_log()
    return json_response(200, {"reset": True, "counts": counts, "message": "sandbox reset"})


def _stats(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    stats = sandbox.stats.snapshot()
    stats["webhooks"] = {"delivered": sandbox.webhooks.delivered, "failed": sandbox.webhooks.failed}
    return json_response(200, stats)


def _clear_stats(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    sandbox.stats.reset()
    return empty_response(204)


def _config(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if not isinstance(body, dict):
        raise AdminError("body must be an object")
    try:
        unknown = sandbox.config.update(body)
    except (TypeError, ValueError) as exc:
        raise AdminError(f"bad config value: {exc}") from None
    sandbox.webhooks.timeout = sandbox.config.webhook_timeout
    return json_response(200, {"config": sandbox.config.to_dict(), "unknown_keys": unknown})


def _expire_tokens(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    system = body.get("system") if isinstance(body, dict) else None
    tenant = body.get("tenant") if isinstance(body, dict) else None
    expired = sandbox.oauth.tokens.expire_all(system or None, tenant or None)
    return json_response(200, {"expired": expired, "message": f"{expired} access tokens expired"})


def _counts(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    tenant = _tenant(sandbox, req.arg("tenant") or "default")
    sandbox.tenants.ensure_seeded(tenant)
    store = sandbox.store.for_tenant(tenant)
    return json_response(
        200, {name: {obj: store.count(name, obj) for obj in store.objects(name)} for name in sandbox.systems}
    )


# -- webhooks ---------------------------------------------------------------------------------------
def _add_webhook(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    system = body.get("system") if isinstance(body, dict) else None
    if system not in sandbox.systems:
        raise AdminError(f"system must be one of {sorted(sandbox.systems)}")
    tenant = _tenant(sandbox, body.get("tenant") or "default")
    hook = sandbox.webhooks.register(system, str(body.get("object") or "*"), str(body.get("url", "")), tenant)
    return json_response(201, {**hook, "message": f"webhook {hook['id']} registered"})


def _list_webhooks(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    hooks = sandbox.store.webhooks(all_tenants=True)
    if req.arg("tenant"):
        hooks = [h for h in hooks if h["tenant"] == req.arg("tenant")]
    return json_response(200, {"webhooks": hooks})


def _deliveries(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if parts[1] != "deliveries":
        return json_response(404, {"error": f"unknown admin endpoint {req.method} {req.path}"})
    return json_response(200, {"deliveries": sandbox.webhooks.deliveries(req.arg("tenant") or None)})


def _delete_webhooks(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    hook_id = parts[1] if len(parts) > 1 else None
    if hook_id is not None and (not hook_id.isdigit() or (len(parts) == 3 and parts[2] != "delete")):
        raise AdminError("webhook id must be a number")
    removed = sandbox.store.delete_webhooks(int(hook_id) if hook_id else None, all_tenants=hook_id is None)
    if hook_id is not None and not removed:
        raise AdminError("no such hook", 404)
    if req.method == "DELETE":
        return empty_response(204)
    return json_response(200, {"message": f"webhook {hook_id} removed"})


# -- tenants ----------------------------------------------------------------------------------------
def _tenant(sandbox: Sandbox, name: str) -> str:
    if sandbox.tenants.get(name) is None:
        raise AdminError(
            f"unknown tenant {name!r}; tenants: {', '.join(t.name for t in sandbox.tenants.all())}", 404
        )
    return name


def describe_tenant(sandbox: Sandbox, name: str, base_url: str) -> dict[str, Any]:
    tenant = sandbox.tenants.get(name)
    assert tenant is not None
    systems = {}
    for system, profile in sandbox.auth_profiles.items():
        default = profile.default_client(tenant)
        systems[system] = {
            **profile.identity(tenant, base_url),
            "default_client": {"client_id": default.client_id, "client_secret": default.secret},
        }
    return {**tenant.to_dict(), "seeded": sandbox.tenants.is_seeded(name), "systems": systems}


def _list_tenants(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    return json_response(
        200, {"tenants": [describe_tenant(sandbox, t.name, req.base_url) for t in sandbox.tenants.all()]}
    )


def _add_tenant(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if not isinstance(body, dict) or not body.get("name"):
        raise AdminError("name is required")
    existed = sandbox.tenants.get(str(body["name"])) is not None
    tenant = sandbox.add_tenant(str(body["name"]), str(body.get("title") or "") or None)
    described = describe_tenant(sandbox, tenant.name, req.base_url)
    return json_response(200 if existed else 201, {**described, "message": f"tenant {tenant.name} ready"})


def _get_tenant(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    return json_response(200, describe_tenant(sandbox, _tenant(sandbox, parts[1]), req.base_url))


def _reset_tenant(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if parts[2] != "reset":
        raise AdminError(f"unknown admin endpoint {req.method} {req.path}", 404)
    name = _tenant(sandbox, parts[1])
    counts = sandbox.tenants.reseed(name)
    for system in sandbox.systems.values():
        system.reset()
    return json_response(200, {"tenant": name, "counts": counts, "message": f"tenant {name} reseeded"})


# -- OAuth clients ----------------------------------------------------------------------------------
def _list_clients(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    clients = sandbox.oauth.clients.list(req.arg("system") or None, req.arg("tenant") or None)
    return json_response(200, {"clients": [c.to_dict() for c in clients]})


def _register_client(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if not isinstance(body, dict):
        raise AdminError("body must be an object")
    client = sandbox.oauth.register(body)
    return json_response(201, {**client.to_dict(), "message": f"client {client.client_id} registered"})


def _client_of(sandbox: Sandbox, parts: list[str]) -> Any:
    system, client_id = parts[1], parts[2]
    profile = sandbox.auth_profiles.get(system)
    client = sandbox.oauth.client(profile, client_id) if profile else None
    if client is None:
        raise AdminError(f"no client {client_id!r} in {system!r}", 404)
    return client


def _get_client(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    return json_response(200, _client_of(sandbox, parts).to_dict())


def _delete_client(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    client = _client_of(sandbox, parts)
    sandbox.oauth.clients.delete(client.system, client.client_id)
    return empty_response(204)


def _client_extra(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    client = _client_of(sandbox, parts)
    if parts[3] == "certificates":
        cert = sandbox.oauth.add_certificate(client, str((body or {}).get("certificate") or ""))
        return json_response(
            201, {"certificate_id": cert.id, "key_type": cert.key_type, "not_after": cert.not_after}
        )
    if parts[3] == "tba_tokens":
        token_id, token_secret = sandbox.oauth.issue_tba(client)
        return json_response(
            201,
            {
                "token_id": token_id,
                "token_secret": token_secret,
                "realm": body.get("realm") if isinstance(body, dict) else None,
            },
        )
    if parts[3] == "delete":
        sandbox.oauth.clients.delete(client.system, client.client_id)
        return json_response(200, {"message": f"client {client.client_id} deleted"})
    raise AdminError(f"unknown admin endpoint {req.method} {req.path}", 404)


# -- record actions (the pages' forms) --------------------------------------------------------------
def _run_action(sandbox: Sandbox, req: Request, parts: list[str], body: Any) -> Response:
    if not isinstance(body, dict):
        raise AdminError("body must be an object")
    system = sandbox.systems.get(str(body.get("system") or ""))
    if system is None:
        raise AdminError(f"system must be one of {sorted(sandbox.systems)}")
    tenant = _tenant(sandbox, str(body.get("tenant") or "default"))
    action = next((a for a in sandbox.actions[system.name] if a.key == body.get("action")), None)
    if action is None:
        keys = ", ".join(a.key for a in sandbox.actions[system.name])
        raise AdminError(f"action must be one of: {keys}")
    rid = str(body.get("id") or "")
    sandbox.tenants.ensure_seeded(tenant)
    with bound(tenant):
        record = system.store.get(system.name, action.object, rid)
        if record is None:
            raise AdminError(f"no {action.object} {rid!r} in tenant {tenant}", 404)
        if action.applies is not None and not action.applies(record):
            raise ActionError(f"{action.label} does not apply to this {action.object}")
        message = action.run(system, record, action.values(body))
    return json_response(200, {"ok": True, "message": message, "tenant": tenant, "id": rid})
