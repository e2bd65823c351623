"""Make sure Redis (and, for tests, PostgreSQL) answer on this machine; start or install them if not.

Run as ``python -m flowbuilder.devtools.services [--postgres]`` from the Makefile, before Django starts.
It only ever binds services to 127.0.0.1. When it cannot help, it prints exactly what to do.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlparse


def _answers(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _wait(host: str, port: int, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _answers(host, port):
            return True
        time.sleep(0.3)
    return False


def _apt_install(package: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    print(f"installing {package} with apt-get ...", flush=True)
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    subprocess.run([*apt, "update", "-qq"], check=False)
    return subprocess.run([*apt, "install", "-y", "-qq", package], check=False).returncode == 0


def ensure_redis(url: str) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if _answers(host, port):
        return
    if host not in {"127.0.0.1", "localhost"}:
        sys.exit(f"Redis at {url} does not answer. Start it, or unset REDIS_URL to use a local one.")
    if not shutil.which("redis-server") and not _apt_install("redis-server"):
        sys.exit(
            "Redis is not installed. Install it (Debian: sudo apt-get install redis-server) and run again."
        )
    print(f"starting redis-server on 127.0.0.1:{port} ...", flush=True)
    subprocess.run(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        check=False,
    )
    if not _wait(host, port):
        sys.exit(f"redis-server did not start on port {port}; look at its log, or start it yourself.")


def ensure_postgres(url: str) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 5432
    if not _answers(host, port):
        if host not in {"127.0.0.1", "localhost"}:
            sys.exit(
                f"PostgreSQL at {host}:{port} does not answer. Start it or point DATABASE_URL elsewhere."
            )
        if not shutil.which("pg_ctlcluster") and not _apt_install("postgresql"):
            sys.exit(
                "PostgreSQL is not installed. Install it (Debian: sudo apt-get install postgresql) and run again."
            )
        versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        if not versions:
            sys.exit("No PostgreSQL cluster found under /etc/postgresql; create one with pg_createcluster.")
        print(f"starting PostgreSQL {versions[-1]} ...", flush=True)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False
        )
        if not _wait(host, port):
            sys.exit("PostgreSQL did not start; see /var/log/postgresql/ for why.")
    _ensure_role(parsed.username or "postgres", host, port)


def _ensure_role(user: str, host: str, port: int) -> None:
    """Tests create their database: the role needs CREATEDB. Fix it when we can, as the postgres user."""
    import psycopg

    try:
        with psycopg.connect(host=host, port=port, user=user, dbname="postgres", connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            if row and row[0]:
                return
    except psycopg.OperationalError:
        pass
    if os.geteuid() == 0 and shutil.which("su"):
        sql = f'DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname=\'{user}\') THEN CREATE ROLE "{user}" LOGIN; END IF; END$$; ALTER ROLE "{user}" CREATEDB;'
        subprocess.run(
            ["su", "postgres", "-c", f'psql -p {port} -c "{sql}"'], check=False, capture_output=True
        )
        return
    sys.exit(
        f"The PostgreSQL role {user!r} needs CREATEDB: run  sudo -u postgres psql -c 'ALTER ROLE \"{user}\" CREATEDB'"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="also make sure PostgreSQL answers (tests)")
    args = parser.parse_args()
    # The settings module is the one reader of the environment; importing it needs no running service.
    from flowbuilder import settings

    ensure_redis(settings.REDIS_URL)
    if args.postgres:
        if not settings.DATABASE_URL.startswith("postgres"):
            sys.exit("--postgres needs DATABASE_URL set to a postgres:// URL (make test sets it).")
        ensure_postgres(settings.DATABASE_URL)


if __name__ == "__main__":
    main()
