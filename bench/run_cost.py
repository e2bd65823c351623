"""What one run costs the shared services: SQL statements and rows per run, Redis commands per run.

Starts web (uvicorn) and one worker against a fresh PostgreSQL database, sends W1 runs (a 40-node map chain
behind a webhook, wait-for-result), and reads PostgreSQL's and Redis's own counters before and after:
``pg_stat_database`` (transactions, rows inserted/updated) and ``INFO commandstats`` (every Redis command,
broker and Channels layer and waiter hub together). docs/scaling.md uses these figures to say what
saturates first on N machines.
Ends with: RUNCOST runs=<n> xact_per_run=<n> rows_written_per_run=<n> redis_cmds_per_run=<n>
"""

from __future__ import annotations

import sys
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.harness import bench_env, free_port, fresh_database, manage, running, setup_django  # noqa: E402
from bench.w1_chain import build_flow, call  # noqa: E402

RUNS = 200


def pg_counters() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
            "WHERE datname = current_database()"
        )
        commits, rows = cursor.fetchone()
    return int(commits), int(rows)


def redis_calls(client: redis.Redis) -> dict[str, int]:
    return {name: int(stats["calls"]) for name, stats in client.info("commandstats").items()}


def main() -> None:
    database_url = fresh_database("flowbuilder_bench_runcost")
    env = bench_env(database_url)
    manage(env, "migrate", "--noinput")
    setup_django(env)
    token = build_flow()
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/{token}/?wait=1"
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    with running(env) as procs:
        procs.web(port)
        procs.worker(concurrency=4, pool="threads")
        session = requests.Session()
        for i in range(20):
            call(session, url, i)
        commits0, rows0 = pg_counters()
        calls0 = redis_calls(client)
        for i in range(RUNS):
            call(session, url, i)
        commits1, rows1 = pg_counters()
        calls1 = redis_calls(client)
    per_command = {k: (calls1.get(k, 0) - calls0.get(k, 0)) / RUNS for k in calls1}
    busiest = sorted(per_command.items(), key=lambda kv: -kv[1])[:6]
    print("Redis commands per run: " + ", ".join(f"{k.removeprefix('cmdstat_')}={v:.1f}" for k, v in busiest))
    redis_per_run = sum(per_command.values())
    print(
        f"RUNCOST runs={RUNS} xact_per_run={(commits1 - commits0) / RUNS:.1f} "
        f"rows_written_per_run={(rows1 - rows0) / RUNS:.0f} redis_cmds_per_run={redis_per_run:.1f}"
    )


if __name__ == "__main__":
    main()
