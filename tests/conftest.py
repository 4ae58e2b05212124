"""Shared fixtures. Service-backed tests skip, with the reason printed, when the service is absent."""

import os
import shutil
import sys

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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Skip browser tests where there is no Chromium, saying why; and run tests that empty the
    database (transactional, live server, browser) after the others, which rely on data the
    migrations made, such as the Sales group. pytest-django orders them so, but fixture
    reordering can undo it."""

    def empties_database(item):
        marker = item.get_closest_marker("django_db")
        flagged = bool(marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")))
        return flagged or bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))

    items.sort(key=empties_database)
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
def start_worker(require_redis, tmp_path):
    """Start real `celery -A config worker` processes on the test database; all stopped afterwards.

    Call it with extra environment, e.g. start_worker(EMAIL_URL="smtp://127.0.0.1:2525").
    Workers need PostgreSQL to share the test database (SQLite's test database is in memory).
    """
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parents[1]
    processes = []

    def start(queues="celery,mail,webhooks", **extra_env):
        # The worker uses this process's Redis database exactly (settings.py gives each test
        # process its own), so it is passed as it is and not worked out again.
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "REDIS_URL": settings.REDIS_URL, **extra_env}
        env.pop("PYTEST_XDIST_WORKER", None)
        db = connection.settings_dict
        if connection.vendor == "postgresql":
            env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
        log = tmp_path / f"worker-{len(processes)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "info",
                    "-Q", queues, "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "-n", f"test-{os.getpid()}-{len(processes)}@%h",
                ],
                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        processes.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"Celery worker exited early:\n{log.read_text()}")
            if "ready." in log.read_text():
                return process
            time.sleep(0.2)
        pytest.fail(f"Celery worker did not start:\n{log.read_text()}")

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker_process(start_worker):
    """A real worker on the shared Redis broker."""
    from config.celery import app

    start_worker()
    return app


@pytest.fixture
def eager_celery():
    """Run tasks in this process, as without REDIS_URL, even when a broker is configured."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


class SmtpSink:
    """An SMTP server on loopback (aiosmtpd) that keeps what it receives, or refuses on demand."""

    def __init__(self):
        self.messages = []
        self.refuse_with = None  # e.g. "451 4.3.0 Try again later"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append({"rcpt": list(envelope.rcpt_tos), "message": message})
        return "250 OK"

    def wait_for(self, count, timeout=20):
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages) < count:
            time.sleep(0.05)
        return self.messages

    def to(self, address):
        return [m["message"] for m in self.messages if address in m["rcpt"]]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1; Django's email settings point at it for this test."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.port = port
    sink.url = f"smtp://127.0.0.1:{port}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


@pytest.fixture(autouse=True)
def _bookings_not_rate_limited(settings):
    """Every test books from 127.0.0.1, and the count outlives a test in the cache: the tests of
    the limit itself set it and use their own client address."""
    settings.BOOKINGS_RATE_LIMIT_PER_HOUR = 100_000
    settings.BOOKING_CHANGES_PER_HOUR = 100_000


@pytest.fixture(scope="module")
def demo_for_module(django_db_setup, django_db_blocker):
    """The demo (load_demo --no-user) loaded once for every test of a module, and rolled back
    after the last. Loading takes seconds; each test still runs in its own savepoint inside this
    transaction. Only for modules whose every test may see the demo."""
    from django.core.management import call_command
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", "--no-user", verbosity=0)
        except BaseException:
            outer.__exit__(*sys.exc_info())  # rolled back: nothing left open for later tests
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
