"""Real parts for end-to-end tests: a Celery worker, beat and a daphne server as subprocesses.

Every subprocess runs in its own session (process group) and is stopped by killing that group in fixture
teardown, so a failing test cannot leave a worker behind to steal the next test's tasks. All of them use
the test process's database (pytest-django's ``test_<name>``) and Redis URL.
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
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from websockets.sync.client import ClientConnection, connect

from tests.support.http_endpoint import Endpoint

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-12345678"

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
        if self.popen.poll() is None:
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


@pytest.fixture(scope="session", autouse=True)
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
    return {
        **os.environ,
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
    """daphne serving flowbuilder.asgi (HTTP + websockets) on 127.0.0.1, ready when /healthz answers."""
    cmd = [
        sys.executable,
        "-m",
        "daphne",
        "-b",
        "127.0.0.1",
        "-p",
        str(web_port),
        "flowbuilder.asgi:application",
    ]
    proc = Proc("daphne", cmd, subprocess_env, integration_logs)
    url = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"daphne exited ({proc.popen.returncode}):\n{proc.tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"daphne did not answer /healthz within 30 s:\n{proc.tail()}")
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
            proc.stop()


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
            proc.stop()


@pytest.fixture(autouse=True)
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


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint()
    try:
        yield ep
    finally:
        ep.close()


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

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

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


# --------------------------------------------------------------------------- the sandbox systems
TERMINAL_RUN = frozenset({"succeeded", "failed", "cancelled"})


class Sandbox:
    """A sandbox server of this test module (real HTTP on 127.0.0.1) and its admin API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback sandbox
            raw = response.read()
        return json.loads(raw) if raw else None

    def requests_by_object(self, methods: tuple[str, ...] = ("POST", "PUT", "PATCH")) -> dict[str, int]:
        """Requests with these methods per ``"<system> <METHOD> <object>"``, from /_admin/stats."""
        stats = self.admin("GET", "/_admin/stats")["systems"]
        prefixes = tuple(f"{m} " for m in methods)
        return {
            f"{system} {key}": count
            for system, data in stats.items()
            for key, count in (data.get("by_object") or {}).items()
            if key.startswith(prefixes)
        }


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A fresh sandbox per test module, without rate limits (the tests count requests, not 429s)."""
    from sandbox.config import SYSTEMS, SandboxConfig
    from sandbox.runner import start_sandbox

    config = SandboxConfig(rate_limits=dict.fromkeys(SYSTEMS, 0.0))
    url, stop = start_sandbox(0, tmp_path_factory.mktemp("sandbox"), reset=True, config=config)
    try:
        yield Sandbox(url)
    finally:
        stop()


def node_errors(run: Any) -> list:
    """(node id, error) of every node of ``run`` that has one: what a failure message should show."""
    from flowbuilder.execution.models import NodeRun

    return list(NodeRun.objects.filter(run=run).exclude(error=None).values_list("node_id", "error"))


def wait_for_run_row(run: Any, timeout: float = 60) -> Any:
    """Wait until ``run`` (a Run row) is finished, reading the database; returns it refreshed."""

    def done() -> Any:
        run.refresh_from_db()
        return run if run.status in TERMINAL_RUN else None

    wait_until(done, timeout, f"run {run.pk} did not finish", interval=0.2)
    return run


def diagnose_flows(flows: dict[str, Any]) -> str:
    """Runs per flow with their failing nodes and the flows' polling state, for a timeout's message."""
    from flowbuilder.execution.models import Run
    from flowbuilder.triggers.models import PollingState

    out = []
    for key, flow in flows.items():
        for run in Run.objects.filter(flow=flow).order_by("id"):
            out.append(f"{key} run {run.pk} {run.status} in={len(run.input_items or [])} {node_errors(run)}")
    for state in PollingState.objects.filter(flow__in=flows.values()):
        out.append(f"poll {state.flow.name}: generation {state.generation}, error {state.last_error!r}")
    return "\n".join(out) or "no runs"


def settle_flows(flows: dict[str, Any], expected_failures: frozenset[int] = frozenset()) -> None:
    """Every run of every flow finished, and succeeded (but the ones a test made fail on purpose)."""
    from flowbuilder.execution.models import Run

    def all_done() -> bool:
        return not Run.objects.filter(flow__in=flows.values()).exclude(status__in=TERMINAL_RUN).exists()

    wait_for_flows(flows, all_done, 60, "runs still going")
    failed = [
        (r.flow.name, r.pk, node_errors(r))
        for r in Run.objects.filter(flow__in=flows.values(), status="failed").exclude(
            pk__in=expected_failures
        )
    ]
    assert not failed, failed


def wait_for_flows(flows: dict[str, Any], condition: Callable[[], Any], timeout: float, message: str) -> Any:
    """``wait_until`` whose failure message tells what the flows' runs and triggers were doing."""
    try:
        return wait_until(condition, timeout, message, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{diagnose_flows(flows)}") from None


def close_won_deal(sf: Any, *, account_name: str, opportunity_name: str) -> tuple[dict, dict]:
    """In the sandbox Salesforce: an account and an opportunity with a T&M line (2 x 4,000) and a
    fixed-fee line (40,000), then moved to Closed Won, which is what the quote-to-project flows poll for."""
    account = sf.run_action(
        "create", {"sobject": "Account", "fields": {"Name": account_name, "BillingCountry": "GB"}}
    )
    opp = sf.run_action(
        "create",
        {
            "sobject": "Opportunity",
            "fields": {
                "Name": opportunity_name,
                "AccountId": account["id"],
                "StageName": "Negotiation/Review",
                "CloseDate": "2026-02-02",
                "Amount": 48000,
            },
        },
    )
    for description, quantity, price in (("Discovery workshop", 2, 4000), ("Rollout FIXED fee", 1, 40000)):
        sf.run_action(
            "create",
            {
                "sobject": "OpportunityLineItem",
                "fields": {
                    "OpportunityId": opp["id"],
                    "Description": description,
                    "Quantity": quantity,
                    "UnitPrice": price,
                    "ProductCode": "FIXED" if "FIXED" in description else "TM",
                },
            },
        )
    sf.run_action(
        "update", {"sobject": "Opportunity", "id": opp["id"], "fields": {"StageName": "Closed Won"}}
    )
    return account, opp


@dataclass
class LiveLifecycle:
    actor: Any
    customer: Any
    connections: dict[str, Any]
    flows: dict[str, Any]


def live_lifecycle(
    *,
    sandbox: Sandbox,
    make_org: Callable[..., Any],
    make_user: Callable[..., Any],
    name: str,
    systems: tuple[str, ...],
    values_for: Callable[[dict[str, Any]], dict[str, Any]],
) -> LiveLifecycle:
    """A partner and a customer with sandbox connections to ``systems``, and the lifecycle templates for
    those systems installed in the partner and cloned live (published) into the customer, as
    ``manage.py load_demo`` does. ``values_for(template spec)`` gives the clone's parameter values."""
    from flowbuilder.devtools.demo import (
        clone_live,
        install_template,
        load_template_file,
        sandbox_connection,
        template_files,
    )
    from flowbuilder.tenancy.models import OrganisationKind

    partner = make_org(f"{name} Partner", kind=OrganisationKind.PARTNER)
    customer = make_org(f"{name} Customer", parent=partner)
    actor = make_user(f"partner-{uuid.uuid4().hex[:6]}", partner, "admin")
    client = {"client_id": "sandbox-client", "client_secret": "sandbox-secret"}

    from tests.support.sandbox_auth import kantata_token

    token = kantata_token(sandbox.url, client) if "kantata" in systems else None

    def connect(org: Any) -> dict[str, Any]:
        return {
            s: sandbox_connection(
                actor=actor,
                organisation=org,
                system=s,
                sandbox_url=sandbox.url,
                client=client,
                kantata_token=token,
            )
            for s in systems
        }

    partner_connections, connections = connect(partner), connect(customer)
    flows = {}
    for path in template_files(systems=systems):
        spec = load_template_file(path)
        template = install_template(
            actor=actor, partner=partner, spec=spec, partner_connections=partner_connections
        )
        flows[spec["key"]] = clone_live(
            actor=actor,
            template=template,
            customer=customer,
            connections=connections,
            values=values_for(spec),
        )
    return LiveLifecycle(actor, customer, connections, flows)


def wait_for_first_polls(flows: dict[str, Any]) -> None:
    """Every polling trigger of ``flows`` polled once (its starting point is set): changes count from now."""
    from flowbuilder.triggers.models import PollingState

    states = PollingState.objects.filter(flow__in=flows.values())
    assert states.count() == len(flows)
    wait_until(
        lambda: not states.filter(generation=0).exists(), 30, "the triggers never polled", interval=0.2
    )
