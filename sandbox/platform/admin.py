"""`/_admin/*`: faults, reset, stats, webhooks, config. Unauthenticated: the sandbox binds loopback only."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .faults import FaultError
from .messages import Request, Response, empty_response, json_response
from .webhooks import WebhookError

if TYPE_CHECKING:
    from .server import Sandbox


def _body(req: Request) -> Any:
    if not req.body:
        return {}
    return json.loads(req.body)


def _bad(message: str) -> Response:
    return json_response(400, {"error": message})


def handle(sandbox: Sandbox, req: Request) -> Response:
    action = req.path[len("/_admin/") :].strip("/")
    try:
        body = _body(req) if req.method in ("POST", "PUT", "PATCH") else {}
    except ValueError:
        return _bad("body must be JSON")
    key = (req.method, action.split("/")[0])
    if key == ("POST", "faults"):
        specs = body if isinstance(body, list) else [body]
        try:
            added = [sandbox.faults.add(s, tuple(sandbox.systems)) for s in specs if isinstance(s, dict)]
        except FaultError as exc:
            return _bad(str(exc))
        return json_response(201, {"faults": [f.__dict__ for f in added]})
    if key == ("GET", "faults"):
        return json_response(200, {"faults": sandbox.faults.list()})
    if key == ("DELETE", "faults"):
        sandbox.faults.clear(req.arg("system"))
        return empty_response(204)
    if key == ("POST", "reset"):
        counts = sandbox.reseed()
        sandbox.faults.clear()
        sandbox.stats.reset()
        sandbox.rates.reset()
        sandbox.store.delete_webhooks()
        return json_response(200, {"reset": True, "counts": counts})
    if key == ("GET", "stats"):
        stats = sandbox.stats.snapshot()
        stats["webhooks"] = {"delivered": sandbox.webhooks.delivered, "failed": sandbox.webhooks.failed}
        return json_response(200, stats)
    if key == ("DELETE", "stats"):
        sandbox.stats.reset()
        return empty_response(204)
    if key == ("POST", "webhooks"):
        system = body.get("system") if isinstance(body, dict) else None
        if system not in sandbox.systems:
            return _bad(f"system must be one of {sorted(sandbox.systems)}")
        try:
            hook = sandbox.webhooks.register(system, str(body.get("object") or "*"), str(body.get("url", "")))
        except WebhookError as exc:
            return _bad(str(exc))
        return json_response(201, hook)
    if key == ("GET", "webhooks"):
        return json_response(200, {"webhooks": sandbox.store.webhooks()})
    if key == ("DELETE", "webhooks"):
        hook_id = action.split("/")[1] if "/" in action else None
        if hook_id is not None and not hook_id.isdigit():
            return _bad("webhook id must be a number")
        removed = sandbox.store.delete_webhooks(int(hook_id) if hook_id else None)
        return (
            empty_response(204)
            if removed or hook_id is None
            else json_response(404, {"error": "no such hook"})
        )
    if key == ("GET", "config"):
        return json_response(200, sandbox.config.to_dict())
    if key in (("POST", "config"), ("PATCH", "config")):
        if not isinstance(body, dict):
            return _bad("body must be an object")
        try:
            unknown = sandbox.config.update(body)
        except (TypeError, ValueError) as exc:
            return _bad(f"bad config value: {exc}")
        sandbox.webhooks.timeout = sandbox.config.webhook_timeout
        return json_response(200, {"config": sandbox.config.to_dict(), "unknown_keys": unknown})
    if key == ("POST", "expire_tokens"):
        system = body.get("system") if isinstance(body, dict) else None
        return json_response(200, {"expired": sandbox.tokens.expire_all(system or None)})
    if key == ("GET", "counts"):
        return json_response(
            200,
            {
                name: {obj: sandbox.store.count(name, obj) for obj in sandbox.store.objects(name)}
                for name in sandbox.systems
            },
        )
    return json_response(404, {"error": f"unknown admin endpoint {req.method} {req.path}"})
