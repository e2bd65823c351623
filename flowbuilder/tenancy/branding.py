"""Which brand applies: the partner's for its customers' users, the product's own otherwise.

Before sign-in the host name decides (a partner's own domain); after sign-in the user's organisations
decide: a customer's partner brand, or a partner's own.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import DisallowedHost

from .models import Branding, Membership

DEFAULT_BRAND = {
    "product_name": "Flowbuilder",
    "logo_url": "/static/brand/flowbuilder.svg",
    "favicon_url": "/static/brand/favicon.svg",
    "primary_color": "#4f46e5",
    "accent_color": "#0ea5e9",
    "support_email": "",
    "support_url": "",
    "login_text": "Integrations for professional-services firms.",
}


_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}")


def _color(value: str, default: str) -> str:
    """Colours go into a style attribute of the sign-in page: only a hex colour is ever written there."""
    return value if isinstance(value, str) and _COLOR.fullmatch(value) else default


def host_key(host: str) -> str:
    """A host name as brands are looked up by: no scheme, path, port or trailing dot; lower case."""
    name = (host or "").strip().lower()
    name = re.sub(r"^[a-z][a-z0-9+.-]*://", "", name).split("/")[0]
    if name.startswith("["):  # an IPv6 literal never names a partner
        return ""
    return name.split(":")[0].rstrip(".")


def as_dict(branding: Branding | None) -> dict[str, str]:
    if branding is None:
        return dict(DEFAULT_BRAND)
    brand = {
        "product_name": branding.product_name,
        "logo_url": branding.logo_url or DEFAULT_BRAND["logo_url"],
        "favicon_url": branding.favicon_url or branding.logo_url or DEFAULT_BRAND["favicon_url"],
        "primary_color": _color(branding.primary_color, DEFAULT_BRAND["primary_color"]),
        "accent_color": _color(branding.accent_color, DEFAULT_BRAND["accent_color"]),
        "support_email": branding.support_email,
        "support_url": branding.support_url,
        "login_text": branding.login_text or f"Sign in to {branding.product_name}.",
    }
    return brand


def branding_for_user(user: Any) -> Branding | None:
    if not getattr(user, "is_authenticated", False):
        return None
    membership = (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organisation")
        .order_by("organisation__kind")
        .first()
    )
    if membership is None:
        return None
    org = membership.organisation
    partner_id = org.parent_id if org.parent_id else org.id
    return Branding.objects.filter(organisation_id=partner_id).first()


def branding_for_host(host: str) -> Branding | None:
    """The partner whose own domain the page is served on (before sign-in, the only clue there is)."""
    name = host_key(host)
    return Branding.objects.filter(host_name__iexact=name).first() if name else None


def brand_for(request: Any) -> dict[str, str]:
    """The brand a page is shown under (the login page, the SPA, API docs, e-mails): user first, then host."""
    branding = branding_for_user(getattr(request, "user", None))
    if branding is None:
        try:
            host = request.get_host()
        except (AttributeError, DisallowedHost):
            host = ""
        branding = branding_for_host(host)
    return as_dict(branding)
