"""Read-only HTML pages to watch records arrive: `/` lists systems, `/<system>/_browse?object=` a table.

Everything shown is escaped (records hold third-party text), the pages carry no script (CSP forbids it),
and they refresh themselves with a meta tag.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .messages import Request, Response, html_response

if TYPE_CHECKING:
    from .server import Sandbox
    from .system import System

_STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6eb;padding:4px 8px;
text-align:left;vertical-align:top;max-width:320px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
th{background:#f5f7fa;position:sticky;top:0}a{color:#2457c5}.muted{color:#6b7280}
nav a{margin-right:12px}
"""


def _page(title: str, body: str, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )


def index(sandbox: Sandbox) -> Response:
    parts = ["<h1>Flowbuilder sandbox</h1>", "<p class='muted'>Emulated systems with seeded demo data.</p>"]
    for system in sandbox.systems.values():
        parts.append(
            f"<h2>{escape(system.title)} <span class='muted'>/{escape(system.name)}/</span></h2><ul>"
        )
        for obj in system.browse_objects:
            count = sandbox.store.count(system.name, obj)
            link = f"/{quote(system.name)}/_browse?object={quote(obj)}"
            parts.append(
                f"<li><a href='{escape(link)}'>{escape(obj)}</a> <span class='muted'>{count}</span></li>"
            )
        parts.append("</ul>")
    return html_response(200, _page("Flowbuilder sandbox", "".join(parts)))


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str)
    text = "" if value is None else str(value)
    return escape(text[:200])


def page(sandbox: Sandbox, system: System, req: Request) -> Response:
    obj = req.arg("object") or (system.browse_objects[0] if system.browse_objects else "")
    if obj not in system.browse_objects:
        return html_response(
            404, _page("Not found", f"<p>Unknown object {escape(obj)}</p><a href='/'>Back</a>")
        )
    try:
        limit = max(1, min(500, int(req.arg("limit") or 100)))
    except ValueError:
        limit = 100
    records = sandbox.store.newest(system.name, obj, limit)
    columns: list[str] = []
    for record in records[:50]:
        for key in record:
            if key not in columns and not key.startswith("_") and len(columns) < 14:
                columns.append(key)
    nav = " ".join(
        f"<a href='/{quote(system.name)}/_browse?object={quote(o)}'>{escape(o)}</a>"
        for o in system.browse_objects
    )
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in records
    )
    total = sandbox.store.count(system.name, obj)
    body = (
        f"<p><a href='/'>All systems</a></p><h1>{escape(system.title)}: {escape(obj)}</h1><nav>{nav}</nav>"
        f"<p class='muted'>{total} records, newest change first; showing {len(records)}; "
        "refreshes every 5 s.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )
    return html_response(200, _page(f"{system.title}: {obj}", body, refresh=5))
