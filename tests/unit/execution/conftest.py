import pytest

from flowbuilder.celery import app as celery_app
from tests.support.http_endpoint import Endpoint


@pytest.fixture
def eager():
    """Run Celery tasks inline: the engine's logic without a worker (integration tests use a real one)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def endpoint():
    ep = Endpoint()
    yield ep
    ep.close()
