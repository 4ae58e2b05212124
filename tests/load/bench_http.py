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
/ping/ from the same run, the CPU a request took in gunicorn and PostgreSQL (and the share of
/ping/'s rate that allows), the target and whether it is met. --profile NAME[,NAME] (or `missed`)
then shows where a scenario's time goes (cProfile over requests made in this process). The
machines are small and shared: compare runs made one after another (load average is printed).
"""

import argparse
import itertools
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.load import bench_http_load as load  # noqa: E402
from tests.load.bench_http_services import Services, git_version  # noqa: E402


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
        ok = r.errors == 0 and r.requests > 0
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
    parser.add_argument("--seconds", type=int, default=10, help="timed seconds per scenario, whole (10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed seconds per scenario first, whole (3)")
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


class Bench:
    def __init__(self, args):
        self.args = args
        self.svc = Services(args)
        self.failed = False
        self.nonce = f"{os.getpid()}{int(time.time()) % 100000}"
        self.scenarios = [s for s in SCENARIOS if s.key in args.only]
        self.race_result = self.race_lock = None
        self.counter = itertools.count()
        self.notes = []

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
                status, content = self.svc.request(
                    "POST", "/api/v1/bookings/", body, {"Content-Type": "application/json"}
                )
                expected = 201
            else:
                cookie = {"Cookie": self.cookie} if scenario.key == "admin_leads" else {}
                status, content = self.svc.request("GET", self.paths[scenario.key][0], headers=cookie)
                expected = 200
            if status != expected:
                raise RuntimeError(f"{scenario.label}: HTTP {status}, not {expected}\n{content[:800]!r}")

    # Measurement ------------------------------------------------------------------------------

    def wrk(self, key, seconds, tag):
        return load.run_wrk(
            self.wrk_path,
            url=f"http://127.0.0.1:{self.svc.port}",
            paths=self.paths[key],
            workdir=self.svc.logdir,
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.wrk_threads,
            method="POST" if key == "booking" else "GET",
            sessions=self.booking_sessions if key == "booking" else (),
            cookie=self.cookie if key == "admin_leads" else None,
            nonce=f"{self.nonce}{tag}",
        )

    def measure(self, scenario, tag=""):
        if self.args.warmup > 0:
            self.wrk(scenario.key, self.args.warmup, f"w{tag}{scenario.key}")
            self.svc.settle(worker_too=False)  # the worker may go on sending the warm-up's emails
        meter = load.CpuMeter(self.svc.server_pids, self.svc.pg_backends)
        meter.start()
        result = self.wrk(scenario.key, self.args.seconds, f"m{tag}{scenario.key}")
        self.svc.settle(worker_too=scenario.key != "booking")  # wait_for_emails waits for the worker
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

    def wait_for_emails(self):
        """The booking POSTs queued a confirmation email each: let the worker send them before the
        next scenario, and say how long that took."""
        from outbox.models import EmailStatus, OutboundEmail

        ours = OutboundEmail.objects.filter(created_at__gte=self.started)  # not a kept database's old ones
        pending = ours.filter(status__in=[EmailStatus.QUEUED, EmailStatus.SENDING])
        total = ours.count()
        waited = load.drain(lambda: not pending.exists(), timeout=180)
        if waited is None:
            self.notes.append(f"{pending.count()} of {total} booking emails still unsent 180 s after the load")
            print(f"emails    {pending.count()} of {total} still unsent after 180 s")
        else:
            print(f"emails    {total} booking emails in the outbox, all sent, the last {waited:.0f}s after the load")
        time.sleep(1)  # a duplicate would arrive about now
        received = sum(self.svc.sink.ids.values())
        duplicates = sum(n - 1 for pk, n in self.svc.sink.ids.items() if pk is not None)
        if duplicates or None in self.svc.sink.ids:
            self.notes.append(
                f"the SMTP server received {received} emails: {duplicates} sent twice, "
                f"{self.svc.sink.ids[None]} not from the outbox"
            )
            print(f"emails    {self.notes[-1]}")

    def race(self):
        from booking.models import SEAT_HOLDING, Delegate, Venue
        from courses.models import Course
        from tests.factories import make_session

        session = make_session(
            course=Course.objects.order_by("pk").first(), venue=Venue.objects.first(), capacity=self.args.race_seats
        )
        answers = load.race(self.svc.port, session.pk, self.args.race_clients, self.nonce)
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
        held, whole = load.lock_hold(self.booker(), 10)
        if held is not None:
            self.race_lock = (held, whole)
            print(
                f"          in this process, one booking at a time: the session's row lock is held {held:.0f} ms "
                f"of the request's {whole:.0f} ms (SELECT ... FOR UPDATE to COMMIT; median of 10)"
            )

    def booker(self):
        """A booking POST through Django's test client in this process, a new booker each call."""
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")

        def book():
            i = next(self.counter)  # one count for every booker: a delegate books a session once
            body = load.booking_json(self.booking_sessions[-1 - i % 50], f"p-{self.nonce}-{i}")
            return client.post("/api/v1/bookings/", body, content_type="application/json")

        return book

    def profile(self, keys):
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", REMOTE_ADDR="127.0.0.1")
        admin = Client(HTTP_HOST="127.0.0.1")
        admin.cookies.load(self.cookie)

        def maker(key):
            paths = self.paths[key]
            if key == "booking":
                return self.booker()
            cycle = iter(paths * 1000)
            return lambda: (admin if key == "admin_leads" else client).get(next(cycle))

        for scenario in self.scenarios:
            if scenario.key in keys:
                load.profile_requests(maker(scenario.key), self.args.profile_requests, scenario.label)

    # Report -----------------------------------------------------------------------------------

    def report(self):
        from datetime import date

        # The yardstick: the faster of the two /ping/ runs (start and end), the one the rest of the
        # machine disturbed least, so a ratio is never flattered by a slow /ping/.
        ping = max((s.result for s in self.scenarios if s.key in ("ping", "ping_again")), key=lambda r: r.rps)

        def by_cpu(r):
            # The share of /ping/'s requests/s the CPU a request allows, whatever else the machine runs.
            return (ping.app_cpu_ms + ping.pg_cpu_ms) / max(r.app_cpu_ms + r.pg_cpu_ms, 0.01)

        def ms(value, base):
            return f"{value:.1f} ({value / base:.1f}×)" if base else f"{value:.1f}"

        print()
        print(
            f"`make bench`, {date.today():%-d %B %Y}, {git_version()}: {self.svc.machine_line}; "
            f"load average {self.svc.load_at_start:.2f} at start."
        )
        print(
            f"Data: {self.data_line}. wrk, {self.args.connections} connections on loopback, {self.args.warmup:g} s warm-up "
            f"then {self.args.seconds:g} s a scenario (wrk used at most "
            f"{max(s.result.wrk_cpu for s in self.scenarios if s.result) * 100:.0f}% of a core); ratios against "
            "the faster of the run's two /ping/ rows. CPU: gunicorn's processes and the database's PostgreSQL backends; "
            "× /ping/ by CPU: the share of /ping/'s requests/s that CPU a request allows (steady when the "
            "machine is shared)."
        )
        print()
        print(
            "| Scenario | req/s | × /ping/ | p50 ms | p95 ms | p99 ms | errors | CPU ms/req: app + db "
            "| × /ping/ by CPU | target | met |"
        )
        print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
        missed = []
        for scenario in self.scenarios:
            r = scenario.result
            if r is None:
                continue
            met = scenario.met(ping)
            if not met:
                missed.append(scenario)
            verdict = ("yes" if met else "**no**") if scenario.target() != "none" else ("" if met else "**errors**")
            if not r.requests:  # wrk saw no answer: its latencies are zeros, not measurements
                print(
                    f"| {scenario.label} | 0 | 0 | – | – | – | {r.errors} | {r.app_cpu_ms:.1f} + {r.pg_cpu_ms:.1f} | "
                    f"{by_cpu(r):.2f} | {scenario.target()} | **no answer in {self.args.seconds} s** |"
                )
                continue
            print(
                f"| {scenario.label} | {r.rps:.0f} | {r.rps / ping.rps:.2f} | {ms(r.p50, ping.p50)} | "
                f"{ms(r.p95, ping.p95)} | {ms(r.p99, ping.p99)} | {r.errors} | "
                f"{r.app_cpu_ms:.1f} + {r.pg_cpu_ms:.1f} | {by_cpu(r):.2f} | {scenario.target()} | {verdict} |"
            )
        if self.race_result:
            statuses, wall, held, ok = self.race_result
            print(
                f"\nRace: {self.args.race_clients} simultaneous booking POSTs for {self.args.race_seats} seats: "
                f"{statuses.get(201, 0)} booked (201), {statuses.get(409, 0)} fully booked (409)"
                + "".join(f", {n} × {s}" for s, n in statuses.items() if s not in (201, 409))
                + f"; {held} seats held; all answered in {wall:.2f} s (target: exactly "
                f"{self.args.race_seats} booked, under {RACE_WALL_TARGET:g} s): {'yes' if ok else '**no**'}"
                + (
                    f". One booking alone holds the session's lock {self.race_lock[0]:.0f} ms of its "
                    f"{self.race_lock[1]:.0f} ms"
                    if self.race_lock
                    else ""
                )
            )
            if not ok:
                missed.append("race")
        for note in self.notes:
            print(f"Note: {note}")
        print(f"Load average at the end: {os.getloadavg()[0]:.2f}")
        return [m for m in missed if m != "race"]

    def run(self):
        from django.utils import timezone

        from tests.load.bench_http_data import describe, populate

        self.wrk_path = load.find_wrk()
        self.svc.machine(self.wrk_path)
        self.svc.start_smtp()
        self.svc.setup_django()
        if not self.svc.reused:
            populate(seed=self.args.seed, bookings=self.args.bookings, leads=self.args.leads)
        self.data_line = describe()
        self.started = timezone.now()
        self.svc.start()
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
    from bench_run import run_bench  # beside this script, which runs with its folder on sys.path

    args = parse_args()
    bench = Bench(args)
    return run_bench(bench, lambda: bench.svc.cleanup(bench.failed))


if __name__ == "__main__":
    sys.exit(main())
