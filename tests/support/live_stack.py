"""The real stack for the integration and browser suites: PostgreSQL, Redis, and a Celery worker, beat
and the web server (uvicorn) as subprocesses, plus the clients that talk to them like a browser does.

Every subprocess runs in its own session (process group) and is stopped by killing that group in fixture
teardown, so a failing test cannot leave a worker behind to steal the next test's tasks. All of them use
the test process's database (pytest-django's ``test_<name>``) and Redis URL.

Registered for every suite from tests/conftest.py; the fixtures start nothing until a test asks for them.
``live_stack_isolation`` is meant to run around every test of a suite on the real stack: the conftests of
tests/integration and tests/e2e make it autouse there.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from tests.support.tenancy import PASSWORD

ROOT = Path(__file__).resolve().parents[2]

# Small durability knobs so a dead worker is noticed within seconds.
DURABILITY_ENV = {
    "FLOWBUILDER_HEARTBEAT_S": "0.5",
    "FLOWBUILDER_STALE_AFTER_S": "3",
    "FLOWBUILDER_SWEEP_INTERVAL_S": "1",
}


# --------------------------------------------------------------------------- processes
_running: set[Proc] = set()


# Exec'd in front of each command on Linux: PR_SET_PDEATHSIG survives exec, so the child is SIGKILLed if
# pytest dies, even by SIGKILL (no preexec_fn: pytest runs threads, fork-then-Python is unsafe there).
_DIE_WITH_PYTEST = (
    "import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _guarded(cmd: list[str]) -> list[str]:
    return [sys.executable, "-c", _DIE_WITH_PYTEST, *cmd] if sys.platform.startswith("linux") else cmd


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_running):
        proc.kill()


class Proc:
    """A subprocess in its own process group, logging to a file."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            _guarded(cmd),
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pgid = self.popen.pid  # start_new_session: the child leads its own group
        _running.add(self)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def wait_for_log(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.log_text():
                return
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.name}: no {needle!r} in its log after {timeout}s:\n{self.tail()}")

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group (the Celery parent and its pool children) and reap the leader."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        _running.discard(self)

    def stop(self, grace: float = 1.0) -> None:
        """SIGTERM, ``grace`` seconds to exit, then SIGKILL; ``grace=0`` kills at once."""
        if grace > 0 and self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self.kill()  # whatever is left of the group, even if the leader already exited
        self._log.close()


@pytest.fixture(scope="session")
def integration_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("integration-logs")


@pytest.fixture(scope="session")
def test_database_url(django_db_setup: Any, django_db_blocker: Any) -> str:
    """The test database (pytest-django's ``test_<name>``) as a URL the subprocesses can use."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("integration tests need PostgreSQL: set DATABASE_URL=postgres://...")
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture(scope="session")
def unique_run_ids(test_database_url: str, django_db_blocker: Any) -> None:
    """Start run ids at a random offset in this session's test database.

    Channels groups are named by run id (``run.<id>``), and other test sessions on this machine may share
    the Redis database: without this, their run 1 and ours would hear each other's events.
    """
    import random

    from django.db import connection

    from flowbuilder.execution.models import Run

    start = random.SystemRandom().randrange(10**6, 2 * 10**9)
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)", [Run._meta.db_table, start]
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def web_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def subprocess_env(test_database_url: str, web_port: int) -> dict[str, str]:
    from django.conf import settings

    origin = f"http://127.0.0.1:{web_port}"
    # Without pytest-xdist's worker name: the subprocesses take this process's Redis URL as it is.
    inherited = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    return {
        **inherited,
        **DURABILITY_ENV,
        "DATABASE_URL": test_database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "flowbuilder.settings",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": origin,
        "FLOWBUILDER_PUBLIC_URL": origin,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def live_server_url(subprocess_env: dict[str, str], web_port: int, integration_logs: Path) -> Iterator[str]:
    """uvicorn serving flowbuilder.asgi (HTTP + websockets) on 127.0.0.1 as the product runs it (runlocal,
    the image), ready when /healthz answers."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        str(web_port),
        "--timeout-keep-alive",
        "75",
        "flowbuilder.asgi:application",
    ]
    proc = Proc("web", cmd, {**subprocess_env, "DATABASE_POOL": "true"}, integration_logs)
    url = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"the web server exited ({proc.popen.returncode}):\n{proc.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the web server did not answer /healthz within 30 s:\n{proc.tail()}")
            time.sleep(0.1)
        yield url
    finally:
        proc.stop()


@pytest.fixture
def start_worker(
    transactional_db: Any,
    subprocess_env: dict[str, str],
    integration_logs: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[], Proc]]:
    """Factory: start a real ``celery worker -Q runs -c 2``; each is killed by process group at teardown."""
    procs: list[Proc] = []

    def start() -> Proc:
        name = f"worker{len(procs) + 1}-{request.node.name[:40]}"
        cmd = [
            sys.executable, "-m", "celery", "-A", "flowbuilder", "worker", "-Q", "runs", "-c", "2",
            "--without-gossip", "--without-mingle", "-l", "info",
            "-n", f"w{len(procs) + 1}-{os.getpid()}@%h",
        ]  # fmt: skip
        proc = Proc(name, cmd, subprocess_env, integration_logs)
        procs.append(proc)
        proc.wait_for_log(" ready.", timeout=30)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            proc.stop(grace=0)  # nothing after a test needs a clean stop (a warm shutdown took ~1 s)


@pytest.fixture
def worker(start_worker: Callable[[], Proc]) -> Proc:
    return start_worker()


@pytest.fixture
def start_beat(
    transactional_db: Any,
    subprocess_env: dict[str, str],
    integration_logs: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[], Proc]]:
    """Factory: start ``celery beat`` with the DatabaseScheduler (the sweeper every second)."""
    procs: list[Proc] = []

    def start() -> Proc:
        cmd = [
            sys.executable, "-m", "celery", "-A", "flowbuilder", "beat", "-l", "info",
            "-S", "django_celery_beat.schedulers:DatabaseScheduler",
        ]  # fmt: skip
        proc = Proc(f"beat{len(procs) + 1}-{request.node.name[:40]}", cmd, subprocess_env, integration_logs)
        procs.append(proc)
        proc.wait_for_log("beat: Starting", timeout=30)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            proc.stop(grace=0)  # nothing after a test needs a clean stop (a warm shutdown took ~1 s)


@pytest.fixture
def purge_broker() -> None:
    """Empty the runs queue and the unacknowledged set a killed worker leaves, before each test."""
    import redis
    from django.conf import settings

    from flowbuilder.celery import app as celery_app

    celery_app.control.purge()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        client.delete("unacked", "unacked_index", "unacked_mutex")
    finally:
        client.close()


# --------------------------------------------------------------------------- HTTP and websocket clients
class ApiSession:
    """A logged-in browser-like session: session cookie plus CSRF header on unsafe methods."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def login(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        page = self.http.get(f"{self.base_url}/login/", timeout=10)
        assert page.status_code == 200, page.text[:300]
        assert "csrftoken" in self.http.cookies, "the login page did not set the csrftoken cookie"
        response = self.request("POST", "/api/auth/login/", json={"username": username, "password": password})
        assert response.status_code == 200, response.text[:500]
        assert "sessionid" in self.http.cookies
        return response.json()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        if method.upper() not in ("GET", "HEAD", "OPTIONS"):
            headers.setdefault("X-CSRFToken", self.http.cookies.get("csrftoken", ""))
            headers.setdefault("Referer", f"{self.base_url}/")
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        return self.http.request(method, url, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def publish_new_flow(self, organisation_id: int, name: str, doc: dict) -> dict:
        """Create a flow and publish it through the API, as the editor does; the flow as the API now shows
        it (its published version and webhook URL set)."""
        created = self.post(
            "/api/flows/", json={"organisation": organisation_id, "name": name, "document": doc}
        )
        assert created.status_code == 201, created.text
        flow_id = created.json()["id"]
        published = self.post(f"/api/flows/{flow_id}/publish/", json={"comment": "first"})
        assert published.status_code == 201, published.text
        return self.get(f"/api/flows/{flow_id}/").json()

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)

    def websocket(self, path: str, *, origin: str | None = None, cookies: bool = True) -> ClientConnection:
        return open_websocket(
            self.base_url, path, cookie=self.cookie_header() if cookies else None, origin=origin
        )


def open_websocket(
    base_url: str, path: str, *, cookie: str | None = None, origin: str | None = None
) -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else None
    return connect(
        base_url.replace("http://", "ws://") + path,
        origin=origin or base_url,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=10,
        close_timeout=2,
    )


def receive_json(ws: ClientConnection, timeout: float) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


@pytest.fixture
def login(live_server_url: str) -> Callable[[str], ApiSession]:
    def make(username: str, password: str = PASSWORD) -> ApiSession:
        session = ApiSession(live_server_url)
        session.login(username, password)
        return session

    return make


def wait_until(condition: Callable[[], Any], timeout: float, message: str, interval: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something truthy (returned) or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(interval)


@pytest.fixture
def live_stack_isolation(unique_run_ids: None, purge_broker: None) -> None:
    """Run ids apart from other sessions' (shared Redis) and an empty broker, before a real-stack test."""
