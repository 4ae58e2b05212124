#!/usr/bin/env python
"""Benchmark: cancel a session of N delegates and time the mail workers delivering its emails.

    .venv/bin/python tests/load/bench_outbox.py [--delegates 200] [--workers 1] [--concurrency 1]
                                                [--pool solo|prefork] [--profile]

What it does, on services of its own so nothing else is touched:
- a throw-away PostgreSQL database `bench_<pid>` (migrated here, dropped at the end), a Redis
  database number (default 12, flushed at start and end) and an aiosmtpd server on a free
  loopback port that counts what it receives;
- a course, a venue and a session with capacity = delegates, filled by bookings of
  --per-booking delegates each with notifications suppressed (their emails are not measured);
- `--workers` real `celery -A config worker -Q mail` processes on the same settings;
- then times
    1. session_cancel(): the transaction that writes every notice as an outbox row (checked: one
       INSERT into the outbox table), and the on-commit hand-off of the send tasks to Redis;
    2. from commit until the SMTP server has received every email (delegates + bookers),
  and prints emails/second against the target of 50/s.
With --profile it then re-sends the same rows in this process, without Celery, once opening an
SMTP connection per email (as the task does) and once on one shared connection, to show where
a worker's time goes.

It gives up after --timeout seconds, and stops workers, the SMTP server and the database on
the way out, also on errors and Ctrl+C. Numbers on shared 2-core machines are noisy: compare
runs made one after another, not single absolute figures.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_PER_SECOND = 50
TABLE = re.compile(r'(?:FROM|INTO|UPDATE) "([^"]+)"')
SUBJECT_ID = re.compile(rb"^X-Outbox-Id:\s*(\d+)", re.MULTILINE | re.IGNORECASE)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delegates", type=int, default=200, help="delegates on the session (default 200)")
    parser.add_argument("--per-booking", type=int, default=20, help="delegates per booking (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="celery worker processes on -Q mail (default 1)")
    parser.add_argument("--concurrency", type=int, default=1, help="--concurrency of each worker (default 1)")
    parser.add_argument(
        "--pool",
        choices=["solo", "prefork", "threads"],
        help="worker pool (default: solo for concurrency 1, else prefork)",
    )
    parser.add_argument("--timeout", type=float, default=120, help="give up after this many seconds of sending")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server (no db name)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server (no db number)")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database number, flushed (default 12)")
    parser.add_argument("--profile", action="store_true", help="then profile sending in this process, without Celery")
    parser.add_argument(
        "--worker-cprofile", metavar="DIR", help="run each worker under cProfile, writing DIR/worker-N.prof (solo pool)"
    )
    args = parser.parse_args()
    if args.delegates < 1 or args.per_booking < 1 or args.workers < 1 or args.concurrency < 1:
        parser.error("counts must be at least 1")
    if args.pool is None:
        args.pool = "solo" if args.concurrency == 1 else "prefork"
    if args.pool == "solo" and args.concurrency != 1:
        parser.error("--pool solo runs one task at a time: use --concurrency 1, or --pool prefork")
    return args


class Sink:
    """aiosmtpd handler: counts messages, their outbox ids, arrival times and client connections."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.count = 0
            self.times = []
            self.ids = {}
            self.peers = set()

    async def handle_DATA(self, server, session, envelope):
        match = SUBJECT_ID.search(envelope.content)
        with self.lock:
            self.count += 1
            self.times.append(time.perf_counter())
            key = int(match.group(1)) if match else None
            self.ids[key] = self.ids.get(key, 0) + 1
            self.peers.add(session.peer)
        return "250 OK"


def query_shape(sql):
    """'SELECT booking_sessionday', 'INSERT outbox_outboundemail' ...: the verb and first table."""
    verb = sql.split(" ", 1)[0]
    table = TABLE.search(sql)
    return f"{verb} {table.group(1)}" if table else verb


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pg_admin(pg_url, sql):
    import psycopg

    with psycopg.connect(f"{pg_url}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


class Bench:
    def __init__(self, args):
        self.args = args
        self.db_name = f"bench_{os.getpid()}"
        self.redis_url = f"{args.redis.rstrip('/')}/{args.redis_db}"
        self.workers = []  # (Popen, log path)
        self.controller = None
        self.db_created = False
        self.logdir = Path(tempfile.mkdtemp(prefix="bench_outbox_"))
        self.failed = False

    # Setup ------------------------------------------------------------------------------------

    def start_smtp(self):
        from aiosmtpd.controller import Controller

        self.sink = Sink()
        self.smtp_port = free_port()
        # A fixed server name: no reverse DNS lookup of this host on a machine with no network.
        self.controller = Controller(
            self.sink, hostname="127.0.0.1", port=self.smtp_port, server_hostname="bench.local"
        )
        self.controller.start()

    def environment(self):
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{self.args.pg_url.rstrip('/')}/{self.db_name}",
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "SECRET_KEY": "benchmark-only-secret-key-not-for-production",
            "DEBUG": "false",
            "USE_HTTPS": "false",
        }

    def setup_django(self):
        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()
        pg_admin(self.args.pg_url, f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        os.environ.update(self.environment())
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        import logging

        # aiosmtpd logs every SMTP command at INFO; printing them here would slow the server down.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        from django.conf import settings
        from django.core.management import call_command

        assert settings.DATABASES["default"]["NAME"] == self.db_name
        assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend", settings.EMAIL_BACKEND
        assert not settings.CELERY_TASK_ALWAYS_EAGER
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"database  {self.db_name} migrated in {time.perf_counter() - started:.1f}s")

    def make_session(self):
        from booking import notifications
        from outbox.models import OutboundEmail
        from tests.factories import make_booking, make_session

        n = self.args.delegates
        self.session = make_session(capacity=n, starts_in_days=30)
        self.bookings = 0
        with notifications.suppressed():
            for start in range(0, n, self.args.per_booking):
                self.bookings += 1
                make_booking(
                    self.session,
                    count=min(self.args.per_booking, n - start),
                    prefix=f"b{self.bookings}-d",
                    contact_email=f"booker{self.bookings}@example.org",
                )
        OutboundEmail.objects.all().delete()  # nothing but the cancellation is measured
        print(f"session   {self.session} with {n} delegates on {self.bookings} bookings")

    def worker_command(self, i):
        a = self.args
        profiler = []
        if a.worker_cprofile:
            Path(a.worker_cprofile).mkdir(parents=True, exist_ok=True)
            profiler = ["-m", "cProfile", "-o", str(Path(a.worker_cprofile).resolve() / f"worker-{i}.prof")]
        return [
            sys.executable, *profiler, "-m", "celery", "-A", "config", "worker", "-Q", "mail", "-l", "info",
            f"--pool={a.pool}", f"--concurrency={a.concurrency}",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", f"bench-{os.getpid()}-{i}@%h",
        ]  # fmt: skip

    def start_workers(self):
        a = self.args
        env = {**os.environ, **self.environment()}
        for i in range(a.workers):
            log = self.logdir / f"worker-{i}.log"
            with log.open("w") as out:
                process = subprocess.Popen(
                    self.worker_command(i),
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # our own process group: Ctrl+C reaches us, we stop them
                )
            self.workers.append((process, log))
        deadline = time.monotonic() + 60
        waiting = list(self.workers)
        while waiting:
            if time.monotonic() > deadline:
                raise RuntimeError("Celery worker not ready after 60s:\n" + waiting[0][1].read_text()[-3000:])
            for process, log in list(waiting):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"Celery worker exited early (code {process.returncode}):\n{log.read_text()[-3000:]}"
                    )
                if "ready." in log.read_text():
                    waiting.remove((process, log))
            time.sleep(0.1)
        print(f"workers   {a.workers} x celery worker -Q mail --pool={a.pool} --concurrency={a.concurrency}: ready")

    # Measurement ------------------------------------------------------------------------------

    def cancel(self):
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from booking.services import session_cancel
        from outbox.models import OutboundEmail

        marks = {}
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            with transaction.atomic():
                # Registered first, so it runs first after COMMIT, before the outbox's hand-off.
                transaction.on_commit(lambda: marks.update(commit=time.perf_counter(), queries=len(queries)))
                session_cancel(session=self.session, reason="Benchmark")
            handed_off = time.perf_counter()
        self.committed = marks["commit"]
        inserts = [
            q["sql"]
            for q in queries.captured_queries[: marks["queries"]]
            if q["sql"].startswith('INSERT INTO "outbox_outboundemail"')
        ]
        self.expected = OutboundEmail.objects.count()
        shapes = Counter(query_shape(q["sql"]) for q in queries.captured_queries[: marks["queries"]])
        print()
        print(f"cancel    session_cancel() transaction: {(self.committed - started) * 1000:.0f} ms, "
              f"{marks['queries']} queries, {self.expected} outbox rows "
              f"({self.args.delegates} delegates + {self.bookings} bookers)")  # fmt: skip
        print("          most frequent: " + ", ".join(f"{n} x {shape}" for shape, n in shapes.most_common(4)))
        print(f"          INSERT statements into the outbox: {len(inserts)}"
              + (" (one bulk insert)" if len(inserts) == 1 else "  <-- expected one"))  # fmt: skip
        print(f"          on-commit hand-off of {self.expected} send tasks to Redis: "
              f"{(handed_off - self.committed) * 1000:.0f} ms")  # fmt: skip
        if len(inserts) != 1 or self.expected != self.args.delegates + self.bookings:
            self.failed = True

    def wait_for_delivery(self):
        deadline = self.committed + self.args.timeout
        while self.sink.count < self.expected:
            if time.perf_counter() > deadline:
                self.failed = True
                print(f"\nGAVE UP: {self.sink.count} of {self.expected} emails received "
                      f"{self.args.timeout:.0f}s after commit. {self.status_counts()}")  # fmt: skip
                for process, log in self.workers:
                    print(f"--- {log} (last lines)\n{log.read_text()[-2000:]}")
                return False
            for process, log in self.workers:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker died (code {process.returncode}):\n{log.read_text()[-3000:]}")
            time.sleep(0.005)
        time.sleep(0.3)  # let any duplicate arrive before counting
        times = sorted(self.sink.times)
        total = times[-1] - self.committed
        rate = len(times) / total
        first = times[0] - self.committed
        steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 and times[-1] > times[0] else float("nan")
        duplicates = sum(count - 1 for count in self.sink.ids.values() if count > 1)
        print(f"send      {len(times)} emails received {total:.2f}s after commit: "
              f"{rate:.1f} emails/s  ({rate / TARGET_PER_SECOND:.2f}x the {TARGET_PER_SECOND}/s target)")  # fmt: skip
        print(f"          first email after {first * 1000:.0f} ms; first to last {steady:.1f} emails/s")
        print(f"          SMTP connections opened: {len(self.sink.peers)}; duplicates: {duplicates}; "
              f"{self.status_counts()}")  # fmt: skip
        if duplicates or len(times) != self.expected:
            self.failed = True
        self.rate = rate
        return True

    def status_counts(self):
        from django.db.models import Count

        from outbox.models import OutboundEmail

        counts = dict(OutboundEmail.objects.values_list("status").annotate(n=Count("pk")).order_by())
        return "rows: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))

    # Profiling ---------------------------------------------------------------------------------

    def profile(self):
        """Send the same rows again in this process, without Celery: where does the time go?"""
        import cProfile
        import pstats

        from django.core.mail import get_connection
        from django.db import connection

        from outbox import services
        from outbox.models import EmailStatus, OutboundEmail

        self.stop_workers()  # nothing else may pick the rows up
        pks = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))

        def reset():
            OutboundEmail.objects.update(status=EmailStatus.QUEUED, attempts=0, sent_at=None)
            self.sink.reset()

        def run(shared):
            reset()
            started = time.perf_counter()
            if shared:
                with get_connection() as conn:  # one SMTP session for all (opened once, QUIT at the end)
                    results = [services.email_send(pk, connection=conn) for pk in pks]
            else:
                results = [services.email_send(pk) for pk in pks]
            elapsed = time.perf_counter() - started
            assert results.count(services.SendResult.SENT) == len(pks), results
            return elapsed

        print(f"\nprofile   the same {len(pks)} rows sent again in this process, one after another, no Celery:")
        per_email = run(shared=False)
        peers = len(self.sink.peers)
        print(f"          a new SMTP connection per email (as the task does): {len(pks) / per_email:6.1f} emails/s "
              f"({per_email / len(pks) * 1000:.1f} ms each, {peers} connections)")  # fmt: skip
        shared = run(shared=True)
        print(f"          one SMTP connection for all:                       {len(pks) / shared:6.1f} emails/s "
              f"({shared / len(pks) * 1000:.1f} ms each, {len(self.sink.peers)} connection)")  # fmt: skip

        # Where one email's time goes, connection per email, by function (cumulative, main thread;
        # the SMTP server runs on a thread of this process and shows up as waiting on the socket).
        reset()
        profiler = cProfile.Profile()
        profiler.enable()
        for pk in pks:
            services.email_send(pk)
        profiler.disable()
        stats = pstats.Stats(profiler).stats
        total = sum(tt for (_cc, _nc, tt, _ct, _callers) in stats.values())

        def cumulative(filename_part, name):
            return sum(
                ct for (path, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.items()
                if func == name and filename_part in path
            )  # fmt: skip

        parts = [
            ("claim the row (transaction, SELECT FOR UPDATE, UPDATE)", cumulative("outbox/services", "_claim")),
            ("mark it sent (UPDATE)", cumulative("django/db/models/query", "update")),
            ("build the message object", cumulative("outbox/services", "_message")),
            ("SMTP connect + EHLO (EmailBackend.open)", cumulative("backends/smtp", "open")),
            ("render MIME to bytes (message())", cumulative("django/core/mail/message", "message")),
            ("SMTP MAIL/RCPT/DATA (smtplib sendmail)", cumulative("smtplib", "sendmail")),
            ("SMTP QUIT (EmailBackend.close)", cumulative("backends/smtp", "close")),
        ]
        # _claim saves with Model.save(), so QuerySet.update() above is only the "mark sent".
        print(f"          where {total / len(pks) * 1000:.1f} ms of one email go (cProfile, connection per email):")
        for label, seconds in parts:
            print(f"            {seconds / len(pks) * 1000:6.2f} ms  {label}")
        queries = []
        reset()
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            services.email_send(pks[0])
        queries = [q["sql"].split(" ")[0] for q in captured.captured_queries]
        print(f"          SQL per email in this process: {len(queries)} ({', '.join(queries)}); a worker adds "
              f"Celery's per-task connection check")  # fmt: skip

    # Teardown ---------------------------------------------------------------------------------

    def stop_workers(self):
        for process, _log in self.workers:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)  # the worker and its pool children
                except ProcessLookupError:
                    pass
        for process, _log in self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)
        self.workers = [(p, log) for p, log in self.workers if p.poll() is None]

    def cleanup(self):
        steps = [("stop workers", self.stop_workers)]
        if "django" in sys.modules:
            from django.db import connections

            steps.append(("close connections", connections.close_all))
        if self.db_created:
            steps.append(
                (
                    "drop database",
                    lambda: pg_admin(self.args.pg_url, f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'),
                )
            )
        steps.append(("flush redis", self.flush_redis))
        if self.controller is not None:
            steps.append(("stop SMTP server", self.controller.stop))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # keep cleaning up
                print(f"cleanup: could not {name}: {exc}", file=sys.stderr)
        if self.failed:
            print(f"worker logs kept in {self.logdir}", file=sys.stderr)
        else:
            for log in self.logdir.glob("*.log"):
                log.unlink()
            self.logdir.rmdir()

    def flush_redis(self):
        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()

    def run(self):
        load = os.getloadavg()
        print(f"machine   {os.cpu_count()} cores, load average {load[0]:.2f} at start")
        self.start_smtp()
        self.setup_django()
        self.make_session()
        self.start_workers()
        self.cancel()
        if self.wait_for_delivery() and self.args.profile:
            self.profile()


def main():
    args = parse_args()
    bench = Bench(args)

    def on_term(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    try:
        bench.run()
    except KeyboardInterrupt:
        bench.failed = True
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return 130
    except BaseException:
        bench.failed = True
        raise
    finally:
        bench.cleanup()
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
