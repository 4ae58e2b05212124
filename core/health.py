"""Checks behind /healthz/: each returns None when healthy or a short error string.

The checks run side by side with one deadline, so a hung service (Redis stopped with SIGSTOP
accepts connections and never answers) makes /healthz/ say "down" within a second instead of
hanging the caller and the web worker."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


def check_cache():
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        ok = cache.get(key) == "ok"
        cache.delete(key)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None if ok else "cache did not return the value it was given"


def check_broker():
    """None when there is no broker to check (Celery runs eagerly)."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=DEADLINE_SECONDS)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


DEADLINE_SECONDS = 0.8
# Threads outlive a check that hangs, so they are shared: a few, not one a request.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")
_running = {}  # check name -> its future, while it runs: a hung check is waited on, not started again
_lock = threading.Lock()


def _run(check):
    from django.db import connections

    try:
        return check()
    finally:
        connections.close_all()  # this thread's own connection, if it opened one


def _submit(name, check):
    with _lock:
        future = _running.get(name)
        if future is None or future.done():
            future = _running[name] = _pool.submit(_run, check)
        return future


def health_report():
    # The database is checked here (its connection and timeout are the request's own); the
    # services that can hang (Redis as cache and broker) in the pool, with one deadline.
    report = {"database": check_database()}
    checks = {"cache": check_cache}
    if settings.REDIS_URL:
        checks["broker"] = check_broker
    futures = {name: _submit(name, check) for name, check in checks.items()}
    wait(futures.values(), timeout=DEADLINE_SECONDS)
    for name, future in futures.items():
        report[name] = future.result() if future.done() else f"no answer within {DEADLINE_SECONDS} s"
    report = {
        name: {"status": "ok"} if error is None else {"status": "down", "error": error}
        for name, error in report.items()
    }
    healthy = all(item["status"] == "ok" for item in report.values())
    return healthy, report
