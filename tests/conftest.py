"""Every suite's shared fixtures, one plugin module per concern in tests/support/.

A fixture lives in a folder's conftest.py only when it is truly local to that folder; a suite that needs
another lifetime of a shared thing keeps a thin fixture over the support module's factory.
"""

from __future__ import annotations

import pytest

# Plain asserts in the support modules (helpers included) report their values like a test's do.
pytest.register_assert_rewrite("tests.support")

pytest_plugins = [
    "tests.support.tenancy",  # make_org, make_user, api, org, admin, builder
    "tests.support.connections",  # make_connection, fresh_runtime_cache
    "tests.support.celery_tasks",  # eager
    "tests.support.http_endpoint",  # endpoint
    "tests.support.scripted_server",  # server, other_server
    "tests.support.sandbox",  # sandbox (one per session)
    "tests.support.live_stack",  # live_server_url, worker, start_worker, start_beat, login, ...
    "tests.support.oidc_provider",  # oidc_provider: a local OpenID Connect provider
    "tests.support.polling",  # in-process polls skip the settle margin unless marked settling
]

# Kept importable from here for tests written before the documents moved to tests/support/documents.py.
from tests.support.documents import chain, document, edge, node  # noqa: E402, F401
