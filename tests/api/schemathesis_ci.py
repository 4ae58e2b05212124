"""The API against its own OpenAPI schema, on a live server: schemathesis, as CI runs it (.ci/run).

    .venv/bin/python tests/api/schemathesis_ci.py [--max-examples N]

1. Makes a database of its own on DATABASE_URL's PostgreSQL server (dropped at the end, whatever
   happens), migrates it and loads the demo data (manage.py load_demo).
2. Makes a partner key and an office staff user with an API token, and picks the data the hooks
   give well-formed requests (sessions taking bookings, sectors, courses, leads, a sales user).
3. Starts gunicorn (config/gunicorn.conf.py) on a free loopback port, with DEBUG off, no Redis
   (Celery tasks run in-process, the cache in memory, emails to the log) and every rate limit
   raised far out of reach, so a limit is never what a check trips over.
4. Runs `schemathesis run <url>/api/schema/ --checks all` three times, side by side in three
   processes (each pass's output is printed when it ends): anonymously, with the
   partner key (`Authorization: Bearer`) and with the staff token (`Authorization: Token`; the
   public catalogue, the same for everyone, only anonymously); phases examples, coverage,
   fuzzing and stateful, at most --max-examples cases per operation in each.

Exits non-zero if any run finds anything. Needs PostgreSQL (DATABASE_URL, or the local server).
The rules a schema cannot state (an existing session, delegates' emails unique) are supplied by
tests/api/schemathesis_hooks.py; everything else is generated from the schema alone.
"""

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PUBLIC_READS = r"^(sectors_|courses_|sessions_list$|sessions_retrieve$)"
# Far above anything a run sends: a 429 would only hide what the checks look for.
UNLIMITED = "1000000"
LIMITS = {
    "BOOKINGS_RATE_LIMIT_PER_HOUR": UNLIMITED,
    "BOOKING_CHANGES_PER_HOUR": UNLIMITED,
    "LEADS_RATE_LIMIT_PER_HOUR": UNLIMITED,
    "PARTNER_BOOKINGS_PER_HOUR": UNLIMITED,
    "PARTNER_LEADS_PER_HOUR": UNLIMITED,
    "BOOKING_UNCONFIRMED_SEATS_MAX": UNLIMITED,
}


ACCESS_LOG_FORMAT = '%(h)s [%(t)s] "%(r)s" %(s)s %(b)s %(M)sms'
ACCESS_LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d{3}) \S+ (?P<ms>\d+)ms$')


def log(message):
    print(f"==> {message}", flush=True)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def own_database_url(base_url):
    """DATABASE_URL with a new database name on the same server."""
    parts = urlsplit(base_url)
    if not parts.scheme.startswith("postgres"):
        sys.exit(f"schemathesis_ci needs PostgreSQL; DATABASE_URL is {parts.scheme or 'unset'}")
    name = f"schemathesis_{os.getpid()}_{secrets.token_hex(3)}"
    return name, urlunsplit(parts._replace(path=f"/{name}"))


def admin(base_url, sql):
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    parts = urlsplit(base_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(sql)


def server_env(database_url):
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(LIMITS)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        USE_HTTPS="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        EMAIL_URL="consolemail://",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
        # The fuzzing registers webhook endpoints with made-up addresses: nothing may be sent to them.
        WEBHOOK_DELIVERIES_ENABLED="false",
    )
    return env


def prepare(env):
    """Migrate, load the demo data; return the credentials and the data the hooks need."""

    def manage(*args):
        subprocess.run([BIN / "python", "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    manage("migrate", "--no-input", "-v", "0")
    manage("load_demo")
    script = """
import json
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from booking import selectors
from courses import selectors as courses
from enquiries.models import Lead
from partners.services import partner_key_create
key = partner_key_create(organisation="Schemathesis", contact_email="api@example.org",
                         bookings_per_hour=10**6, leads_per_hour=10**6).key
staff = get_user_model().objects.create_superuser("schemathesis", "st@example.org", None)
sales = get_user_model().objects.filter(username="sales").first()
print(json.dumps({
    "key": key,
    "token": Token.objects.create(user=staff).key,
    "SCHEMATHESIS_SESSION_IDS": ",".join(str(s.pk) for s in selectors.session_list_upcoming(available=True)[:8]),
    "SCHEMATHESIS_SECTOR_SLUGS": ",".join(courses.sector_list().values_list("slug", flat=True)),
    "SCHEMATHESIS_COURSE_SLUGS": ",".join(courses.course_list().values_list("slug", flat=True)[:8]),
    "SCHEMATHESIS_LEAD_IDS": ",".join(str(pk) for pk in Lead.objects.values_list("pk", flat=True)[:8]),
    "SCHEMATHESIS_SALES_USER_ID": str(sales.pk) if sales else "",
}))
"""
    out = subprocess.run(
        [BIN / "python", "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(env, port, log_file):
    # gunicorn answers a request line over 4,094 bytes itself, with its own HTML 414, before the
    # app sees it (README, API). The run checks the app's contract, so that limit is lifted here.
    process = subprocess.Popen(
        [
            BIN / "gunicorn",
            "-c",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--limit-request-line",
            "0",
            # Each request's time in the log, so a slow one can be found (slowest_requests()).
            "--access-logformat",
            ACCESS_LOG_FORMAT,
            "config.wsgi:application",
        ],  # fmt: skip
        cwd=ROOT,
        env={**env, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn stopped before it answered; see its log above")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    sys.exit("gunicorn did not answer within 60 s")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def schemathesis_start(url, header, *, data, max_examples, workdir, output):
    """Start one pass in the background, writing to `output`; returns the process."""
    command = [
        BIN / "schemathesis",
        "run",
        f"{url}/api/schema/",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max_examples),
        # One thread per pass (the passes run side by side as processes instead): CPython 3.11
        # before 3.11.8 can raise a spurious "AST constructor recursion depth mismatch" when two
        # threads parse source at once (gh-106905), as Hypothesis does to describe lambdas.
        "--workers",
        "1",
        # With no broker, a booking's emails are sent inside its request (100 delegates' joining
        # instructions, and the invoice PDF when a PO confirms it): up to 12 s seen on a busy
        # 2-core machine. A deployment sends them from the mail workers. schemathesis's own
        # default limit is 10 s; these only catch a request that hangs.
        "--request-timeout",
        "30",
        "--max-response-time",
        "30",
        "--generation-database",
        "none",
        # The API refuses NUL characters anywhere (the schema's description says so; PostgreSQL
        # cannot store them): a NUL would only ever test that one rule.
        "--generation-allow-x00",
        "false",
        "--no-color",
    ]
    if header:
        # With credentials given, generated ones would only be sent beside them (a random session
        # cookie with a valid token) and prove nothing; the anonymous pass sends generated ones.
        # The public catalogue answers everyone alike: the anonymous pass covers it.
        command += [
            "--header",
            header,
            "--generation-with-security-parameters",
            "false",
            "--exclude-operation-id-regex",
            PUBLIC_READS,
        ]
    hook_data = {name: value for name, value in data.items() if name.startswith("SCHEMATHESIS_")}
    env = {**os.environ, **hook_data, "SCHEMATHESIS_HOOKS": str(HOOKS)}
    # Run from a scratch directory: schemathesis keeps a cache of failures in the working directory.
    return subprocess.Popen(command, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT)


def slowest_requests(lines, count=10):
    """The access log's slowest requests, slowest first, as "<ms> ms <status> <request line>"."""
    timed = []
    for line in lines:
        match = ACCESS_LOG_LINE.search(line)
        if match:
            timed.append((int(match["ms"]), match["status"], match["request"][:300]))
    timed.sort(reverse=True)
    return [f"{ms:>7} ms {status} {request}" for ms, status, request in timed[:count]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=25, help="cases per operation and phase (default 25)")
    args = parser.parse_args()

    base_url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    name, database_url = own_database_url(base_url)
    env = server_env(database_url)
    log(f"database {name}")
    admin(base_url, f'CREATE DATABASE "{name}"')
    server, failed, passes = None, [], {}
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="schemathesis-") as workdir:
            data = prepare(env)
            port = free_port()
            log_path = Path(workdir) / "gunicorn.log"
            with open(log_path, "w") as log_file:
                server = start_server(env, port, log_file)
                url = f"http://127.0.0.1:{port}"
                # The three passes run at once, each in its own process: together they take about
                # as long as the longest alone.
                for run_name, header in [
                    ("anonymous", None),
                    ("partner key", f"Authorization: Bearer {data['key']}"),
                    ("staff token", f"Authorization: Token {data['token']}"),
                ]:
                    pass_dir = Path(workdir) / run_name.replace(" ", "-")
                    pass_dir.mkdir()
                    output = pass_dir / "output.log"
                    log(f"schemathesis: {run_name} (started)")
                    # The pass writes to its own copy of the file handle: ours can close at once.
                    with open(output, "w") as output_file:
                        process = schemathesis_start(
                            url, header, data=data, max_examples=args.max_examples, workdir=pass_dir, output=output_file
                        )
                    passes[run_name] = (process, output)
                for run_name, (process, output) in passes.items():
                    code = process.wait()
                    log(f"schemathesis: {run_name}")
                    print(output.read_text(), flush=True)
                    if code:
                        failed.append(run_name)
                stop_server(server)
            server_log = log_path.read_text().splitlines()
            if failed:
                log("the server's log, last 60 lines")
                print("\n".join(server_log[-60:]))
            log("the slowest requests")
            print("\n".join(slowest_requests(server_log)))
    finally:
        for process, _ in passes.values():
            if process.poll() is None:  # an error or Ctrl+C while the passes ran
                process.kill()
                process.wait()
        if server is not None:
            stop_server(server)
        admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    log(
        f"schemathesis: {'failed: ' + ', '.join(failed) if failed else 'no findings'} in {time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
