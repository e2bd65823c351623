"""Celery tasks run inline for tests that want the engine's logic without a worker (the integration suite
starts real workers instead). Registered for every suite from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from flowbuilder.celery import app as celery_app


@pytest.fixture
def eager() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False
