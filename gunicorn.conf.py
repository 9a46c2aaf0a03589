"""gunicorn settings (read from the working directory; command-line flags override them).

Sized for a small machine: ``WEB_CONCURRENCY`` workers (default one per core; sync, or ``GUNICORN_THREADS`` threads
each), each recycled after about
``GUNICORN_MAX_REQUESTS`` requests (jittered, so they do not restart together). ``--preload``: the app (Django, URL
conf, views) is imported once in the master and the workers fork warm, so no worker spends its first request
loading it, and the imported code is shared copy-on-write.
"""

import gc
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# One per core: on 2 cores, 2 sync workers answered a single client's span writes ~0.4 ms faster at the median than
# 3 (4.94 / 4.94 ms against 5.19–5.72), the same 8-client throughput within the noise (317–324 spans/s against
# 309–337) and ~55 MB less (bench/README.md, 2026-12-03): the hot paths spend their time on the CPU, not waiting.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
# GUNICORN_THREADS > 1: threaded workers (gthread), so a worker waiting on the database (a commit's fsync) serves
# another request meanwhile — fewer processes (less memory) for the same concurrency.
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
preload_app = True
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None  # "": none (benchmarks)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """A connection opened while preloading must not be shared by the forked workers."""
    from django.db import connections

    connections.close_all()


def when_ready(server):
    """The master has loaded the app (preload): load what the workers would load on their first requests."""
    from factcheck.warmup import warm_up

    warm_up()


def pre_fork(server, worker):
    """Move everything the preload made into the permanent generation: the workers' garbage collections then
    never walk (and so never copy) those pages, which stay shared with the master (Instagram's gc.freeze)."""
    gc.freeze()
