#!/usr/bin/env python
"""Benchmark: cancel a session of N delegates and time the mail workers delivering its emails.

    .venv/bin/python tests/load/bench_outbox.py [--delegates 200] [--workers 1] [--concurrency 1]
                                                [--pool solo|prefork|threads] [--profile]

On services of its own, so nothing else is touched:
- a throw-away PostgreSQL database `bench_<pid>` (migrated here, dropped at the end), a Redis
  database number (default 12, flushed at start and end) and an aiosmtpd server on a free
  loopback port that counts what it receives;
- a course, a venue and a session with capacity = delegates, filled by bookings of
  --per-booking delegates with notifications suppressed (their emails are not measured);
- `--workers` real `celery -A config worker -Q mail` processes with the same settings.
Then it times
  1. session_cancel(): the transaction that writes every notice as an outbox row (checked: one
     INSERT into the outbox table), and the on-commit hand-off of the send tasks to Redis;
  2. from commit until the SMTP server has received every email (delegates, bookers and the
     credit notes of bookings invoiced under a PO),
and prints emails/second against the 50/s target, plus what the workers cost on the way: SMTP
connections and PostgreSQL connections opened.
--profile then sends the same rows again in this process without Celery, once with an SMTP
connection per email (as the task does) and once on one shared connection, and shows where one
email's time goes. --worker-cprofile DIR runs the workers under cProfile (use with --pool solo).

It gives up after --timeout seconds of sending, and stops the workers, the SMTP server and
the database on the way out, also on errors and Ctrl+C. On shared 2-core machines the numbers
are noisy: compare runs made one after another, not single absolute figures.
"""

import argparse
import contextlib
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
OUTBOX_ID = re.compile(rb"^X-Outbox-Id:\s*(\d+)", re.MULTILINE | re.IGNORECASE)


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
    parser.add_argument("--timeout", type=float, default=120, help="give up this many seconds after commit (120)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server, no db name")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379", help="Redis server, no db number")
    parser.add_argument("--redis-db", type=int, default=12, help="Redis database number to use and flush (12)")
    parser.add_argument("--profile", action="store_true", help="then profile sending in this process, no Celery")
    parser.add_argument("--worker-cprofile", metavar="DIR", help="run workers under cProfile into DIR/worker-N.prof")
    args = parser.parse_args()
    if min(args.delegates, args.per_booking, args.workers, args.concurrency) < 1:
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
            self.ids = Counter()
            self.peers = set()

    async def handle_DATA(self, server, session, envelope):
        match = OUTBOX_ID.search(envelope.content)
        with self.lock:
            self.count += 1
            self.times.append(time.perf_counter())
            self.ids[int(match.group(1)) if match else None] += 1
            self.peers.add(session.peer)  # one (host, port) per client connection
        return "250 OK"


def query_shape(sql):
    """'SELECT booking_sessionday', 'INSERT outbox_outboundemail' ...: the verb and first table."""
    table = TABLE.search(sql)
    verb = sql.split(" ", 1)[0]
    return f"{verb} {table.group(1)}" if table else verb


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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

    def pg_admin(self, sql):
        """Run SQL on the server's `postgres` database (create, drop, statistics)."""
        import psycopg

        with psycopg.connect(f"{self.args.pg_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def pg_sessions(self):
        """Connections ever opened to the benchmark database (PostgreSQL 14+), or None."""
        try:
            rows = self.pg_admin(f"SELECT sessions FROM pg_stat_database WHERE datname = '{self.db_name}'")
            return rows[0][0] if rows else None
        except Exception:  # older server: no such column
            return None

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
        import logging

        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()
        self.pg_admin(f'CREATE DATABASE "{self.db_name}"')
        self.db_created = True
        os.environ.update(self.environment())  # before django.setup(): settings read them
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        # aiosmtpd logs every SMTP command at INFO; printing them would slow the server down.
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
        command = [sys.executable]
        if a.worker_cprofile:
            Path(a.worker_cprofile).mkdir(parents=True, exist_ok=True)
            command += ["-m", "cProfile", "-o", str(Path(a.worker_cprofile).resolve() / f"worker-{i}.prof")]
        command += ["-m", "celery", "-A", "config", "worker", "-Q", "mail", "-l", "info"]
        command += [f"--pool={a.pool}", f"--concurrency={a.concurrency}", "-n", f"bench-{os.getpid()}-{i}@%h"]
        return command + ["--without-gossip", "--without-mingle", "--without-heartbeat"]

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
                    start_new_session=True,  # a process group of its own: we stop it and its children
                )
            self.workers.append((process, log))
        deadline = time.monotonic() + 60
        waiting = list(self.workers)
        while waiting:
            for process, log in list(waiting):
                if process.poll() is not None:
                    raise RuntimeError(
                        f"A Celery worker exited (code {process.returncode}):\n{log.read_text()[-3000:]}"
                    )
                if "ready." in log.read_text():
                    waiting.remove((process, log))
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"A Celery worker was not ready after 60s:\n{waiting[0][1].read_text()[-3000:]}")
            time.sleep(0.1)
        print(f"workers   {a.workers} x celery worker -Q mail --pool={a.pool} --concurrency={a.concurrency}: ready")

    # Measurement ------------------------------------------------------------------------------

    def cancel(self):
        from django.db import connection, transaction
        from django.test.utils import CaptureQueriesContext

        from booking.services import session_cancel
        from invoicing.models import Invoice
        from outbox.models import OutboundEmail

        self.sessions_before = self.pg_sessions()
        marks = {}
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            with transaction.atomic():
                # Registered first, so it runs first after COMMIT, before the outbox's hand-off.
                transaction.on_commit(lambda: marks.update(commit=time.perf_counter(), queries=len(queries)))
                session_cancel(session=self.session, reason="Benchmark")
            handed_off = time.perf_counter()
        self.committed = marks["commit"]
        in_transaction = [q["sql"] for q in queries.captured_queries[: marks["queries"]]]
        inserts = [sql for sql in in_transaction if sql.startswith('INSERT INTO "outbox_outboundemail"')]
        shapes = Counter(query_shape(sql) for sql in in_transaction).most_common(3)
        self.expected = OutboundEmail.objects.count()
        # A booking invoiced under its PO is credited in full, and its booker emailed the credit note.
        credit_notes = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count()
        print()
        print(
            f"cancel    session_cancel() transaction: {(self.committed - started) * 1000:.0f} ms, "
            f"{len(in_transaction)} queries, {self.expected} outbox rows "
            f"({self.args.delegates} delegates + {self.bookings} bookers + {credit_notes} credit notes)"
        )
        print(f"          most frequent queries: {', '.join(f'{n} x {shape}' for shape, n in shapes)}")
        # email_queue_many() inserts in batches of 500 rows: one INSERT for up to 500 emails.
        batches = -(-self.expected // 500)
        verdict = "bulk" if len(inserts) == batches else f"EXPECTED {batches}"
        print(f"          INSERT statements into the outbox: {len(inserts)} ({verdict})")
        print(
            f"          on-commit hand-off of {self.expected} send tasks to Redis: "
            f"{(handed_off - self.committed) * 1000:.0f} ms (inside the sending time below)"
        )
        if len(inserts) != batches or self.expected != self.args.delegates + self.bookings + credit_notes:
            self.failed = True

    def wait_for_delivery(self):
        deadline = self.committed + self.args.timeout
        while self.sink.count < self.expected:
            if time.perf_counter() > deadline:
                self.failed = True
                print(
                    f"\nGAVE UP: {self.sink.count} of {self.expected} emails received "
                    f"{self.args.timeout:.0f}s after commit. {self.status_counts()}"
                )
                for _process, log in self.workers:
                    print(f"--- {log}, last lines:\n{log.read_text()[-2000:]}")
                return False
            for process, log in self.workers:
                if process.poll() is not None:
                    raise RuntimeError(f"A worker died (code {process.returncode}):\n{log.read_text()[-3000:]}")
            time.sleep(0.005)
        times = sorted(self.sink.times)
        time.sleep(1.0)  # let a duplicate arrive, and PostgreSQL's statistics catch up
        total = times[-1] - self.committed
        rate = len(times) / total
        first_to_last = (len(times) - 1) / (times[-1] - times[0]) if times[-1] > times[0] else float("nan")
        duplicates = sum(count - 1 for count in self.sink.ids.values())
        sessions_after = self.pg_sessions()
        pg = (
            f"{sessions_after - self.sessions_before - 1}"  # less the one that asked
            if None not in (self.sessions_before, sessions_after)
            else "unknown"
        )
        print(
            f"send      {len(times)} emails received {total:.2f}s after commit: {rate:.1f} emails/s "
            f"= {rate / TARGET_PER_SECOND:.2f}x the {TARGET_PER_SECOND}/s target"
        )
        print(
            f"          first email after {(times[0] - self.committed) * 1000:.0f} ms; first to last {first_to_last:.1f}/s"
        )
        print(
            f"          connections opened by the workers: SMTP {len(self.sink.peers)}, PostgreSQL {pg}; "
            f"duplicates {duplicates}; {self.status_counts()}"
        )
        if duplicates or self.sink.count != self.expected:
            self.failed = True
        return True

    def status_counts(self):
        from django.db.models import Count

        from outbox.models import OutboundEmail

        counts = dict(OutboundEmail.objects.values_list("status").annotate(n=Count("pk")).order_by())
        return "rows " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))

    # Profiling --------------------------------------------------------------------------------

    def profile(self):
        """Send the same rows again in this process, without Celery: where does one email's time go?"""
        import cProfile
        import pstats

        from django.core.mail import get_connection
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from outbox import services
        from outbox.models import EmailStatus, OutboundEmail

        self.stop_workers()  # nothing else may pick the rows up
        pks = list(OutboundEmail.objects.order_by("pk").values_list("pk", flat=True))

        def send_all(shared):
            OutboundEmail.objects.update(status=EmailStatus.QUEUED, attempts=0, sent_at=None)
            self.sink.reset()
            started = time.perf_counter()
            if shared:
                with get_connection() as conn:  # opened once, QUIT at the end
                    results = [services.email_send(pk, connection=conn) for pk in pks]
            else:
                results = [services.email_send(pk) for pk in pks]
            elapsed = time.perf_counter() - started
            assert results.count(services.SendResult.SENT) == len(pks), Counter(results)
            return elapsed

        print(f"\nprofile   the same {len(pks)} rows again in this process, one after another, no Celery:")
        for shared, label in ((False, "an SMTP connection per email (as now)"), (True, "one SMTP connection for all")):
            elapsed = send_all(shared)
            print(
                f"          {label:38} {len(pks) / elapsed:6.1f} emails/s, {elapsed / len(pks) * 1000:4.1f} ms each, "
                f"{len(self.sink.peers)} SMTP connection(s)"
            )

        profiler = cProfile.Profile()
        OutboundEmail.objects.update(status=EmailStatus.QUEUED, attempts=0, sent_at=None)
        profiler.enable()
        for pk in pks:
            services.email_send(pk)
        profiler.disable()
        stats = pstats.Stats(profiler).stats  # {(file, line, function): (cc, nc, tottime, cumtime, callers)}

        def cumulative(path_part, function):
            return sum(v[3] for (path, _line, name), v in stats.items() if name == function and path_part in path)

        whole = cumulative("outbox/services", "email_send")
        parts = [
            ("claim the row: BEGIN, SELECT FOR UPDATE, UPDATE, COMMIT", cumulative("outbox/services", "_claim")),
            ("mark it sent: UPDATE", cumulative("django/db/models/query", "update")),  # _claim uses save()
            ("build the EmailMessage", cumulative("outbox/services", "_message")),
            ("render MIME to bytes", cumulative("django/core/mail/message", "message")),
            ("SMTP connect + EHLO", cumulative("backends/smtp", "open")),
            ("SMTP MAIL, RCPT, DATA", cumulative("smtplib", "sendmail")),
            ("SMTP QUIT", cumulative("backends/smtp", "close")),
        ]
        print("          one email's time by part (cProfile, SMTP connection per email; server on a thread here):")
        for label, seconds in parts:
            print(f"            {seconds / whole * 100:4.0f}%  {label}")
        OutboundEmail.objects.filter(pk=pks[0]).update(status=EmailStatus.QUEUED)
        with CaptureQueriesContext(connection) as captured:
            services.email_send(pks[0])
        verbs = [q["sql"].split(" ", 1)[0] for q in captured.captured_queries]
        print(f"          SQL per email: {len(verbs)} ({', '.join(verbs)}), plus a new connection per task in a worker")

    # Teardown ---------------------------------------------------------------------------------

    def stop_workers(self):
        for process, _log in self.workers:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)  # the worker and its pool children
        for process, _log in self.workers:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        self.workers = []

    def drop_database(self):
        from django.db import connections

        connections.close_all()
        self.pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def flush_redis(self):
        import redis

        redis.Redis.from_url(self.redis_url, socket_connect_timeout=3).flushdb()

    def cleanup(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not stop the clean-up
        steps = [("stop the workers", self.stop_workers)]
        if self.db_created:
            steps += [("drop the database", self.drop_database), ("flush Redis", self.flush_redis)]
        if self.controller is not None:
            steps.append(("stop the SMTP server", self.controller.stop))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # carry on with the rest
                print(f"clean-up: could not {name}: {exc}", file=sys.stderr)
        if self.failed:
            print(f"worker logs kept in {self.logdir}", file=sys.stderr)
        else:
            for log in self.logdir.glob("*"):
                log.unlink()
            self.logdir.rmdir()

    def run(self):
        print(f"machine   {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
        self.start_smtp()
        self.setup_django()
        self.make_session()
        self.start_workers()
        self.cancel()
        if self.wait_for_delivery() and self.args.profile:
            self.profile()


def main():
    from bench_run import run_bench  # beside this script, which runs with its folder on sys.path

    args = parse_args()
    bench = Bench(args)
    return run_bench(bench, bench.cleanup)


if __name__ == "__main__":
    sys.exit(main())
