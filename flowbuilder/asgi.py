"""ASGI entry point: Django for HTTP, Channels for websockets (session auth, exact origin checked)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowbuilder.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from flowbuilder.api import webhook_asgi  # noqa: E402
from flowbuilder.api.origins import origin_validator  # noqa: E402
from flowbuilder.api.routing import websocket_urlpatterns  # noqa: E402


async def http_app(scope, receive, send):
    """Webhooks take the lean route (no session/CSRF middleware); everything else is Django."""
    if webhook_asgi.matches(scope):
        await webhook_asgi.webhook_app(scope, receive, send)
    else:
        await django_asgi_app(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": origin_validator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
