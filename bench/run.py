"""``make bench``: the production configuration on loopback, the span workload against it, results in a file.

    python bench/run.py [--articles 200] [--out bench/results/DATE-HOST.jsonl] [--keep-database]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default postgres://postgres@127.0.0.1:5432/fc_bench),
migrates it, makes a site admin with an API token, starts gunicorn (``gunicorn.conf.py``: preload, one sync worker
per core, persistent connections, DEBUG off) and a Celery worker (concurrency 2) on Redis (``BENCH_REDIS_URL``, default
redis://127.0.0.1:6379/7: its own database, flushed first), runs ``bench/load.py`` with their process ids, writes
every JSON line it prints to ``--out`` (and to the terminal), then stops both and drops the database. A missing
PostgreSQL or Redis is an error, not a skip.
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr)
    raise SystemExit(1)


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, text=True, capture_output=capture)
    if result.returncode != 0:
        fail(f"manage.py {' '.join(args)} failed:\n{result.stderr if capture else ''}")
    return result.stdout if capture else ""


def psql(database_url: str, sql: str) -> None:
    parts = urlsplit(database_url)
    admin = parts._replace(path="/postgres").geturl()
    import psycopg

    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(sql)


def wait_http(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"the server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    fail(f"{url} did not answer within {seconds:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H%M")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / f"{stamp}-{platform.node()}.jsonl")
    parser.add_argument("--keep-database", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--web-concurrency", type=int, default=None, help="gunicorn workers (default: its config)")
    parser.add_argument("--web-threads", type=int, default=None, help="threads per gunicorn worker (default: 1, sync)")
    parser.add_argument("--worker-pool", choices=("prefork", "threads", "solo"), default=None,
                        help="Celery pool (default: the worker's, CELERY_WORKER_POOL or prefork)")  # fmt: skip
    parser.add_argument("--client", choices=("stdlib", "httpx"), default="stdlib",
                        help="bench/load.py's HTTP client for the span and list phases")  # fmt: skip
    parser.add_argument("--scale", type=int, default=0, metavar="N",
                        help="also bench/scale.py: N articles by bulk API and by CLI, one long article")  # fmt: skip
    parser.add_argument("--scale-only", action="append", default=[], choices=("bulk", "cli", "list"),
                        help="with --scale: only this scaling phase (repeatable)")  # fmt: skip
    parser.add_argument("--skip-load", action="store_true", help="only the scaling runs (with --scale)")
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fc_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    if not reachable(database_url, 5432):
        fail(f"PostgreSQL is not reachable at {database_url} (set BENCH_DATABASE_URL)")
    if not reachable(redis_url, 6379):
        fail(f"Redis is not reachable at {redis_url} (set BENCH_REDIS_URL)")
    name = urlsplit(database_url).path.lstrip("/")
    psql(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(database_url, f'CREATE DATABASE "{name}"')
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "factcheck.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "PORT": str(port),
        "SECURE_COOKIES": "false",  # plain http on loopback
        "THROTTLE_USER": "100000000/minute",
        "THROTTLE_IMPORTS": "100000000/minute",
        "THROTTLE_EXPORTS": "100000000/minute",
        "GUNICORN_ACCESSLOG": "",
    }
    if args.web_concurrency:
        env["WEB_CONCURRENCY"] = str(args.web_concurrency)
    if args.web_threads:
        env["GUNICORN_THREADS"] = str(args.web_threads)
    if args.worker_pool:
        env["CELERY_WORKER_POOL"] = args.worker_pool
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    token, reviewer_token = manage(env, "shell", "-c", BENCH_USERS, capture=True).strip().splitlines()[-2:]

    logs = ROOT / ".bench-logs"
    logs.mkdir(exist_ok=True)
    with open(logs / "web.log", "wb") as web_log, open(logs / "worker.log", "wb") as worker_log:
        web = subprocess.Popen([PYTHON, "-m", "gunicorn", "factcheck.wsgi:application", "-b", f"127.0.0.1:{port}"],
                               cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
        worker = subprocess.Popen([PYTHON, "-m", "celery", "-A", "factcheck", "worker", "--concurrency=2",
                                   "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
                                  cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
                                  start_new_session=True)  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", web)
        time.sleep(2)  # the worker connects to the broker
        if worker.poll() is not None:
            fail(f"the Celery worker exited with {worker.returncode}: see {logs / 'worker.log'}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        users = ["--token", token, "--reviewer", "bench-reviewer", "--reviewer-token", reviewer_token]
        pids = ["--server-pid", str(web.pid), "--server-pid", str(worker.pid)]
        base = ["--base-url", f"http://127.0.0.1:{port}"]
        workload = [str(ROOT / "bench" / "load.py"), "--articles", str(args.articles), "--client", args.client]
        runs = [] if args.skip_load else [workload]
        if args.scale:
            runs.append([str(ROOT / "bench" / "scale.py"), "--articles", str(args.scale), "--cli",
                         f"{PYTHON} {ROOT / 'manage.py'}", *(f"--only={n}" for n in args.scale_only)])  # fmt: skip
        header = {"phase": "run", "at": stamp, "host": platform.node(), "cpus": os.cpu_count(),
                  "web_workers": env.get("WEB_CONCURRENCY", "default"), "web_threads": env.get("GUNICORN_THREADS", "1"),
                  "worker_pool": env.get("CELERY_WORKER_POOL", "prefork"), "client": args.client,
                  "articles": args.articles, "scale": args.scale, "git": _git_revision(),
                  "python": platform.python_version(),
                  "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
        lines, failed = [json.dumps(header)], None
        for script in runs:
            load = subprocess.run([PYTHON, *script, *base, *users, *pids], cwd=ROOT,
                                  env={**env, "PYTHONUNBUFFERED": "1"}, text=True, capture_output=True)  # fmt: skip
            sys.stderr.write(load.stderr)
            lines += [line for line in load.stdout.splitlines() if line.startswith("{")]
            if load.returncode != 0:
                failed = f"{Path(script[0]).name} exited with {load.returncode}"
                break
        args.out.write_text("\n".join(lines) + "\n")
        print("\n".join(lines))
        if failed:
            fail(failed)
        print(f"bench: results in {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    finally:
        for process in (web, worker):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        if not args.keep_database:
            psql(database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


BENCH_USERS = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
admin = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
reviewer = get_user_model().objects.create_user("bench-reviewer", "reviewer@example.org", None)
print(Token.objects.create(user=admin).key)
print(Token.objects.create(user=reviewer).key)
"""


def _git_revision() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
