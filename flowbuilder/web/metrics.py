"""``/metrics`` for Prometheus, behind a bearer token (``FLOWBUILDER_METRICS_TOKEN``).

Without a token configured the endpoint does not exist (404): metrics name organisations and volumes,
which are not public. A scraper sends ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from flowbuilder.observability.metrics import render


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "FLOWBUILDER_METRICS_TOKEN", "")
    if not token:
        return HttpResponse(
            "metrics are off: set FLOWBUILDER_METRICS_TOKEN\n", status=404, content_type="text/plain"
        )
    sent = request.headers.get("Authorization", "")
    if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("bearer token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = render()
    return HttpResponse(body, content_type=content_type)
