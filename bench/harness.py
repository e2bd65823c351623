"""Shared bench plumbing: a fresh PostgreSQL database, real processes, RSS sampling. Not a test."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/12")
# Several people benchmarking on one machine: each names its own databases (e.g. BENCH_DB_SUFFIX=_wt1).
DB_SUFFIX = os.environ.get("BENCH_DB_SUFFIX", "")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(name: str) -> str:
    import psycopg

    name += DB_SUFFIX
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def bench_env(database_url: str, **extra: str) -> dict[str, str]:
    # A bench is a throw-away test installation: the public development keys are fine (settings.py).
    env = {
        "FLOWBUILDER_TESTING": "true",
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS,
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def setup_django(env: dict[str, str]) -> None:
    passed = {"DATABASE_URL", "REDIS_URL", "LOG_LEVEL", "FLOWBUILDER_TESTING"}
    os.environ.update({k: v for k, v in env.items() if k in passed})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "flowbuilder.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


class Processes:
    """Start real processes in their own sessions; always stop them (by process group) on exit."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs = ROOT / "var" / "bench"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, *cmd: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.procs[name] = proc
        return proc

    def web(self, port: int) -> None:
        cmd = [
            "-m",
            "uvicorn",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--timeout-keep-alive",
            "75",
            "--log-level",
            "warning",
            "flowbuilder.asgi:application",
        ]
        self.env = {**self.env, "DATABASE_POOL": "true"}
        self.start("web", sys.executable, *cmd)
        self.env = {k: v for k, v in self.env.items() if k != "DATABASE_POOL"}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                    return
            time.sleep(0.2)
        raise RuntimeError("web did not start; see var/bench/web.log")

    def worker(self, concurrency: int = 2, pool: str = "prefork", name: str = "worker") -> None:
        self.start(
            name,
            sys.executable,
            "-m",
            "celery",
            "-A",
            "flowbuilder",
            "worker",
            "-Q",
            "runs",
            "-c",
            str(concurrency),
            "-P",
            pool,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{name}@%h",
            "-l",
            "warning",
        )
        from flowbuilder.celery import app

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if app.control.ping(timeout=0.5):
                return
        raise RuntimeError(f"worker did not start; see var/bench/{name}.log")

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def tree_rss_mb(pids: list[int]) -> float:
    """Resident memory of these processes and all their descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, list(pids)
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and their descendants (live ones)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                stats[int(entry)] = fields
                children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack = 0.0, list(pids)
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        if pid in stats:
            total += (int(stats[pid][11]) + int(stats[pid][12])) / tick  # utime, stime
    return total


class PeakRSS:
    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, tree_rss_mb(self.pids))

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_mb(self.pids))


@contextlib.contextmanager
def running(env: dict[str, str]) -> Iterator[Processes]:
    procs = Processes(env)
    try:
        yield procs
    finally:
        procs.stop()
