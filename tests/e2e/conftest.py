"""Browser tests: Debian's Chromium through pytest-playwright against the real stack.

uvicorn (HTTP + websockets) and a Celery worker run as subprocesses on pytest-django's PostgreSQL test
database; the fixtures come from tests/support/live_stack.py (process groups, killed at teardown).
Run as its own pytest invocation: ``DJANGO_ALLOW_ASYNC_UNSAFE=true pytest -m browser -q tests/e2e``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Dialog, Page, expect

from tests.e2e import ARTIFACTS
from tests.support.live_stack import ApiSession
from tests.support.tenancy import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

expect.set_options(timeout=15_000)


@pytest.fixture(autouse=True)
def _isolated(live_stack_isolation: None) -> None:
    """Every test here runs on the real stack (tests/support/live_stack.py)."""


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Own test database (``test_<name>_e2e``) so `make test`'s other suite may run at the same time."""
    from django.conf import settings

    for db in settings.DATABASES.values():
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_e2e"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is missing: apt-get install -y chromium (or make chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800}}


@pytest.fixture(scope="session", autouse=True)
def built_editor() -> None:
    if not (ROOT / "static" / "app" / ".vite" / "manifest.json").exists():
        pytest.fail("the editor is not built: run `make frontend` (cd frontend && npm ci && npm run build)")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def strict_page(page: Page) -> Iterator[Page]:
    """A page that fails its test on any dialog (dismissed), uncaught page error or CSP violation."""
    dialogs: list[str] = []
    errors: list[str] = []
    console_errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            console_errors.append(msg.text)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    page.set_default_timeout(15_000)
    yield page
    assert not dialogs, f"unexpected dialogs: {dialogs}"
    assert not errors, f"uncaught page errors: {errors}"
    csp = [m for m in console_errors if "Content Security Policy" in m]
    assert not csp, f"CSP violations: {csp}"


@pytest.fixture
def analyst(make_org: Callable[..., Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    """A builder in two organisations (so the organisation switcher has a choice to make)."""
    other = make_org("Other Customer")
    org = make_org("Acme Analytics")
    user = make_user("ana", org)
    from flowbuilder.tenancy.models import Membership

    Membership.objects.create(user=user, organisation=other, role="builder")
    return {"user": user, "org": org, "other": other, "username": "ana", "password": PASSWORD}


def login_ui(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("flow-list")).to_be_visible()


def api_session(base_url: str, username: str) -> ApiSession:
    session = ApiSession(base_url)
    session.login(username)
    return session


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2)
