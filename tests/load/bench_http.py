#!/usr/bin/env python
"""Benchmark (`make bench`): the site under load on loopback, each page against a view that does nothing.

    make bench [BENCH_ARGS="--quick"]        .venv/bin/python tests/load/bench_http.py --help

On services of its own, so nothing else is touched:
- a throw-away PostgreSQL database `bench_http_<pid>` (or `bench_http` with --keep, kept), migrated
  and filled (bench_http_data.py): 50 courses, 500 sessions, 20,000 bookings with their delegates,
  50,000 leads;
- Redis database 11 (--redis-db), flushed at start and end; an aiosmtpd server on a free loopback
  port that takes the booking emails;
- gunicorn with config/gunicorn.conf.py (its defaults for this machine, or --workers/--threads) and a
  Celery worker on the celery, mail and webhooks queues, DEBUG off, as deployed.
Then wrk (C, 16 connections) runs each scenario for --warmup seconds untimed and --seconds timed:
/ping/ (touches nothing: the yardstick), /healthz/, home, course list, course detail (each course in
turn), the sessions API (each course's sessions in turn), the admin lead list signed in as a Sales
user, and a booking POST (one delegate; unique booker, organisation and Idempotency-Key each time).
Then the race: --race-clients simultaneous POSTs for the --race-seats seats of one session.

It prints the machine and a Markdown table: requests/s, p50, p95, p99 and errors, each against
/ping/ from the same run, the target and whether it is met. --profile NAME[,NAME] (or `missed`)
then shows where a scenario's time goes (cProfile over requests made in this process). The
machines are small and shared: compare runs made one after another (load average is printed).
"""

import argparse
import contextlib
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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
OUTBOX_ID = re.compile(rb"^X-Outbox-Id:\s*(\d+)", re.MULTILINE | re.IGNORECASE)
sys.path.insert(0, str(ROOT))

from tests.load import bench_http_load as load  # noqa: E402


@dataclass
class Scenario:
    key: str
    label: str
    rps_target: float | None = None  # at least this share of /ping/'s requests per second
    p95_target: float | None = None  # ms
    result: load.Result | None = None

    def target(self):
        parts = []
        if self.rps_target:
            parts.append(f"≥ {self.rps_target:g} × /ping/")
        if self.p95_target:
            parts.append(f"p95 < {self.p95_target:g} ms")
        return ", ".join(parts) or "none"

    def met(self, ping):
        r = self.result
        ok = r.errors == 0
        if self.rps_target:
            ok = ok and r.rps >= self.rps_target * ping.rps
        if self.p95_target:
            ok = ok and r.p95 < self.p95_target
        return ok


SCENARIOS = [
    Scenario("ping", "/ping/ (touches nothing)"),
    Scenario("healthz", "/healthz/"),
    Scenario("home", "Home page", 0.6),
    Scenario("course_list", "Course list", 0.6),
    Scenario("course_detail", "Course detail, 50 courses in turn", 0.6),
    Scenario("sessions_api", "Sessions API, a course's sessions, 50 in turn", 0.6),
    Scenario("admin_leads", "Admin lead list, Sales user, 50,000 leads"),
    Scenario("booking", "Booking POST (API), 1 delegate", 0.2, 300),
]
RACE_WALL_TARGET = 1.0  # s


def server_of(url, default):
    """scheme://host:port of a URL in the environment, without its database part."""
    if url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return default


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="timed seconds per scenario (10)")
    parser.add_argument("--warmup", type=float, default=3, help="untimed seconds per scenario first (3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s per scenario, 1 s warm-up")
    parser.add_argument("--connections", type=int, default=16, help="simultaneous clients (16)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk's threads (2)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: config/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: config/gunicorn.conf.py's)")
    parser.add_argument(
        "--only", help="comma-separated scenarios (ping always runs): " + ", ".join(s.key for s in SCENARIOS)
    )
    parser.add_argument("--no-race", action="store_true", help="skip the booking race")
    parser.add_argument("--race-clients", type=int, default=60, help="simultaneous bookings in the race (60)")
    parser.add_argument("--race-seats", type=int, default=20, help="seats on the race's session (20)")
    parser.add_argument("--profile", help="NAME[,NAME] or `missed`: profile these scenarios in this process after")
    parser.add_argument("--profile-requests", type=int, default=30, help="requests per profiled scenario (30)")
    parser.add_argument("--bookings", type=int, default=20_000, help="bookings in the data (20000)")
    parser.add_argument("--leads", type=int, default=50_000, help="leads in the data (50000)")
    parser.add_argument("--seed", type=int, default=13, help="random seed for the data (13)")
    parser.add_argument(
        "--pg-url",
        default=server_of(
            os.environ.get("DATABASE_URL", "") if os.environ.get("DATABASE_URL", "").startswith("postgres") else "",
            "postgres://postgres@127.0.0.1:5432",
        ),
        help="PostgreSQL server, no database name (from DATABASE_URL when that is PostgreSQL)",
    )
    parser.add_argument(
        "--redis", default=server_of(os.environ.get("REDIS_URL", ""), "redis://127.0.0.1:6379"), help="Redis server"
    )
    parser.add_argument("--redis-db", type=int, default=11, help="Redis database to use and flush (11)")
    parser.add_argument(
        "--keep", action="store_true", help="database `bench_http`, kept at the end (replaced at start)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="use the database kept by --keep as it is (no new data; kept again)"
    )
    args = parser.parse_args()
    args.keep = args.keep or args.reuse
    if args.quick:
        args.seconds, args.warmup = 2, 1
    keys = {s.key for s in SCENARIOS}
    args.only = set(args.only.split(",")) if args.only else keys
    if args.only - keys:
        parser.error(f"--only: no such scenario {', '.join(sorted(args.only - keys))}")
    args.only.add("ping")
    profile = set(args.profile.split(",")) if args.profile else set()
    if profile - keys - {"missed"}:
        parser.error(f"--profile: no such scenario {', '.join(sorted(profile - keys - {'missed'}))}")
    args.profile = profile
    if min(args.seconds, args.connections, args.wrk_threads, args.race_clients, args.race_seats) <= 0:
        parser.error("durations and counts must be above 0")
    return args


def static_up_to_date():
    """True when STATIC_ROOT's manifest is newer than every static file the finders find:
    collectstatic, which compresses each file again every time, would write the same files."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    written = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if Path(storage.path(path)).stat().st_mtime > written:
                return False
    return True


def git_version():
    """The commit measured, and whether the work tree had changes."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    except OSError:
        return "no git"
    return f"commit {commit.stdout.strip()}" + (" with changes" if dirty.stdout.strip() else "")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """aiosmtpd handler: counts the emails it is sent by their outbox row (X-Outbox-Id)."""

    def __init__(self):
        self.ids = Counter()

    async def handle_DATA(self, server, session, envelope):
        match = OUTBOX_ID.search(envelope.content)
        self.ids[int(match.group(1)) if match else None] += 1
        return "250 OK"


class Bench:
    def __init__(self, args):
        self.args = args
        self.db_name = "bench_http" if args.keep else f"bench_http_{os.getpid()}"
        self.redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
        self.db_created = False
        self.server = self.worker = self.smtp = None
        self.logdir = Path(tempfile.mkdtemp(prefix="bench_http_"))
        self.failed = False
        self.nonce = f"{os.getpid()}{int(time.time()) % 100000}"
        self.scenarios = [s for s in SCENARIOS if s.key in args.only]
        self.race_result = None
        self.notes = []

    def pg_admin(self, sql):
        import psycopg

        with psycopg.connect(f"{self.args.pg_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

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

    def machine(self):
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
        wrk_version = subprocess.run([self.wrk_path, "--version"], capture_output=True, text=True).stdout.split()
        self.load_at_start = os.getloadavg()[0]
        self.machine_line = (
            f"{os.cpu_count()} cores ({cpu.group(1).strip() if cpu else 'unknown CPU'}), {kb / 1024 / 1024:.0f} GB RAM; "
            f"PostgreSQL {version.split()[0]} (shared_buffers {shared_buffers}), "
            f"Redis {client.info('server')['redis_version']}, Python {sys.version.split()[0]}, "
            f"wrk {wrk_version[1] if len(wrk_version) > 1 else '?'}"
        )
        print(f"machine   {self.machine_line}; load average {self.load_at_start:.2f} at start")

    def setup_django(self):
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
        if static_up_to_date():
            static = "static files collected before, none changed since"
        else:  # as a deploy does: with DEBUG off the pages need the manifest
            call_command("collectstatic", verbosity=0, interactive=False)
            static = f"collectstatic {time.perf_counter() - migrated:.0f}s"
        print(f"database  {self.db_name} migrated in {migrated - started:.0f}s; {static}")

    def start_smtp(self):
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.sink = Sink()
        self.smtp_port = free_port()
        self.smtp = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port, server_hostname="bench.local")
        self.smtp.start()

    def gunicorn_settings(self, env):
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

    def start_services(self):
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
                up = self.request("GET", "/healthz/")[0] == 200 and len(self.children(self.server)) == self.workers
                if up and "ready." in self.worker_log.read_text():
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn or the worker not up within 90 s:\n{self.server_log.read_text()[-3000:]}")
            time.sleep(0.2)
        print(f"server    gunicorn -c config/gunicorn.conf.py on 127.0.0.1:{self.port} ({kind}) and celery worker: up")

    @staticmethod
    def children(process):
        try:
            return Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        except OSError:
            return []

    def request(self, method, path, body=None, headers=None):
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def prepare(self):
        """Paths for each scenario, the Sales user's session cookie, the sessions to book."""
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client
        from django.utils import timezone

        from booking import selectors
        from courses.models import Course
        from enquiries.admin.filters import DEFAULT_FILTERS
        from tests.load.bench_http_data import BENCH_USER

        slugs = list(Course.objects.filter(is_published=True).order_by("pk").values_list("slug", flat=True))
        user = User.objects.get(username=BENCH_USER)
        client = Client(HTTP_HOST="127.0.0.1")
        # ModelBackend by name: the first backend (axes) keeps no one signed in. No TOTP device: no code.
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        soon = timezone.now() + timezone.timedelta(days=3)
        bookable = selectors.session_list_upcoming(available=True).filter(booking_closes_at__gt=soon)
        self.booking_sessions = [s.pk for s in bookable if s.seats_remaining >= 10]
        free = sum(s.seats_remaining for s in bookable if s.pk in set(self.booking_sessions))
        self.paths = {
            "ping": ["/ping/"],
            "ping_again": ["/ping/"],
            "healthz": ["/healthz/"],
            "home": ["/"],
            "course_list": ["/courses/"],
            "course_detail": [f"/courses/{slug}/" for slug in slugs],
            "sessions_api": [f"/api/v1/sessions/?course={slug}" for slug in slugs],
            # The list opens on "my open leads" (a redirect to these filters from the bare address).
            "admin_leads": [f"/admin/enquiries/lead/?{urlencode(DEFAULT_FILTERS)}"],
            "booking": ["/api/v1/bookings/"],
        }
        print(f"booking   POSTs go round {len(self.booking_sessions)} upcoming sessions with {free:,} seats free")
        # Each scenario answers as it should before it is timed (a redirect or 403 would be fast).
        for scenario in self.scenarios:
            if scenario.key == "booking":
                body = load.booking_json(self.booking_sessions[0], f"check-{self.nonce}")
                status, content = self.request("POST", "/api/v1/bookings/", body, {"Content-Type": "application/json"})
                expected = 201
            else:
                cookie = {"Cookie": self.cookie} if scenario.key == "admin_leads" else {}
                status, content = self.request("GET", self.paths[scenario.key][0], headers=cookie)
                expected = 200
            if status != expected:
                raise RuntimeError(f"{scenario.label}: HTTP {status}, not {expected}\n{content[:800]!r}")

    # Measurement ------------------------------------------------------------------------------

    def wrk(self, key, seconds, tag):
        return load.run_wrk(
            self.wrk_path,
            url=f"http://127.0.0.1:{self.port}",
            paths=self.paths[key],
            workdir=self.logdir,
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.wrk_threads,
            method="POST" if key == "booking" else "GET",
            sessions=self.booking_sessions if key == "booking" else (),
            cookie=self.cookie if key == "admin_leads" else None,
            nonce=f"{self.nonce}{tag}",
        )

    def settle(self, worker_too=True):
        """wrk stops with requests in flight, which gunicorn still finishes: wait until its
        processes (and the Celery worker's) are idle, so no scenario pays for the one before."""
        processes = [self.server, *self.children(self.server)]
        if worker_too:
            processes += [self.worker, *self.children(self.worker)]
        waited = load.settle([p if isinstance(p, str) else str(p.pid) for p in processes], timeout=60)
        if waited is None:
            print("settle    the server was still busy 60 s after the load stopped")

    def measure(self, scenario, tag=""):
        if self.args.warmup > 0:
            self.wrk(scenario.key, self.args.warmup, f"w{tag}{scenario.key}")
            self.settle(worker_too=False)  # the worker may go on sending the warm-up's emails
        meter = load.CpuMeter(lambda: [str(self.server.pid), *self.children(self.server)], self.pg_backends)
        meter.start()
        result = self.wrk(scenario.key, self.args.seconds, f"m{tag}{scenario.key}")
        self.settle(worker_too=scenario.key != "booking")  # wait_for_emails waits for the worker
        # Until the server is idle again: the requests wrk left in flight, one a connection, are
        # finished by then and counted with those it saw answered.
        meter.stop(result, in_flight=self.args.connections)
        others = {k: v for k, v in result.statuses.items() if not 200 <= k < 300}
        print(
            f"run       {scenario.label}: {result.rps:.0f} req/s, p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, "
            f"p99 {result.p99:.1f} ms, {result.errors} errors"
            + (f" {others}" if others else "")
            + (f", {result.socket_errors} socket errors" if result.socket_errors else "")
            + f"; CPU a request: gunicorn {result.app_cpu_ms:.1f} ms, PostgreSQL {result.pg_cpu_ms:.1f} ms; "
            f"wrk {result.wrk_cpu * 100:.0f}% of a core"
        )
        return result

    def pg_backends(self):
        rows = self.pg_admin(f"SELECT pid FROM pg_stat_activity WHERE datname = '{self.db_name}'")
        return [str(pid) for (pid,) in rows]

    def wait_for_emails(self):
        """The booking POSTs queued a confirmation email each: let the worker send them before the
        next scenario, and say how long that took."""
        from outbox.models import EmailStatus, OutboundEmail

        pending = OutboundEmail.objects.filter(status__in=[EmailStatus.QUEUED, EmailStatus.SENDING])
        total = OutboundEmail.objects.count()
        waited = load.drain(lambda: not pending.exists(), timeout=180)
        if waited is None:
            self.notes.append(f"{pending.count()} of {total} booking emails still unsent 180 s after the load")
            print(f"emails    {pending.count()} of {total} still unsent after 180 s")
        else:
            print(f"emails    {total} booking emails in the outbox, all sent, the last {waited:.0f}s after the load")
        time.sleep(1)  # a duplicate would arrive about now
        received = sum(self.sink.ids.values())
        duplicates = sum(n - 1 for pk, n in self.sink.ids.items() if pk is not None)
        if duplicates or None in self.sink.ids:
            self.notes.append(
                f"the SMTP server received {received} emails: {duplicates} sent twice, "
                f"{self.sink.ids[None]} not from the outbox"
            )
            print(f"emails    {self.notes[-1]}")

    def race(self):
        from booking.models import SEAT_HOLDING, Delegate, Venue
        from courses.models import Course
        from tests.factories import make_session

        session = make_session(
            course=Course.objects.order_by("pk").first(), venue=Venue.objects.first(), capacity=self.args.race_seats
        )
        answers = load.race(self.port, session.pk, self.args.race_clients, self.nonce)
        statuses = Counter(status for _at, status in answers)
        wall = answers[-1][0] if len(answers) == self.args.race_clients else float("inf")
        held = Delegate.objects.filter(booking__session=session, booking__status__in=SEAT_HOLDING).count()
        seats = self.args.race_seats
        correct = statuses[201] == seats == held and statuses[409] == self.args.race_clients - seats
        self.race_result = (statuses, wall, held, correct and wall < RACE_WALL_TARGET)
        summary = ", ".join(f"{n} × {status}" for status, n in sorted(statuses.items(), key=str))
        print(
            f"race      {self.args.race_clients} bookings at once for {seats} seats: {summary}; seats held {held}; "
            f"all answered in {wall * 1000:.0f} ms"
        )
        for status in sorted(statuses, key=str):
            at = [t * 1000 for t, s in answers if s == status]
            gap = f", one every {(at[-1] - at[0]) / (len(at) - 1):.0f} ms" if len(at) > 1 else ""
            print(f"          the {len(at)} × {status} answered from {at[0]:.0f} to {at[-1]:.0f} ms{gap}")
        if not correct:
            self.failed = True

    def profile(self, keys):
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        admin = Client(HTTP_HOST="127.0.0.1")
        admin.cookies.load(self.cookie)
        counter = iter(range(10**9))

        def maker(key):
            paths = self.paths[key]
            if key == "booking":

                def book():
                    i = next(counter)
                    body = load.booking_json(self.booking_sessions[-1 - i % 50], f"p-{self.nonce}-{i}")
                    return client.post(paths[0], body, content_type="application/json")

                return book
            cycle = iter(paths * 1000)
            return lambda: (admin if key == "admin_leads" else client).get(next(cycle))

        for scenario in self.scenarios:
            if scenario.key in keys:
                load.profile_requests(maker(scenario.key), self.args.profile_requests, scenario.label)

    # Report -----------------------------------------------------------------------------------

    def report(self):
        from datetime import date

        ping = self.scenarios[0].result

        def ms(value, base):
            return f"{value:.1f} ({value / base:.1f}×)" if base else f"{value:.1f}"

        print()
        print(
            f"`make bench`, {date.today():%-d %B %Y}, {git_version()}: {self.machine_line}; "
            f"load average {self.load_at_start:.2f} at start."
        )
        print(
            f"Data: {self.data_line}. wrk, {self.args.connections} connections on loopback, {self.args.warmup:g} s warm-up "
            f"then {self.args.seconds:g} s a scenario (wrk used at most "
            f"{max(s.result.wrk_cpu for s in self.scenarios if s.result) * 100:.0f}% of a core); ratios against "
            "/ping/ in the same run; CPU: gunicorn's processes and the database's PostgreSQL backends."
        )
        print()
        print(
            "| Scenario | req/s | × /ping/ | p50 ms | p95 ms | p99 ms | errors | CPU ms/req: app + db | target | met |"
        )
        print("|---|--:|--:|--:|--:|--:|--:|--:|---|---|")
        missed = []
        for scenario in self.scenarios:
            r = scenario.result
            if r is None:
                continue
            met = scenario.met(ping)
            if not met:
                missed.append(scenario)
            verdict = ("yes" if met else "**no**") if scenario.target() != "none" else ("" if met else "**errors**")
            print(
                f"| {scenario.label} | {r.rps:.0f} | {r.rps / ping.rps:.2f} | {ms(r.p50, ping.p50)} | "
                f"{ms(r.p95, ping.p95)} | {ms(r.p99, ping.p99)} | {r.errors} | "
                f"{r.app_cpu_ms:.1f} + {r.pg_cpu_ms:.1f} | {scenario.target()} | {verdict} |"
            )
        if self.race_result:
            statuses, wall, held, ok = self.race_result
            print(
                f"\nRace: {self.args.race_clients} simultaneous booking POSTs for {self.args.race_seats} seats: "
                f"{statuses.get(201, 0)} booked (201), {statuses.get(409, 0)} fully booked (409)"
                + "".join(f", {n} × {s}" for s, n in statuses.items() if s not in (201, 409))
                + f"; {held} seats held; all answered in {wall:.2f} s (target: exactly "
                f"{self.args.race_seats} booked, under {RACE_WALL_TARGET:g} s): {'yes' if ok else '**no**'}"
            )
            if not ok:
                missed.append("race")
        for note in self.notes:
            print(f"Note: {note}")
        print(f"Load average at the end: {os.getloadavg()[0]:.2f}")
        return [m for m in missed if m != "race"]

    # Teardown ---------------------------------------------------------------------------------

    def stop(self, process):
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

    def cleanup(self):
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
        if self.failed and any(self.logdir.iterdir()):
            print(f"logs kept in {self.logdir}", file=sys.stderr)
        else:
            for path in self.logdir.glob("*"):
                path.unlink()
            self.logdir.rmdir()

    def drop_database(self):
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        self.pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def flush_redis(self):
        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()

    def run(self):
        from tests.load.bench_http_data import describe, populate

        self.wrk_path = load.find_wrk()
        self.machine()
        self.port = free_port()
        self.start_smtp()
        self.setup_django()
        if not self.reused:
            populate(seed=self.args.seed, bookings=self.args.bookings, leads=self.args.leads)
        self.data_line = describe()
        self.start_services()
        self.prepare()
        for scenario in self.scenarios:
            scenario.result = self.measure(scenario)
            if scenario.key == "booking":
                self.wait_for_emails()
        again = Scenario("ping_again", "/ping/ again, at the end")
        again.result = self.measure(again)
        self.scenarios.append(again)
        if not self.args.no_race:
            self.race()
        missed = self.report()
        keys = set(self.args.profile) - {"missed"}
        if "missed" in self.args.profile:
            keys |= {s.key for s in missed}
        if keys:
            self.profile(keys)
        if any(s.result.errors for s in self.scenarios):
            self.failed = True


def main():
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also in a pipe
    args = parse_args()
    bench = Bench(args)

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        bench.run()
    except KeyboardInterrupt:
        bench.failed = True
        print("\ninterrupted: cleaning up", file=sys.stderr)
        return 130
    except BaseException:
        bench.failed = True
        raise
    finally:
        bench.cleanup()
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
