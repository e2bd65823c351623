"""The sandbox's own pages: pick a tenant, browse its records, change the ones the README's tour needs
(record actions), inject and clear faults, watch outbound webhooks and their answers, and see each
tenant's ids, URLs and OAuth clients. No script (CSP), everything escaped; forms post to `/_admin/*`.

`/` the tenant's systems and objects; `/<system>/_browse?object=&tenant=&q=` the newest records first;
`/_sandbox/record?tenant=&system=&object=&id=` one record with its actions; `/_sandbox/faults`;
`/_sandbox/webhooks`; `/_sandbox/tenants`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .faults import KINDS
from .html import document, e, form, hidden, html_response, link, select, table, text_input
from .messages import Request, Response
from .store import DEFAULT_TENANT
from .tenancy import bound

if TYPE_CHECKING:
    from .actions import PageAction
    from .server import Sandbox
    from .system import System

BROWSE_LIMIT = 100
# Bookkeeping fields every Salesforce record has: left off the browse table (the record page shows them).
_PLUMBING = frozenset(
    {"IsDeleted", "CreatedById", "LastModifiedById", "SystemModstamp", "OwnerId", "CreatedDate"}
)


def _tenant_of(sandbox: Sandbox, req: Request) -> str:
    name = req.arg("tenant") or DEFAULT_TENANT
    return name if sandbox.tenants.get(name) else DEFAULT_TENANT


def _here(req: Request) -> str:
    """This page's path and query without the flash parameters (forms come back here)."""
    query = {k: v[0] for k, v in req.query.items() if k not in ("done", "error")}
    return req.path + (f"?{urlencode(query)}" if query else "")


def _shell(
    sandbox: Sandbox,
    req: Request,
    title: str,
    body: str,
    *,
    tenant: str | None = None,
    refresh: int | None = None,
) -> Response:
    nav = " ".join(
        (
            link("/", "Records", {"tenant": tenant}),
            link("/_sandbox/faults", "Faults", {"tenant": tenant}),
            link("/_sandbox/webhooks", "Webhooks", {"tenant": tenant}),
            link("/_sandbox/tenants", "Tenants and auth"),
        )
    )
    flash = ""
    if req.arg("done"):
        flash = f"<p class='flash' data-testid='flash'>{e(req.arg('done'))}</p>"
    if req.arg("error"):
        flash = f"<p class='error' data-testid='flash-error'>{e(req.arg('error'))}</p>"
    head = f"<nav class='top'><b>Flowbuilder sandbox</b> &nbsp; {nav}</nav>{flash}"
    return html_response(200, document(title, head + body, refresh=refresh))


def _tenant_switch(sandbox: Sandbox, current: str, path: str, params: dict[str, Any] | None = None) -> str:
    links = []
    for tenant in sandbox.tenants.all():
        text = f"{tenant.title} ({tenant.name})"
        if tenant.name == current:
            links.append(f"<b data-testid='tenant-current'>{e(text)}</b>")
        else:
            links.append(link(path, text, {**(params or {}), "tenant": tenant.name}))
    return "<p>Tenant: " + " &middot; ".join(links) + "</p>"


# -- records --------------------------------------------------------------------------------------
def index(sandbox: Sandbox, req: Request) -> Response:
    tenant = _tenant_of(sandbox, req)
    sandbox.tenants.ensure_seeded(tenant)
    store = sandbox.store.for_tenant(tenant)
    parts = [
        "<h1>Records</h1>",
        "<p class='muted'>Emulated systems with seeded demo data; each tenant is one customer's own org, "
        "account or company in every system.</p>",
        _tenant_switch(sandbox, tenant, "/"),
    ]
    tenant_obj = sandbox.tenants.get(tenant)
    for system in sandbox.systems.values():
        profile = sandbox.auth_profiles[system.name]
        ident = profile.identity(tenant_obj, req.base_url) if tenant_obj else {}
        parts.append(
            f"<h2>{e(system.title)} <span class='muted'>/{e(system.name)}/ &middot; "
            f"{e(ident.get('id', ''))}</span></h2><ul>"
        )
        for obj in system.browse_objects:
            count = store.count(system.name, obj)
            parts.append(
                "<li>"
                + link(f"/{quote(system.name)}/_browse", obj, {"object": obj, "tenant": _param(tenant)})
                + f" <span class='muted'>{count}</span></li>"
            )
        parts.append("</ul>")
    return _shell(sandbox, req, "Flowbuilder sandbox", "".join(parts), tenant=_param(tenant))


def _param(tenant: str) -> str | None:
    """Links leave the default tenant implicit (the URLs people already use keep working)."""
    return None if tenant == DEFAULT_TENANT else tenant


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str)
    text = "" if value is None else str(value)
    return e(text[:200])


def _matches(record: dict[str, Any], q: str) -> bool:
    """`q`: conditions separated by `;`, each text anywhere in the record's values or `field=value`
    (case-insensitive); a record matches when every condition does."""
    for part in (p.strip() for p in q.split(";")):
        if not part:
            continue
        if "=" in part:
            field, _, want = part.partition("=")
            if str(record.get(field.strip())).casefold() != want.strip().casefold():
                return False
            continue
        needle = part.casefold()
        if not any(needle in str(v).casefold() for v in record.values() if not isinstance(v, dict | list)):
            return False
    return True


def browse(sandbox: Sandbox, system: System, req: Request) -> Response:
    obj = req.arg("object") or (system.browse_objects[0] if system.browse_objects else "")
    if obj not in system.browse_objects:
        body = f"<p>Unknown object {e(obj)}</p>{link('/', 'Back')}"
        return html_response(404, document("Not found", body))
    tenant = _tenant_of(sandbox, req)
    sandbox.tenants.ensure_seeded(tenant)
    store = sandbox.store.for_tenant(tenant)
    try:
        limit = max(1, min(500, int(req.arg("limit") or BROWSE_LIMIT)))
    except ValueError:
        limit = BROWSE_LIMIT
    q = (req.arg("q") or "").strip()
    if q:
        records = [r for r in reversed(store.all(system.name, obj)) if _matches(r, q)][:limit]
    else:
        records = store.newest(system.name, obj, limit)
    columns: list[str] = []
    for record in records[:50]:
        for key in record:
            if key not in columns and not key.startswith("_") and key not in _PLUMBING and len(columns) < 14:
                columns.append(key)
    labels = [system.browse_label(obj, r) for r in records]
    columns = [
        c for c in columns if not all(str(r.get(c)) == lab for r, lab in zip(records, labels, strict=True))
    ]
    actions = [a for a in sandbox.actions[system.name] if a.object == obj]
    nav = " ".join(
        link(f"/{quote(system.name)}/_browse", o, {"object": o, "tenant": _param(tenant)})
        for o in system.browse_objects
    )
    rows = []
    for r, label in zip(records, labels, strict=True):
        rid = str(r.get("Id") or r.get("id") or "")
        cells = [_cell(r.get(c)) for c in columns]
        open_link = link(
            "/_sandbox/record", "open", {"tenant": tenant, "system": system.name, "object": obj, "id": rid}
        )
        rows.append([open_link, e(label), *cells])
    total = store.count(system.name, obj)
    search = (
        f"<form method='get' action='{e(req.path)}'>{hidden('object', obj)}"
        f"{hidden('tenant', tenant)}{text_input('q', 'Find', q, size=30)}"
        "<button type='submit' class='secondary'>Find</button></form>"
    )
    hint = (
        f"<p class='muted'>Open a record to {e(', '.join(a.label.lower() for a in actions))}.</p>"
        if actions
        else ""
    )
    body = (
        f"<h1>{e(system.title)}: {e(obj)}</h1>"
        + _tenant_switch(sandbox, tenant, f"/{system.name}/_browse", {"object": obj})
        + f"<nav>{nav}</nav>{search}{hint}"
        f"<p class='muted'>{total} records, newest change first; showing {len(records)}"
        f"{' matching ' + e(q) if q else ''}; refreshes every 5 s.</p>" + table(["", "name", *columns], rows)
    )
    return _shell(
        sandbox, req, f"{system.title}: {obj}", body, tenant=_param(tenant), refresh=None if q else 5
    )


def record_page(sandbox: Sandbox, req: Request) -> Response:
    tenant = _tenant_of(sandbox, req)
    system = sandbox.systems.get(req.arg("system") or "")
    obj, rid = req.arg("object") or "", req.arg("id") or ""
    if system is None or obj not in system.browse_objects:
        return html_response(
            404, document("Not found", f"<p>Unknown system or object.</p>{link('/', 'Back')}")
        )
    sandbox.tenants.ensure_seeded(tenant)
    with bound(tenant):
        record = system.store.get(system.name, obj, rid)
    if record is None:
        return html_response(404, document("Not found", f"<p>No {e(obj)} {e(rid)}.</p>{link('/', 'Back')}"))
    fields = "".join(
        f"<dt>{e(k)}</dt><dd>{_cell(v)}</dd>" for k, v in record.items() if not k.startswith("_")
    )
    forms = [
        _action_form(sandbox, req, tenant, system, a, record)
        for a in sandbox.actions[system.name]
        if a.object == obj
    ]
    forms = [f for f in forms if f]
    actions = "".join(forms) if forms else "<p class='muted'>No actions for this record.</p>"
    back = link(f"/{system.name}/_browse", f"All {obj}", {"object": obj, "tenant": _param(tenant)})
    body = (
        f"<p>{back}</p><h1>{e(system.title)}: {e(obj)} {e(system.browse_label(obj, record))}</h1>"
        f"<p class='muted'>{e(sandbox.tenants.get(tenant).title)} ({e(tenant)}) &middot; id {e(rid)}</p>"
        f"<h2>Actions</h2>{actions}<h2>Fields</h2><dl>{fields}</dl>"
    )
    return _shell(sandbox, req, f"{obj} {rid}", body, tenant=_param(tenant))


def _action_form(
    sandbox: Sandbox, req: Request, tenant: str, system: System, action: PageAction, record: dict
) -> str:
    if action.applies is not None and not action.applies(record):
        return ""
    initial = action.initial(record)
    inputs = []
    for f in action.fields:
        if f.kind == "select":
            inputs.append(select(f.name, [(c, c) for c in f.choices], initial.get(f.name, ""), f.label))
        else:
            kind = {"number": "number' step='any", "date": "date"}.get(f.kind, "text")
            inputs.append(text_input(f.name, f.label, initial.get(f.name, ""), kind=kind))
    rid = str(record.get("Id") or record.get("id") or "")
    fields = [
        hidden("tenant", tenant),
        hidden("system", system.name),
        hidden("action", action.key),
        hidden("id", rid),
        hidden("return_to", _here(req)),
        *inputs,
    ]
    desc = f"<p class='muted'>{e(action.description)}</p>" if action.description else ""
    return (
        f"<fieldset data-testid='action-{e(action.key)}'><legend>{e(action.label)}</legend>{desc}"
        + form("/_admin/actions", fields, action.label)
        + "</fieldset>"
    )


# -- faults ---------------------------------------------------------------------------------------
def faults_page(sandbox: Sandbox, req: Request) -> Response:
    tenant = req.arg("tenant") or ""
    systems = [("", "every system")] + [(n, s.title) for n, s in sandbox.systems.items()]
    tenants = [("", "every tenant")] + [(t.name, t.title) for t in sandbox.tenants.all()]
    rows = []
    for f in sandbox.faults.list():
        remove = form(
            f"/_admin/faults/{f['id']}/delete",
            [hidden("return_to", _here(req))],
            "Clear",
            css="inline",
            button_css="secondary",
        )
        rows.append(
            [
                e(f["id"]),
                e(f["system"] or "every system"),
                e(f["tenant"] or "every tenant"),
                e(f["kind"]),
                e(f["status"] if f["kind"] == "status" else ""),
                e(f["retry_after"] if f["retry_after"] is not None else ""),
                e(f["latency_ms"] if f["kind"] in ("latency", "timeout") else ""),
                e("until cleared" if f["count"] == -1 else f["count"]),
                e(f["method"] or "any"),
                e(f["path_prefix"] or "/"),
                remove,
            ]
        )
    current = (
        table(
            [
                "#",
                "system",
                "tenant",
                "kind",
                "status",
                "Retry-After",
                "latency ms",
                "requests left",
                "method",
                "path prefix",
                "",
            ],
            rows,
        )
        if rows
        else "<p class='muted' data-testid='no-faults'>No faults: every request is served normally.</p>"
    )
    add = form(
        "/_admin/faults",
        [
            hidden("return_to", _here(req)),
            select("system", systems, "", "System"),
            select("tenant", tenants, tenant, "Tenant"),
            select("kind", [(k, k) for k in KINDS], "status", "Kind"),
            select(
                "status",
                [(s, s) for s in ("429", "500", "502", "503", "504", "401", "403", "404", "409")],
                "429",
                "Status",
            ),
            text_input("retry_after", "Retry-After (s)", "2", kind="number", size=4),
            text_input("latency_ms", "Latency (ms)", "", kind="number", size=6),
            text_input("count", "Requests (-1 = until cleared)", "1", kind="number", size=4),
            select(
                "method",
                [
                    ("", "any"),
                    ("GET", "GET"),
                    ("POST", "POST"),
                    ("PATCH", "PATCH"),
                    ("PUT", "PUT"),
                    ("DELETE", "DELETE"),
                ],
                "",
                "Method",
            ),
            text_input("path_prefix", "Path prefix", "", size=24),
        ],
        "Inject fault",
    )
    clear = form(
        "/_admin/faults/clear",
        [
            hidden("return_to", _here(req)),
            select("system", systems, "", "System"),
            select("tenant", tenants, tenant, "Tenant"),
        ],
        "Clear faults",
        button_css="danger",
    )
    body = (
        "<h1>Faults</h1><p class='muted'>A fault answers matching requests with an error status in the "
        "system's own error shape (429 and 503 carry Retry-After), delays them (latency), holds and drops "
        "them (timeout) or expires the tenant's access tokens (expire_tokens), for the next N requests.</p>"
        f"<h2>Active</h2>{current}<h2>Inject</h2><fieldset>{add}</fieldset><h2>Clear</h2><fieldset>{clear}</fieldset>"
    )
    return _shell(sandbox, req, "Faults", body, tenant=tenant or None)


# -- webhooks -------------------------------------------------------------------------------------
def webhooks_page(sandbox: Sandbox, req: Request) -> Response:
    tenant = req.arg("tenant") or ""
    hooks = sandbox.store.webhooks(all_tenants=True)
    if tenant:
        hooks = [h for h in hooks if h["tenant"] == tenant]
    hook_rows = [
        [
            e(h["id"]),
            e(h["tenant"]),
            e(h["system"]),
            e(h["object"]),
            e(h["url"]),
            form(
                f"/_admin/webhooks/{h['id']}/delete",
                [hidden("return_to", _here(req))],
                "Remove",
                css="inline",
                button_css="secondary",
            ),
        ]
        for h in hooks
    ]
    registered = (
        table(["#", "tenant", "system", "object", "url", ""], hook_rows)
        if hook_rows
        else "<p class='muted'>None registered.</p>"
    )
    deliveries = sandbox.webhooks.deliveries(tenant or None)
    delivery_rows = [
        [
            e(d["at"]),
            e(d["tenant"]),
            e(d["system"]),
            e(f"{d['object']} {d['record_id']}"),
            e(d["event"]),
            e(d["url"]),
            e(d["status"] if d["status"] is not None else ""),
            e(d["answer"][:200]),
            e(d["error"]),
            e(d["ms"]),
        ]
        for d in deliveries
    ]
    sent = (
        table(
            ["sent", "tenant", "system", "record", "event", "url", "status", "answer", "error", "ms"],
            delivery_rows,
        )
        if delivery_rows
        else "<p class='muted' data-testid='no-deliveries'>Nothing sent yet.</p>"
    )
    systems = [(n, s.title) for n, s in sandbox.systems.items()]
    tenants = [(t.name, t.title) for t in sandbox.tenants.all()]
    add = form(
        "/_admin/webhooks",
        [
            hidden("return_to", _here(req)),
            select("tenant", tenants, tenant or DEFAULT_TENANT, "Tenant"),
            select("system", systems, "", "System"),
            text_input("object", "Object (empty: all)", "", size=16),
            text_input("url", "URL", "", size=48),
        ],
        "Register",
    )
    body = (
        "<h1>Webhooks</h1><p class='muted'>On every create, update or delete in a tenant the sandbox POSTs "
        "<code>{tenant, system, object, event, record}</code> to the tenant's registered URLs (2 s timeout, "
        f"best effort). {link(req.path, 'Refresh', {'tenant': tenant or None})}</p>"
        + _tenant_filter(sandbox, tenant, req.path)
        + f"<h2>Sent (newest first)</h2>{sent}<h2>Registered</h2>{registered}"
        + f"<h2>Register</h2><fieldset>{add}</fieldset>"
    )
    return _shell(sandbox, req, "Webhooks", body, tenant=tenant or None)


def _tenant_filter(sandbox: Sandbox, tenant: str, path: str) -> str:
    links = [link(path, "all tenants") if tenant else "<b>all tenants</b>"]
    for t in sandbox.tenants.all():
        links.append(f"<b>{e(t.name)}</b>" if t.name == tenant else link(path, t.name, {"tenant": t.name}))
    return "<p>Show: " + " &middot; ".join(links) + "</p>"


# -- tenants and auth -----------------------------------------------------------------------------
def tenants_page(sandbox: Sandbox, req: Request) -> Response:
    from .admin import describe_tenant

    sections = []
    for tenant in sandbox.tenants.all():
        info = describe_tenant(sandbox, tenant.name, req.base_url)
        rows = []
        for system, data in info["systems"].items():
            urls = "".join(
                f"<div class='wrap'><span class='muted'>{e(k)}</span> {e(v)}</div>"
                for k, v in data.items()
                if k not in ("id", "default_client") and isinstance(v, str)
            )
            client = data["default_client"]
            rows.append(
                [
                    e(sandbox.systems[system].title),
                    e(data.get("id", "")),
                    urls,
                    f"{e(client['client_id'])} / {e(client['client_secret'])}",
                ]
            )
        clients = sandbox.oauth.clients.list(tenant=tenant.name)
        client_rows = [
            [
                e(c.system),
                e(c.name),
                e(c.client_id),
                e(", ".join(c.grants)),
                e(" ".join(c.scopes)),
                e(", ".join(c.redirect_uris)),
                e(", ".join(x.id for x in c.certificates)),
            ]
            for c in clients
            if not c.default
        ]
        registered = (
            table(
                ["system", "name", "client id", "grants", "scopes", "redirect URIs", "certificates"],
                client_rows,
            )
            if client_rows
            else "<p class='muted'>No registered clients (POST /_admin/clients).</p>"
        )
        seeded = "seeded" if info["seeded"] else "seeded on first use"
        sections.append(
            f"<h2>{e(tenant.title)} <span class='muted'>{e(tenant.name)} &middot; seed {e(tenant.seed)} "
            f"&middot; {seeded}</span></h2>"
            + table(["system", "tenant id", "URLs", "default client id / secret"], rows)
            + f"<h3>Registered clients</h3>{registered}"
        )
    add = form(
        "/_admin/tenants",
        [
            hidden("return_to", _here(req)),
            text_input("name", "Name", "", size=16),
            text_input("title", "Title", "", size=24),
        ],
        "Add tenant",
    )
    legacy = "on" if sandbox.config.legacy_grants else "off"
    body = (
        "<h1>Tenants and auth</h1><p class='muted'>Each tenant has its own records, OAuth clients, tokens, "
        "webhooks and faults. Legacy grants (the default clients' client_credentials everywhere): "
        f"{legacy}.</p>" + "".join(sections) + f"<h2>Add a tenant</h2><fieldset>{add}</fieldset>"
    )
    return _shell(sandbox, req, "Tenants and auth", body)


def handle(sandbox: Sandbox, req: Request) -> Response:
    page = req.path[len("/_sandbox/") :].strip("/")
    if req.method not in ("GET", "HEAD"):
        return html_response(
            405, document("Method not allowed", "<p>Pages are read with GET; forms post to /_admin/.</p>")
        )
    handler = {
        "record": record_page,
        "faults": faults_page,
        "webhooks": webhooks_page,
        "tenants": tenants_page,
    }.get(page)
    if handler is None:
        return html_response(404, document("Not found", f"<p>No page {e(page)}.</p>{link('/', 'Back')}"))
    return handler(sandbox, req)
