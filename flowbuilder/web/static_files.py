"""WhiteNoise for an async stack: static files are served from a thread, everything else stays async.

WhiteNoise's middleware is sync-only; placed in the chain as is, Django would run every request (the
webhook path included) through sync adapters and a thread hop. This wrapper is async-capable and only
hands requests for static files to WhiteNoise.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        # WhiteNoise indexes files at start-up; it never calls get_response for files it serves.
        # STATIC_ROOT only exists after collectstatic (images); in development the finders serve.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            self.whitenoise = WhiteNoiseMiddleware(lambda request: None)
        self.prefix = settings.STATIC_URL

    def _static(self, request: HttpRequest) -> HttpResponse | None:
        return self.whitenoise(request)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._acall(request)
        if request.path_info.startswith(self.prefix):
            response = self._static(request)
            if response is not None:
                return response
        return self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.prefix):
            response = await sync_to_async(self._static, thread_sensitive=False)(request)
            if response is not None:
                return response
        return await self.get_response(request)
