"""The sandbox's HTML: one layout, escaping helpers and form fields. No script anywhere (the CSP forbids
it); everything from records or requests is escaped; forms post back to the sandbox itself."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from .messages import Response

STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1d2330;max-width:1400px}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e3e6eb;padding:4px 8px;
text-align:left;vertical-align:top;max-width:320px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
th{background:#f5f7fa;position:sticky;top:0}td .wrap{white-space:normal;overflow-wrap:anywhere}
a{color:#2457c5}.muted{color:#6b7280}
nav a{margin-right:12px}nav.top{border-bottom:1px solid #e3e6eb;padding-bottom:8px;margin-bottom:16px}
form.inline{display:inline}fieldset{border:1px solid #e3e6eb;border-radius:6px;margin:8px 0;padding:8px 12px}
label{display:inline-block;margin:4px 12px 4px 0}input,select{font:inherit;padding:2px 4px}
button{font:inherit;padding:3px 10px;border:1px solid #2457c5;background:#2457c5;color:#fff;border-radius:4px;
cursor:pointer}button.secondary{background:#fff;color:#2457c5}button.danger{border-color:#b42318;background:#b42318}
.flash{background:#ecfdf3;border:1px solid #abefc6;padding:6px 10px;border-radius:4px}
.error{background:#fef3f2;border:1px solid #fecdca;padding:6px 10px;border-radius:4px}
.pill{display:inline-block;padding:0 6px;border-radius:8px;background:#eef2ff;margin-right:4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}dt{color:#6b7280}dd{margin:0;
overflow-wrap:anywhere}.consent{max-width:520px;margin:40px auto;border:1px solid #e3e6eb;border-radius:8px;
padding:16px 24px}
"""

# Pages show third-party data: no scripts at all, inline styles only, never framed. Forms may post only
# to the sandbox (the consent page's redirect to the client is a 302 answer, not a form target).
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
CONSENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def e(value: Any) -> str:
    return escape("" if value is None else str(value))


def html_response(
    status: int, text: str, *, csp: str = PAGE_CSP, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status,
        text.encode(),
        {
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def document(title: str, body: str, *, refresh: int | None = None) -> str:
    meta = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{meta}<title>{e(title)}</title>"
        f"<style>{STYLE}</style></head><body>{body}</body></html>"
    )


def link(path: str, text: str, params: dict[str, Any] | None = None) -> str:
    query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    href = path + (f"?{urlencode(query)}" if query else "")
    return f"<a href='{e(href)}'>{e(text)}</a>"


def hidden(name: str, value: Any) -> str:
    return f"<input type='hidden' name='{e(name)}' value='{e(value)}'>"


def select(name: str, options: Iterable[tuple[str, str]], selected: str = "", label: str = "") -> str:
    opts = "".join(
        f"<option value='{e(v)}'{' selected' if v == selected else ''}>{e(text)}</option>"
        for v, text in options
    )
    field = f"<select name='{e(name)}'>{opts}</select>"
    return f"<label>{e(label)} {field}</label>" if label else field


def text_input(
    name: str, label: str, value: Any = "", *, kind: str = "text", size: int = 12, extra: str = ""
) -> str:
    return (
        f"<label>{e(label)} <input type='{e(kind)}' name='{e(name)}' value='{e(value)}' "
        f"size='{size}' {extra}>"
        "</label>"
    )


def form(action: str, fields: Sequence[str], button: str, *, css: str = "", button_css: str = "") -> str:
    cls = f" class='{e(css)}'" if css else ""
    bcls = f" class='{e(button_css)}'" if button_css else ""
    return (
        f"<form method='post' action='{e(action)}'{cls}>{''.join(fields)}"
        f"<button type='submit'{bcls}>{e(button)}</button></form>"
    )


def table(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``rows`` hold HTML cells (escape values with e() first)."""
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
