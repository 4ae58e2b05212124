"""What `make bench` (bench_http.py) runs the site on, each of its own: a PostgreSQL database,
a Redis database, an aiosmtpd server, gunicorn and a Celery worker, all on loopback, all
stopped (and the database dropped, Redis flushed) by cleanup(), also after errors."""

import contextlib
import http.client
import os
import re
import runpy
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.load import bench_http_load as load

ROOT = Path(__file__).resolve().parents[2]
OUTBOX_ID = re.compile(rb"^X-Outbox-Id:\s*(\d+)", re.MULTILINE | re.IGNORECASE)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def git_version():
    """The commit measured, and whether the work tree had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    except OSError:
        return "no git"
    return f"commit {commit.stdout.strip()}" + (" with changes" if dirty.stdout.strip() else "")


def children(process):
    try:
        return Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    except OSError:
        return []


class Sink:
    """aiosmtpd handler: counts the emails it is sent by their outbox row (X-Outbox-Id)."""

    def __init__(self):
        self.ids = Counter()

    async def handle_DATA(self, server, session, envelope):
        match = OUTBOX_ID.search(envelope.content)
        self.ids[int(match.group(1)) if match else None] += 1
        return "250 OK"


class Services:
    def __init__(self, args):
        self.args = args
        self.db_name = "bench_http" if args.keep else f"bench_http_{os.getpid()}"
        self.redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
        self.db_created = self.reused = False
        self.server = self.worker = self.smtp = None
        self.logdir = Path(tempfile.mkdtemp(prefix="bench_http_"))
        self.port = free_port()

    def pg_admin(self, sql):
        """SQL on the server's `postgres` database (create, drop, versions, backends)."""
        import psycopg

        with psycopg.connect(f"{self.args.pg_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def pg_backends(self):
        rows = self.pg_admin(f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db_name}'")
        return [str(pid) for (pid,) in rows]

    def environment(self):
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{self.args.pg_url.rstrip('/')}/{self.db_name}",
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "SECRET_KEY": "benchmark-only-secret-key-not-for-production",
            "DEBUG": "false",
            "USE_HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "LOG_LEVEL": "WARNING",
            # The bookings all come from 127.0.0.1: the per-address limit would stop them at 10.
            "BOOKINGS_RATE_LIMIT_PER_HOUR": "100000000",
        }

    # Setup ------------------------------------------------------------------------------------

    def machine(self, wrk_path):
        """One line about the machine and its services; fails clearly when one is missing."""
        import redis

        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        try:
            version, shared_buffers = self.pg_admin(
                "SELECT current_setting('server_version'), current_setting('shared_buffers')"
            )[0]
        except Exception as exc:
            raise SystemExit(f"make bench needs PostgreSQL at {self.args.pg_url} (--pg-url): {exc}") from None
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=3)
        try:
            client.flushdb()
        except redis.RedisError as exc:
            raise SystemExit(f"make bench needs Redis at {self.args.redis} (--redis): {exc}") from None
        wrk_version = subprocess.run([wrk_path, "--version"], capture_output=True, text=True).stdout.split()
        self.load_at_start = os.getloadavg()[0]
        self.machine_line = (
            f"{os.cpu_count()} cores ({cpu.group(1).strip() if cpu else 'unknown CPU'}), {kb / 1024 / 1024:.0f} GB RAM; "
            f"PostgreSQL {version.split()[0]} (shared_buffers {shared_buffers}), "
            f"Redis {client.info('server')['redis_version']}, Python {sys.version.split()[0]}, "
            f"wrk {wrk_version[1] if len(wrk_version) > 1 else '?'}"
        )
        print(f"machine   {self.machine_line}; load average {self.load_at_start:.2f} at start")

    def start_smtp(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line for every SMTP command
        self.sink = Sink()
        self.smtp_port = free_port()
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port, server_hostname="bench.local")
        self.smtp.start()

    def setup_django(self):
        """The database (new, or the kept one with --reuse), Django set up on it, migrated, and
        the static files collected as a deploy does (DEBUG off needs their manifest)."""
        exists = self.pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{self.db_name}'")
        if exists and not self.args.reuse:  # kept by an earlier run
            self.pg_admin(f'DROP DATABASE "{self.db_name}" WITH (FORCE)')
        self.reused = bool(exists and self.args.reuse)
        if not self.reused:
            self.pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        os.environ.update(self.environment())  # before django.setup(): settings read them
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        assert settings.DATABASES["default"]["NAME"] == self.db_name
        assert not settings.DEBUG and not settings.CELERY_TASK_ALWAYS_EAGER
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        migrated = time.perf_counter()
        call_command("collectstatic_if_changed", verbosity=0)
        static = f"static files {time.perf_counter() - migrated:.0f}s"
        print(f"database  {self.db_name} migrated in {migrated - started:.0f}s; {static}")

    def gunicorn_settings(self, env):
        """workers and threads as config/gunicorn.conf.py makes them from `env`."""
        saved = dict(os.environ)
        try:
            os.environ.update(env)
            conf = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return conf["workers"], conf["threads"]

    def spawn(self, name, command, env):
        log = self.logdir / f"{name}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return process, log

    def start(self):
        """gunicorn and the Celery worker, once both answer."""
        env = {**os.environ, **self.environment()}
        overrides = {"WEB_CONCURRENCY": self.args.workers, "GUNICORN_THREADS": self.args.threads}
        env.update({k: str(v) for k, v in overrides.items() if v is not None})
        self.workers, self.threads = self.gunicorn_settings(env)
        import gunicorn

        kind = (
            f"{self.workers} workers × {self.threads} threads" if self.threads > 1 else f"{self.workers} sync workers"
        )
        self.machine_line += f"; gunicorn {gunicorn.__version__}, {kind}"
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "celery,mail,webhooks", "-l", "info"]
        command += ["-n", f"bench-http-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.worker, self.worker_log = self.spawn("worker", command, env)
        command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "config.wsgi:application"]
        self.server, self.server_log = self.spawn("gunicorn", command, env)
        deadline = time.monotonic() + 90
        while True:
            for process, log in ((self.server, self.server_log), (self.worker, self.worker_log)):
                if process.poll() is not None:
                    raise RuntimeError(f"{log.stem} exited (code {process.returncode}):\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                up = self.request("GET", "/healthz/")[0] == 200 and len(children(self.server)) == self.workers
                if up and "ready." in self.worker_log.read_text():
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn or the worker not up within 90 s:\n{self.server_log.read_text()[-3000:]}")
            time.sleep(0.2)
        print(f"server    gunicorn -c config/gunicorn.conf.py on 127.0.0.1:{self.port} ({kind}) and celery worker: up")

    # While it runs ------------------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def server_pids(self):
        return [str(self.server.pid), *children(self.server)]

    def settle(self, worker_too=True):
        """wrk stops with requests in flight, which gunicorn still finishes: wait until its
        processes (and the Celery worker's) are idle, so no scenario pays for the one before."""
        pids = self.server_pids()
        if worker_too:
            pids += [str(self.worker.pid), *children(self.worker)]
        if load.settle(pids, timeout=60) is None:
            print("settle    the server was still busy 60 s after the load stopped")

    # Teardown ---------------------------------------------------------------------------------

    @staticmethod
    def stop(process):
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the process and its children (workers, pool)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def drop_database(self):
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        self.pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def flush_redis(self):
        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()

    def cleanup(self, failed):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not stop the clean-up
        steps = [("stop gunicorn", lambda: self.stop(self.server)), ("stop the worker", lambda: self.stop(self.worker))]
        if self.smtp is not None:
            steps.append(("stop the SMTP server", self.smtp.stop))
        if self.db_created and not self.args.keep:
            steps.append(("drop the database", self.drop_database))
        steps.append(("flush Redis", self.flush_redis))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # carry on with the rest
                print(f"clean-up: could not {name}: {exc}", file=sys.stderr)
        if self.args.keep and self.db_created:
            print(f"database  {self.db_name} kept (drop it when done)")
        if failed and any(self.logdir.iterdir()):
            print(f"logs kept in {self.logdir}", file=sys.stderr)
        else:
            for path in self.logdir.glob("*"):
                path.unlink()
            self.logdir.rmdir()
