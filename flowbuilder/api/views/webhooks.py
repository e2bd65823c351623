"""POST /hooks/<token>/ (and /hooks/<token>/<dev|test>/, a release's) through Django (test client, any
deployment without the lean ASGI route)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from flowbuilder.triggers.callbacks import resume_from_callback
from flowbuilder.triggers.webhook_calls import handle_webhook
from flowbuilder.triggers.webhooks import PlainText


# CSRF protects cookie-authenticated requests; a webhook is called by other systems, carries no session and
# is authorised only by its secret URL (and the optional HMAC signature), so the CSRF check does not apply.
@csrf_exempt
async def webhook(request: HttpRequest, token: str, environment: str = "") -> HttpResponse:
    status, body, headers = await handle_webhook(
        request.method,
        token,
        request.body,
        request.content_type or "",
        dict(request.GET.items()),
        request.headers,
        environment,
    )
    if isinstance(body, PlainText):  # a validation handshake echoes its token
        return HttpResponse(
            str(body), content_type="text/plain; charset=utf-8", status=status, headers=headers
        )
    return JsonResponse(body, safe=False, status=status, headers=headers)


# Like a webhook, a resume URL is called by another system without a session; the signed token in the
# URL is what authorises it, and it only works while its step waits.
@csrf_exempt
def resume(request: HttpRequest, token: str) -> JsonResponse:
    if request.method != "POST":
        return JsonResponse({"detail": "Use POST."}, status=405)
    status, body = resume_from_callback(token, request.body, request.content_type or "")
    return JsonResponse(body, status=status)
