"""``/oauth/callback/``: where a system's consent page sends the browser back after Connect.

A plain Django view (the browser arrives by a top-level GET with the session cookie, not through the
API client): it hands ``state`` and ``code`` (or the system's ``error``) to
``credentials.connect.complete_authorization`` and sends the browser back to the connections page, which
tests the connection (``?connected=<id>``) or shows why it failed (``?connect_error=...``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.credentials import connect

PAGE = "/connections"


def _back(**params: object) -> HttpResponse:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    response = HttpResponseRedirect(f"{PAGE}?{query}" if query else PAGE)
    response["Referrer-Policy"] = "no-referrer"  # the code must not leak to the next page's requests
    return response


@never_cache
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    state = request.GET.get("state", "")
    connection_id = connect.pending_connection_id(state)
    try:
        connection = connect.complete_authorization(
            actor=request.user,
            state=state,
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            error_description=request.GET.get("error_description", ""),
        )
    except FlowbuilderError as exc:
        return _back(connection=connection_id, connect_error=exc.message)
    return _back(connected=connection.pk)
