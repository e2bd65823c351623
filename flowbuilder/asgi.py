"""ASGI entry point: Django for HTTP, Channels for websockets (session auth, exact origin checked).

Django's HTTP requests run as WSGI in a thread pool (a2wsgi): each request runs whole in one thread.
Django's ASGI handler instead hops between the event loop and a thread for every middleware and the view,
and under load those hops queue behind other requests. The request line in front of the pool starts them
one at a time (flowbuilder/web/request_line.py, ADR 0011). Webhooks take the lean ASGI route.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowbuilder.settings")
django_wsgi_app = get_wsgi_application()

from a2wsgi import WSGIMiddleware  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from flowbuilder.api import webhook_asgi  # noqa: E402
from flowbuilder.api.origins import origin_validator  # noqa: E402
from flowbuilder.api.routing import websocket_urlpatterns  # noqa: E402
from flowbuilder.web.request_line import RequestLine  # noqa: E402

django_http = RequestLine(
    WSGIMiddleware(django_wsgi_app, workers=settings.WEB_MAX_RUNNING_REQUESTS),
    slow_after=settings.WEB_REQUEST_SLOW_MS / 1000,
    max_running=settings.WEB_MAX_RUNNING_REQUESTS,
)


async def http_app(scope, receive, send):
    """Webhooks take the lean route (no session/CSRF middleware); everything else is Django."""
    if webhook_asgi.matches(scope):
        await webhook_asgi.webhook_app(scope, receive, send)
    else:
        await django_http(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
