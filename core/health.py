"""Checks behind /healthz/: each returns None when healthy or a short error string."""

import uuid

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
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".strip()[:200]
    return None


def health_report():
    checks = {"database": check_database, "cache": check_cache}
    if settings.REDIS_URL:
        checks["broker"] = check_broker
    report = {}
    for name, check in checks.items():
        error = check()
        report[name] = {"status": "ok"} if error is None else {"status": "down", "error": error}
    healthy = all(item["status"] == "ok" for item in report.values())
    return healthy, report
