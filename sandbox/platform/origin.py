"""Same-origin checks for the sandbox's state-changing requests from browsers (admin API, page forms,
OAuth consent): enough against cross-site request forgery and DNS rebinding for a loopback dev tool.

A request is refused when its Host is not a loopback name (a rebound DNS name pointing at 127.0.0.1),
when the browser says it is cross-site (`Sec-Fetch-Site`), when its `Origin` is another origin, or when
it is a form post (the content types a cross-site page can send without a preflight) that carries
neither `Origin` nor a same-origin `Referer`. JSON calls from curl and tests (no Origin) pass.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .messages import Request

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
_SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def refusal(req: Request, *, loopback_only: bool = True) -> str | None:
    """None when the request may change state, else why it may not."""
    host = urlsplit(req.base_url).hostname or ""
    if loopback_only and host not in LOOPBACK_NAMES:
        return f"Host {host!r} is not a loopback name"
    own = _origin_of(req.base_url)
    fetch_site = req.header("sec-fetch-site").lower()
    if fetch_site and fetch_site not in ("same-origin", "none"):
        return f"cross-site request (Sec-Fetch-Site: {fetch_site})"
    origin = req.header("origin")
    if origin:
        if origin == "null" or _origin_of(origin) != own:
            return f"Origin {origin} is not this sandbox ({own})"
        return None
    ctype = req.header("content-type").split(";")[0].strip().lower()
    if ctype in _SIMPLE_TYPES or (not ctype and req.body):
        referer = req.header("referer")
        if not referer or _origin_of(referer) != own:
            return "a form post must come from the sandbox's own pages (no Origin or Referer)"
    return None
