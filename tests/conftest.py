"""Shared fixtures. Service-backed tests skip, with the reason printed, when the service is absent."""

import os
import shutil

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_configure(config):
    # Tests serve static files straight from the apps: no collectstatic manifest is needed.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def uses_postgres():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def require_postgres():
    if not uses_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... to run")


@pytest.fixture
def require_redis():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL=redis://... to run")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config, items):
    """Skip browser tests where there is no Chromium, saying why."""
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    """Say which services this run uses, so a CI log shows what was really exercised."""
    lines = []
    db = settings.DATABASES["default"]
    if uses_postgres():
        import psycopg

        try:
            with psycopg.connect(
                host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname="postgres", connect_timeout=3
            ) as conn:
                version = "PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0]
        except Exception as exc:
            version = f"PostgreSQL (unreachable: {exc})"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    lines.append(f"database: {version}")
    if settings.REDIS_URL:
        import redis

        try:
            info = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).info("server")
            lines.append(
                f"redis: {info['redis_version']} at {settings.REDIS_URL}; Celery uses a real broker and worker"
            )
        except Exception as exc:
            lines.append(f"redis: unreachable at {settings.REDIS_URL} ({exc})")
    else:
        lines.append("redis: not configured; cache in memory, Celery tasks run eagerly")
    return lines


@pytest.fixture
def celery_worker_process(require_redis, tmp_path):
    """A real `celery -A config worker` in a subprocess, on the test database; stopped afterwards."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-l",
                "info",
                "-Q",
                "celery,mail",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{os.getpid()}@%h",
            ],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    from config.celery import app

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Celery worker exited early:\n{log.read_text()}")
        if "ready." in log.read_text():
            break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"Celery worker did not start:\n{log.read_text()}")
    yield app
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
