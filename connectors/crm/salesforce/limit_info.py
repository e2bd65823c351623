"""The ``Sforce-Limit-Info`` response header, as the REST API Developer Guide documents it ("Limit Info
Header", https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm):

    Sforce-Limit-Info: api-usage=18/5000
    Sforce-Limit-Info: api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)
    Sforce-Limit-Info: api-usage=110018/100000; api-bursts=1/750

Entries are separated by ``;`` (a comma is accepted too). ``api-usage`` is the org's requests in the last
24 hours and its daily allowance; the used count can exceed the allowance (API bursts).
"""

from __future__ import annotations

import re

_ENTRY = re.compile(r"^\s*([A-Za-z-]+)\s*=\s*(\d+)\s*/\s*(\d+)")


def parse_limit_info(header: str | None) -> dict[str, tuple[int, int]]:
    """Every ``name=used/limit`` entry of the header, e.g. ``{"api-usage": (18, 5000)}``."""
    out: dict[str, tuple[int, int]] = {}
    for part in re.split(r"[;,]", header or ""):
        match = _ENTRY.match(part)
        if match:
            out[match.group(1).lower()] = (int(match.group(2)), int(match.group(3)))
    return out


def api_usage(header: str | None) -> tuple[int, int] | None:
    """The org's (used, limit) from ``api-usage``; None when the header does not carry it."""
    return parse_limit_info(header).get("api-usage")
