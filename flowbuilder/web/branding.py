"""The brand a page is shown under (the login page, the SPA, API docs, e-mails)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import DisallowedHost

from flowbuilder.tenancy.branding import DEFAULT_BRAND, as_dict, branding_for_host, branding_for_user

__all__ = ["DEFAULT_BRAND", "brand_for"]


def brand_for(request: Any) -> dict[str, str]:
    branding = branding_for_user(getattr(request, "user", None))
    if branding is None:
        try:
            host = request.get_host()
        except (AttributeError, DisallowedHost):
            host = ""
        branding = branding_for_host(host)
    return as_dict(branding)
