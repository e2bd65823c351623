"""The brand a page is shown under. The product's own until a partner's brand applies."""

from __future__ import annotations

from typing import Any

DEFAULT_BRAND = {
    "product_name": "Flowbuilder",
    "logo_url": "/static/brand/flowbuilder.svg",
    "primary_color": "#4f46e5",
    "accent_color": "#0ea5e9",
    "support_email": "",
    "support_url": "",
    "login_text": "Integrations for professional-services firms.",
}


def brand_for(request: Any) -> dict[str, str]:
    return dict(DEFAULT_BRAND)
