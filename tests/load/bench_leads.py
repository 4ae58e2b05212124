#!/usr/bin/env python
"""Benchmark: the sales desk's lead pages at N leads, served by gunicorn on loopback.

    .venv/bin/python tests/load/bench_leads.py [--leads 100000] [--repeat 20] [--workers N]
                                               [--threads N] [--db NAME] [--keep] [--explain]
                                               [--only list,search_name,dashboard,export ...]

On services of its own, so nothing else is touched:
- a throw-away PostgreSQL database `bench_leads_<pid>` (migrated here, dropped at the end; or
  --db NAME, created if missing and kept, whose leads are measured as they are if it has some);
- N leads written with COPY: UK names, organisations by sector, their email addresses, UK phone
  numbers in E.164, every status (most leads closed, as in a desk that has run for years), owners
  among 10 Sales users, due times on open leads, channels, courses of interest; then VACUUM ANALYZE;
- gunicorn started with config/gunicorn.conf.py on a free loopback port, with its defaults for
  this machine or --workers and --threads (WEB_CONCURRENCY, GUNICORN_THREADS).
Then, signed in as one of the Sales users (staff, not a superuser), it times --repeat requests of
each page after --warmup: the lead list (default "my open leads" and all leads), searches by name,
organisation, email fragment and phone, a status filter, the closed leads, the dashboard; and the
CSV export of all leads (--export-repeat times: time to first byte, whole file, the worker's peak
memory, and a public page fetched meanwhile). Each page is requested once more in this process with the queries
captured: how many, the slowest (--explain prints its EXPLAIN ANALYZE).

It prints the machine and a table of p50/p95 in ms, marking the pages held to 500 ms p95. On
shared 2-core machines the numbers are noisy: compare runs made one after another.
"""

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
TARGET_MS = 500
LEADS_URL = "/admin/enquiries/lead/"
SALES_USERS = 10
BENCH_USER = "bench-sales-01"
PUBLIC_URL = "/enquire/"


def default_pg_url():
    """The server of DATABASE_URL when that is PostgreSQL (without its database name)."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return "postgres://postgres@127.0.0.1:5432"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads to create (default 100000)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed requests per page first (default 3, at least one per worker)"
    )
    parser.add_argument("--export-repeat", type=int, default=3, help="timed CSV exports (default 3; 0: none)")
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: config/gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: config/gunicorn.conf.py's)")
    parser.add_argument("--timeout", type=float, default=600, help="give up on one request after this (600 s)")
    parser.add_argument("--pg-url", default=default_pg_url(), help="PostgreSQL server, no db name (from DATABASE_URL)")
    parser.add_argument("--db", help="use this database (created if missing, kept); its leads if it has some")
    parser.add_argument("--keep", action="store_true", help="keep the throw-away database and print its name")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's slowest query")
    parser.add_argument("--seed", type=int, default=10, help="random seed for the data (10)")
    parser.add_argument(
        "--only",
        help="comma-separated pages to time: list, list_all, search_name, search_org, search_email, "
        "search_phone, search_mine, status, closed, dashboard, export (default all)",
    )
    args = parser.parse_args()
    counts = [args.leads, args.repeat] + [n for n in (args.workers, args.threads) if n is not None]
    if min(counts) < 1 or min(args.warmup, args.export_repeat) < 0:
        parser.error("counts must be at least 1 (--warmup and --export-repeat at least 0)")
    return args


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    """Nearest rank: of 20 values, p95 is the 19th smallest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def memory_kb(pid, field):
    """VmRSS or VmHWM (peak) of a process in kB, or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# The data ---------------------------------------------------------------------------------------

FIRST_NAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia", "Grace", "Freya",
    "Emily", "Ella", "Poppy", "Florence", "Evie", "Charlotte", "Harper", "Sienna", "Ruby", "Daisy", "Alice",
    "Phoebe", "Matilda", "Jessica", "Sarah", "Rachel", "Claire", "Helen", "Emma", "Laura", "Karen", "Nicola",
    "Joanne", "Lisa", "Michelle", "Amy", "Hannah", "Priya", "Aisha", "Fatima", "Zara", "Niamh", "Siobhan",
    "Megan", "Bethan", "Noah", "Oliver", "George", "Arthur", "Leo", "Harry", "Oscar", "Archie", "Henry", "Jack",
    "Theo", "Charlie", "Freddie", "Alfie", "Thomas", "James", "William", "Joshua", "Daniel", "Samuel", "David",
    "Michael", "Paul", "Mark", "Andrew", "Richard", "Stephen", "Gareth", "Rhys", "Dylan", "Callum", "Jamie",
    "Connor", "Liam", "Mohammed", "Ahmed", "Omar", "Arjun", "Rohan", "Tariq", "Kwame", "Chidi", "Tomasz", "Piotr",
    "Marek", "Luca", "Mateo", "Ewan", "Fraser", "Angus", "Declan", "Ciaran"
]  # fmt: skip
SURNAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson", "Wright",
    "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Thomas", "Clarke", "Jackson", "Wood",
    "Harris", "Edwards", "Turner", "Martin", "Cooper", "Hill", "Ward", "Hughes", "Moore", "Clark", "King",
    "Harrison", "Lewis", "Baker", "Lee", "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James",
    "Bennett", "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh", "Shaw", "Bell",
    "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Marshall", "Simpson", "Anderson", "Ellis", "Adams",
    "Wilkinson", "Ward", "Foster", "Lloyd", "Webb", "Rogers", "Gray", "Stevens", "Murphy", "Price", "Russell",
    "Hunt", "Mason", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Matthews", "Butler", "Chapman", "Dixon",
    "Fletcher", "Hussain", "Ali", "Ahmed", "Rahman", "Okafor", "Mensah", "Nowak", "Kowalski", "Campbell",
    "Stewart", "MacDonald", "Fraser", "Reid", "Whitfield", "Ashworth", "Pemberton", "Fairbairn", "Oyelaran",
    "Greenhalgh", "Ramsbottom", "Featherstone", "Higginbottom", "Kaur", "Gill", "Sandhu", "Chaudhry", "Iqbal",
    "Mahmood", "Osei", "Adeyemi", "Nwosu", "Doherty", "Quinn"
]  # fmt: skip
TOWNS = [
    "Ipswich", "Norwich", "Colchester", "Chelmsford", "Cambridge", "Peterborough", "Leicester", "Nottingham",
    "Derby", "Sheffield", "Leeds", "Bradford", "York", "Hull", "Lincoln", "Manchester", "Salford", "Bolton",
    "Wigan", "Preston", "Blackburn", "Liverpool", "Chester", "Stoke", "Wolverhampton", "Birmingham", "Coventry",
    "Worcester", "Hereford", "Gloucester", "Bristol", "Bath", "Swindon", "Reading", "Oxford", "Luton", "Watford",
    "Slough", "Guildford", "Brighton", "Crawley", "Maidstone", "Canterbury", "Southampton", "Portsmouth",
    "Bournemouth", "Exeter", "Plymouth", "Truro", "Taunton", "Cardiff", "Swansea", "Newport", "Wrexham",
    "Sunderland", "Durham", "Newcastle", "Middlesbrough", "Carlisle", "Lancaster", "Doncaster", "Rotherham",
    "Barnsley", "Wakefield", "Huddersfield", "Halifax", "Croydon", "Bromley", "Barnet", "Ealing", "Hackney",
    "Lambeth", "Southwark", "Camden", "Islington"
]  # fmt: skip
BRANDS = [
    "Harbour", "Meridian", "Oakfield", "Kingsway", "Northgate", "Riverside", "Beacon", "Greenway", "Crescent",
    "Summit", "Westfield", "Lakeside", "Parkview", "Fairway", "Heritage", "Horizon", "Pennine", "Chiltern",
    "Cotswold", "Wessex", "Anglia", "Mercia", "Severn", "Thames", "Tyne"
]  # fmt: skip
SAINTS = ["St Mary's", "St John's", "St Peter's", "St Andrew's", "St George's", "Holy Trinity", "St Anne's"]
JOB_TITLES = [
    "Ward Manager", "Matron", "Practice Manager", "Head Teacher", "Deputy Head", "SENCO", "Store Manager",
    "Area Manager", "Operations Manager", "HR Business Partner", "Learning and Development Lead",
    "Health and Safety Manager", "Security Manager", "Facilities Manager", "Depot Manager", "Team Leader",
    "Training Coordinator", "Service Manager", "Registered Manager", "Office Manager",
]  # fmt: skip
# (organisation type, sector slug, how to name one, email domain)
ORGANISATIONS = [
    ("nhs", "nhs", "{town} Hospitals NHS Foundation Trust", "nhs.net"),
    ("nhs", "nhs", "{town} Community Health NHS Trust", "nhs.net"),
    ("nhs", "nhs", "{town} and District Mental Health NHS Trust", "nhs.net"),
    ("care", "nhs", "{brand} Care Homes", "{brand}care.co.uk"),
    ("care", "nhs", "{town} Home Care Services", "{town}homecare.co.uk"),
    ("education", "education", "{town} Academy", "{town}academy.sch.uk"),
    ("education", "education", "{saint} Primary School, {town}", "{town}primary.sch.uk"),
    ("education", "education", "{town} College", "{town}college.ac.uk"),
    ("local_authority", "local-government", "{town} Borough Council", "{town}.gov.uk"),
    ("local_authority", "local-government", "{town} City Council", "{town}.gov.uk"),
    ("housing", "local-government", "{brand} Housing Association", "{brand}housing.org.uk"),
    ("retail", "retail-leisure", "{brand} Stores", "{brand}stores.co.uk"),
    ("retail", "retail-leisure", "{town} Leisure Centre", "{town}leisure.co.uk"),
    ("retail", "retail-leisure", "{brand} Supermarkets", "{brand}.co.uk"),
    ("transport", "transport", "{town} Buses", "{town}buses.co.uk"),
    ("transport", "transport", "{brand} Rail", "{brand}rail.co.uk"),
    ("facilities", "transport", "{brand} Security Services", "{brand}security.co.uk"),
    ("other", "", "{brand} Events", "{brand}events.co.uk"),
]
SECTORS = [
    ("nhs", "NHS and healthcare"),
    ("education", "Education"),
    ("local-government", "Local government and housing"),
    ("retail-leisure", "Retail and leisure"),
    ("transport", "Transport"),
]
COURSES = [
    "De-escalation and Conflict Resolution", "Personal Safety and Lone Working",
    "Physical Intervention (RRN certified)", "Managing Aggression in Schools",
    "Breakaway Techniques", "Trauma-Informed De-escalation",
]  # fmt: skip
FREE_MAIL = ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com"]
STATUSES = [  # (status, weight): most of a mature desk's leads are closed
    ("new", 6), ("contacted", 8), ("no_answer", 5), ("qualified", 6), ("proposal_sent", 5),
    ("won", 20), ("lost", 50),
]  # fmt: skip
CLOSED = {"won", "lost"}
LOST_REASONS = ["No budget this year", "Went with another provider", "No response after three attempts",
                "Training delivered in-house", "Course not suitable", "Duplicate enquiry"]  # fmt: skip
NEXT_ACTIONS = ["Call back", "Send proposal", "Follow up on proposal", "Chase PO", "Book a call", "Send course outline"]
CHANNELS = [  # (channel, utm_source, referrer, weight)
    ("google", "", "https://www.google.com/", 30), ("google", "google", "", 8), ("direct", "", "", 22),
    ("bing", "", "https://www.bing.com/", 5), ("linkedin", "linkedin", "https://www.linkedin.com/", 9),
    ("newsletter", "newsletter", "", 6), ("facebook", "", "https://m.facebook.com/", 3),
    ("nhs", "", "https://www.england.nhs.uk/", 2), ("duckduckgo", "", "https://duckduckgo.com/", 2),
]  # fmt: skip
ORIGINS = [("website", 88), ("api", 3), ("phone", 6), ("event", 1), ("referral", 1), ("other", 1)]
SETTINGS = ["ward", "emergency", "community", "front_desk", "classroom", "shop_floor", "vehicle"]
AREA_CODES = ["1473", "1603", "1206", "1245", "1223", "161", "121", "113", "117", "1904", "1632", "2920"]
MOBILE_PREFIXES = ["74", "75", "77", "78", "79"]
MESSAGES = [
    "We would like training for about {n} staff on de-escalation, ideally on site.",
    "Our front-of-house team has seen more verbal abuse since the spring. Can you run a half day for {n}?",
    "Looking for breakaway training for {n} support workers, some of them lone working in the community.",
    "Please send prices for {n} delegates; we need to book before the end of the financial year.",
    "Refresher needed for {n} staff trained three years ago. Weekday mornings suit us best.",
]
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def weighted(pairs):
    values = [pair[:-1] if len(pair) > 2 else pair[0] for pair in pairs]
    return values, [pair[-1] for pair in pairs]


class LeadMaker:
    """Rows for COPY into enquiries_lead: every column, realistic where it matters."""

    def __init__(self, rng, now, owners, sectors):
        self.rng = rng
        self.now = now
        self.owners = owners
        self.sectors = sectors  # slug -> id
        self.references = set()
        self.statuses, self.status_weights = weighted(STATUSES)
        self.channels, self.channel_weights = weighted(CHANNELS)
        self.origins, self.origin_weights = weighted(ORIGINS)
        # A few thousand organisations, each with its type, sector, and email domain.
        self.organisations = []
        for kind, sector, pattern, domain in ORGANISATIONS:
            for _ in range(len(TOWNS) * 2 // 3):
                town, brand, saint = rng.choice(TOWNS), rng.choice(BRANDS), rng.choice(SAINTS)
                name = pattern.format(town=town, brand=brand, saint=saint)
                mail = domain.format(town=town.lower(), brand=brand.lower())
                self.organisations.append((name, kind, sectors.get(sector), mail))

    def reference(self):
        while True:
            ref = "".join(self.rng.choices(REFERENCE_ALPHABET, k=8))
            if ref not in self.references:
                self.references.add(ref)
                return ref

    def phone(self):
        rng = self.rng
        if rng.random() < 0.6:
            return f"+44{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        area = rng.choice(AREA_CODES)
        return f"+44{area}{rng.randrange(10 ** (10 - len(area))):0{10 - len(area)}d}"

    def row(self):
        rng, now = self.rng, self.now
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        organisation, org_type, sector_id, domain = rng.choice(self.organisations)
        if rng.random() < 0.12:  # a private address, or no organisation given
            domain = rng.choice(FREE_MAIL)
            if rng.random() < 0.5:
                organisation, org_type, sector_id = "", "", None
        local = f"{first}.{last}" if rng.random() < 0.7 else f"{first[0]}{last}"
        if rng.random() < 0.2:
            local += str(rng.randrange(1, 99))
        status = rng.choices(self.statuses, self.status_weights)[0]
        closed = status in CLOSED
        # Open leads are recent; closed ones spread over three years.
        age = timedelta(days=rng.uniform(0, 60 if not closed else 3 * 365), minutes=rng.randrange(1440))
        created = now - age
        callback = rng.random() < 0.35
        channel, utm_source, referrer = rng.choices(self.channels, self.channel_weights)[0]
        origin = rng.choices(self.origins, self.origin_weights)[0]
        if origin in ("phone", "event", "referral", "other"):
            channel, utm_source, referrer = origin, "", ""
        staff = rng.choice([6, 8, 10, 12, 15, 20, 25, 40, 60, 120])
        if closed:
            owner, due, next_action = rng.choice(self.owners), None, ""
        else:
            owner = None if (status == "new" and rng.random() < 0.15) else rng.choice(self.owners)
            due = now + timedelta(hours=rng.uniform(-24 * 7, 24 * 14)) if rng.random() < 0.92 else None
            next_action = rng.choice(NEXT_ACTIONS) if due else ""
        return {
            "landing_page": "/courses/de-escalation/" if channel != "direct" else "/",
            "referrer": referrer,
            "utm_source": utm_source,
            "utm_medium": "cpc" if utm_source == "google" else ("email" if utm_source == "newsletter" else ""),
            "utm_campaign": "spring-nhs" if utm_source else "",
            "channel": channel,
            "reference": self.reference(),
            "lead_type": "callback" if callback else "enquiry",
            "origin": origin,
            "status": status,
            "lost_reason": rng.choice(LOST_REASONS) if status == "lost" else "",
            "owner_id": owner,
            "next_action": next_action,
            "due_at": due,
            "estimated_value": (
                Decimal(staff * rng.choice([95, 145, 185])) if status in ("qualified", "proposal_sent", "won") else None
            ),
            "name": f"{first} {last}",
            "job_title": rng.choice(JOB_TITLES) if rng.random() < 0.8 else "",
            "organisation": organisation,
            "organisation_type": org_type,
            "sector_id": sector_id,
            "email": f"{local}@{domain}".lower(),
            "phone": self.phone() if (callback or rng.random() < 0.8) else "",
            "staff_count": None if callback else staff,
            "preferred_town": "" if callback else rng.choice(TOWNS),
            "settings_worked_in": "[]" if callback else json.dumps(rng.sample(SETTINGS, rng.randrange(1, 3))),
            "lone_working": (not callback) and rng.random() < 0.3,
            "message": "" if callback and rng.random() < 0.5 else rng.choice(MESSAGES).format(n=staff),
            "heard_about": "" if callback else rng.choice(["search", "recommendation", "event", "returning"]),
            "callback_date": (created + timedelta(days=1)).date() if callback else None,
            "callback_period": rng.choice(["am", "pm"]) if callback else "",
            "topic": rng.choice(COURSES) if callback else "",
            "consent_at": created,
            "privacy_notice_version": "2026-01",
            "created_at": created,
            "updated_at": created + timedelta(hours=rng.uniform(0, 72)),
            "closed_at": created + timedelta(days=rng.uniform(1, 60)) if closed else None,
        }


# The benchmark ----------------------------------------------------------------------------------


class Page:
    def __init__(self, key, label, path, target=True):
        self.key, self.label, self.path, self.target = key, label, path, target
        self.times = []
        self.queries = None
        self.slowest_ms = None
        self.slowest_sql = ""
        self.matches = None
        self.error = None


class Bench:
    def __init__(self, args):
        self.args = args
        self.db_name = args.db or f"bench_leads_{os.getpid()}"
        self.keep = bool(args.db or args.keep)
        self.db_created = False
        self.server = None
        self.port = None
        self.logdir = Path(tempfile.mkdtemp(prefix="bench_leads_"))
        self.failed = False

    def pg_admin(self, sql):
        """Run SQL on the server's `postgres` database (create, drop)."""
        import psycopg

        with psycopg.connect(f"{self.args.pg_url.rstrip('/')}/postgres", autocommit=True, connect_timeout=5) as conn:
            cursor = conn.execute(sql)
            return cursor.fetchall() if cursor.description else None

    def environment(self):
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{self.args.pg_url.rstrip('/')}/{self.db_name}",
            "REDIS_URL": "",  # cache in memory, Celery eager: nothing here needs Redis
            "SECRET_KEY": "benchmark-only-secret-key-not-for-production",
            "DEBUG": "false",
            "USE_HTTPS": "false",
            "LOG_LEVEL": "WARNING",
        }

    # Setup ------------------------------------------------------------------------------------

    def machine(self):
        cores = os.cpu_count()
        memory = ""
        with contextlib.suppress(OSError):
            kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
            memory = f", {kb / 1024 / 1024:.0f} GB RAM"
        version, shared_buffers, work_mem = self.pg_admin(
            "SELECT current_setting('server_version'), current_setting('shared_buffers'), current_setting('work_mem')"
        )[0]
        self.machine_line = (
            f"{cores} cores{memory}, PostgreSQL {version.split()[0]} (shared_buffers {shared_buffers}, "
            f"work_mem {work_mem}), Python {sys.version.split()[0]}"
        )
        print(f"machine   {self.machine_line}; load average {os.getloadavg()[0]:.2f} at start")

    def setup_django(self):
        exists = self.pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{self.db_name}'")
        if not exists:
            self.pg_admin(f'CREATE DATABASE "{self.db_name}"')
            self.db_created = True
        elif not self.args.db:
            raise SystemExit(f"database {self.db_name} exists already")
        os.environ.update(self.environment())  # before django.setup(): settings read them
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        assert settings.DATABASES["default"]["NAME"] == self.db_name
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"database  {self.db_name} migrated in {time.perf_counter() - started:.1f}s")
        # As a deploy does: with DEBUG off the pages need the static files' manifest.
        call_command("collectstatic_if_changed", verbosity=0)

    def populate(self):
        from django.contrib.auth.models import Group, User
        from django.db import connection

        from enquiries.models import Lead, SalesPerson
        from tests.factories import CourseFactory, SectorFactory

        existing = Lead.objects.count()
        if existing:
            print(f"data      {existing} leads already in {self.db_name}: measured as they are")
            return
        started = time.perf_counter()
        rng = random.Random(self.args.seed)
        sales = Group.objects.get(name="Sales")
        owners = []
        for i in range(1, SALES_USERS + 1):
            first, last = FIRST_NAMES[i * 7], SURNAMES[i * 5]
            user = User.objects.create_user(
                f"bench-sales-{i:02d}", f"{first.lower()}@bench.example", first_name=first, last_name=last
            )
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(sales)
            SalesPerson.objects.create(user=user)
            owners.append(user.pk)
        sectors = {slug: SectorFactory(name=name, slug=slug).pk for slug, name in SECTORS}
        courses = [CourseFactory(title=title, slug=f"bench-{i}").pk for i, title in enumerate(COURSES)]

        maker = LeadMaker(rng, datetime.now(UTC), owners, sectors)
        fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
        sample = maker.row()
        defaults = {}
        for field in fields:
            if field.column in sample:
                continue
            value = field.get_default()
            if value is None and not field.null:
                raise SystemExit(f"bench_leads.py does not know what to put in Lead.{field.name}: add it to LeadMaker")
            defaults[field.column] = field.get_db_prep_save(value, connection)
        columns = [f.column for f in fields]
        quoted = ", ".join(f'"{column}"' for column in columns)
        copy_sql = f'COPY "{Lead._meta.db_table}" ({quoted}) FROM STDIN'
        batch = 50_000
        with connection.cursor() as cursor:
            for start in range(0, self.args.leads, batch):
                with cursor.copy(copy_sql) as copy:
                    for _ in range(min(batch, self.args.leads - start)):
                        row = maker.row()
                        copy.write_row([row[c] if c in row else defaults[c] for c in columns])
                done = min(start + batch, self.args.leads)
                print(f"          {done} leads written ({time.perf_counter() - started:.0f}s)")
            table = Lead._meta.db_table
            # Courses of interest: one for most enquiries, a second for a third of them.
            cursor.execute(
                f'INSERT INTO "{Lead.courses.through._meta.db_table}" (lead_id, course_id) '
                f"SELECT id, (%(c)s::bigint[])[1 + id %% %(n)s] FROM {table} "
                f"WHERE lead_type = 'enquiry' AND id %% 5 <> 0 "
                f"UNION ALL SELECT id, (%(c)s::bigint[])[1 + (id + 1) %% %(n)s] FROM {table} "
                f"WHERE lead_type = 'enquiry' AND id %% 3 = 0",
                {"c": courses, "n": len(courses)},
            )
            # A few open leads wait for a duplicate decision.
            cursor.execute(
                f"UPDATE {table} SET duplicate_review = true, duplicate_of_id = id - 1 "
                f"WHERE id % 250 = 0 AND status NOT IN ('won', 'lost')"
            )
            # What autovacuum would have done by now: statistics and the visibility map.
            cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute(f'VACUUM ANALYZE "{Lead.courses.through._meta.db_table}"')
            cursor.execute(
                f"SELECT pg_size_pretty(pg_table_size('{table}')), pg_size_pretty(pg_indexes_size('{table}'))"
            )
            heap, indexes = cursor.fetchone()
        print(
            f"data      {self.args.leads} leads, {len(owners)} Sales users in {time.perf_counter() - started:.0f}s; "
            f"table {heap}, its indexes {indexes}"
        )

    def gunicorn_settings(self, env):
        """workers, threads and timeout as config/gunicorn.conf.py makes them from `env`."""
        saved = dict(os.environ)
        try:
            os.environ.update(env)
            settings = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return settings["workers"], settings["threads"], settings["timeout"]

    def start_server(self):
        self.port = free_port()
        overrides = {"WEB_CONCURRENCY": self.args.workers, "GUNICORN_THREADS": self.args.threads}
        env = {**os.environ, **self.environment(), **{k: str(v) for k, v in overrides.items() if v is not None}}
        self.workers, threads, timeout = self.gunicorn_settings(env)
        kind = (
            f"{self.workers} workers x {threads} threads (gthread)" if threads > 1 else f"{self.workers} sync workers"
        )
        self.machine_line += f", gunicorn {kind}, timeout {timeout} s"
        self.server_log = self.logdir / "gunicorn.log"
        command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--no-control-socket", "config.wsgi:application"]
        with self.server_log.open("w") as out:
            self.server = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while True:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited (code {self.server.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                status, *_ = self.get("/healthz/", cookie=False)
                if status == 200 and len(self.worker_pids()) == self.workers:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer /healthz/ within 60s:\n{self.log_tail()}")
            time.sleep(0.2)
        print(f"server    gunicorn -c config/gunicorn.conf.py on 127.0.0.1:{self.port}: {kind}, up")

    def log_text(self):
        return self.server_log.read_text(errors="replace")

    def log_tail(self):
        return self.log_text()[-3000:]

    def worker_pids(self):
        try:
            children = Path(f"/proc/{self.server.pid}/task/{self.server.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def sign_in(self):
        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client

        self.user = User.objects.get(username=BENCH_USER)
        assert self.user.is_staff and not self.user.is_superuser
        self.client = Client(HTTP_HOST="127.0.0.1")
        # ModelBackend by name: the first backend (axes) keeps no one signed in.
        self.client.force_login(self.user, backend="django.contrib.auth.backends.ModelBackend")
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={self.client.cookies[settings.SESSION_COOKIE_NAME].value}"
        print(f"user      {BENCH_USER} (Sales group, staff, not a superuser)")

    # Requests ---------------------------------------------------------------------------------

    def get(self, path, cookie=True):
        """GET over a new connection (gunicorn's sync workers close each one): status, the body (its
        first 5 MB), seconds to the first body byte, and the body's size."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.args.timeout)
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers={"Cookie": self.cookie} if cookie else {})
            response = conn.getresponse()
            first = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            ttfb = time.perf_counter() - started
            size = len(first)
            body = [first] if size < 1_000_000 else []
            while chunk := response.read(1 << 20):
                size += len(chunk)
                if body and size < 5_000_000:
                    body.append(chunk)
            return response.status, b"".join(body), ttfb, size
        finally:
            conn.close()

    def pages(self):
        """The pages to time, with search terms taken from a lead in the middle of the data."""
        from enquiries.admin.leads import uk_phone
        from enquiries.models import Lead

        sample = None
        for lead in (
            Lead.objects.exclude(organisation="").exclude(phone="").order_by("pk")[Lead.objects.count() // 2 :][:200]
        ):
            national = "0" + str(lead.phone)[3:]
            if uk_phone(national):
                sample = lead
                break
        if sample is None:
            raise RuntimeError("no lead with an organisation and a valid UK phone to search for")
        surname = sample.name.split()[-1]
        org_words = " ".join(sample.organisation.replace(",", "").split()[:2])
        email_fragment = sample.email.split("@")[0][:9]
        national = "0" + str(sample.phone)[3:]
        phone_typed = f"{national[:5]} {national[5:]}"

        def listing(**params):
            return f"{LEADS_URL}?{urlencode(params)}"

        everyone = {"owner": "all", "state": "all"}
        mine = {"owner": "me", "state": "open"}
        return [
            Page("list", "Lead list: my open leads (the default view)", listing(**mine)),
            Page("list_all", "Lead list: all leads", listing(**everyone)),
            Page("search_name", f'Search, all leads: name "{surname}"', listing(**everyone, q=surname)),
            Page("search_org", f'Search, all leads: organisation "{org_words}"', listing(**everyone, q=org_words)),
            Page("search_email", f'Search, all leads: email "{email_fragment}"', listing(**everyone, q=email_fragment)),
            Page("search_phone", f'Search, all leads: phone "{phone_typed}"', listing(**everyone, q=phone_typed)),
            Page("search_mine", f'Search within my open leads: "{surname}"', listing(**mine, q=surname)),
            Page("status", "Status filter: qualified, all owners", listing(**everyone, status="qualified")),
            Page("closed", "Closed leads (won or lost), all owners", listing(owner="all", state="closed")),
            Page("dashboard", "Dashboard", f"{LEADS_URL}dashboard/"),
        ]

    def time_page(self, page):
        # At least one untimed request per worker, so no timed one meets a worker's first use.
        warmup = max(self.args.warmup, self.workers)
        for i in range(warmup + self.args.repeat):
            started = time.perf_counter()
            status, body, *_ = self.get(page.path)
            elapsed = time.perf_counter() - started
            if status != 200 or b"</html>" not in body:
                page.error = f"HTTP {status}"
                raise RuntimeError(f"{page.label}: HTTP {status} for {page.path}\n{body[:500]!r}\n{self.log_tail()}")
            if i >= warmup:
                page.times.append(elapsed * 1000)

    def capture_queries(self, page, stream=False):
        """The same page once in this process, queries captured: count, slowest, result count."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(page.path)
            if stream:
                for _chunk in response.streaming_content if response.streaming else [response.content]:
                    pass
        assert response.status_code == 200, (page.path, response.status_code)
        page.queries = len(captured.captured_queries)
        slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
        page.slowest_ms = float(slowest["time"]) * 1000
        page.slowest_sql = slowest["sql"]
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        page.matches = changelist.result_count if changelist is not None else None
        if self.args.explain:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                plan = "\n".join(f"            {row[0]}" for row in cursor.fetchall())
            print(f"explain   {page.label}: slowest of {page.queries} queries, {page.slowest_ms:.0f} ms\n{plan}")

    def measure_pages(self):
        self.page_list = self.pages()
        if self.args.only:
            keys = set(self.args.only.split(",")) - {"export"}
            unknown = keys - {page.key for page in self.page_list}
            if unknown:
                raise SystemExit(f"--only: no such page {', '.join(sorted(unknown))}")
            self.page_list = [page for page in self.page_list if page.key in keys]
        for page in self.page_list:
            self.time_page(page)
            self.capture_queries(page)
            print(
                f"page      {page.label}: p50 {statistics.median(page.times):.0f} ms, "
                f"p95 {percentile(page.times, 0.95):.0f} ms; {page.queries} queries, slowest {page.slowest_ms:.0f} ms"
                + (f"; {page.matches} leads" if page.matches is not None else "")
            )

    def measure_export(self):
        """The CSV of all leads: first byte, whole file, the worker's peak memory, and a public page
        fetched on other connections meanwhile. A failed export (a worker killed by gunicorn's
        timeout, an error page) is reported, and the run carries on."""
        path = f"{LEADS_URL}export/?owner=all&state=all"
        self.export = {"ttfb": [], "total": [], "bytes": 0, "peak_mb": [], "public": [], "errors": []}
        skipped = self.args.only and "export" not in self.args.only.split(",")
        for _ in range(0 if skipped else self.args.export_repeat):
            self.export_once(path)
        self.export_page = Page("export", "Export CSV, all leads", path, target=False)
        # Its queries only with --explain: at 500,000 leads the export takes minutes more here.
        if self.export["ttfb"] and self.args.explain:
            self.capture_queries(self.export_page, stream=True)
            print(f"export    {self.export_page.queries} queries, slowest {self.export_page.slowest_ms:.0f} ms")

    def export_once(self, path):
        workers = self.worker_pids()
        baseline = {}
        for pid in workers:
            with contextlib.suppress(OSError):  # reset the peak ("high water mark") to now
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            baseline[pid] = memory_kb(pid, "VmRSS") or 0
        done = threading.Event()
        public = []

        def probe():
            time.sleep(0.2)  # the export has been taken by a worker
            while not done.is_set():
                started = time.perf_counter()
                with contextlib.suppress(OSError, http.client.HTTPException):
                    status, *_ = self.get(PUBLIC_URL, cookie=False)
                    if status == 200 and not done.is_set():
                        public.append((time.perf_counter() - started) * 1000)
                time.sleep(0.05)

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        started = time.perf_counter()
        try:
            status, body, ttfb, size = self.get(path)
            error = None if status == 200 else f"HTTP {status}"
        except (OSError, http.client.HTTPException) as exc:
            error = f"{type(exc).__name__}"
        total = time.perf_counter() - started
        done.set()
        thread.join()
        self.export["public"].extend(public)
        meanwhile = f"public page meanwhile: {len(public)} requests" + (
            f", p95 {percentile(public, 0.95):.0f} ms" if public else ""
        )
        if error:
            self.failed = True
            self.export["errors"].append(f"{error} after {total:.1f} s")
            killed = "WORKER TIMEOUT" in self.log_text()
            print(
                f"export    FAILED: {error} after {total:.1f} s"
                + (" (gunicorn killed the worker: WORKER TIMEOUT)" if killed else "")
                + f"; {meanwhile}"
            )
            time.sleep(2)  # gunicorn replaces a killed worker
            return
        peak = max(((memory_kb(pid, "VmHWM") or 0) - baseline.get(pid, 0) for pid in workers), default=0) / 1024
        self.export["ttfb"].append(ttfb * 1000)
        self.export["total"].append(total * 1000)
        self.export["peak_mb"].append(peak)
        self.export["bytes"] = size
        print(
            f"export    first byte {ttfb * 1000:.0f} ms, whole file ({size / 1e6:.0f} MB) {total:.1f} s; "
            f"worker memory +{peak:.0f} MB at peak; {meanwhile}"
        )

    # Report -----------------------------------------------------------------------------------

    def report(self):
        from enquiries.models import Lead

        total = Lead.objects.count()
        print()
        warmup = max(self.args.warmup, self.workers)
        print(f"Lead desk at {total:,} leads, gunicorn on loopback, {self.args.repeat} requests per page after")
        print(f"{warmup} warm-up; {self.machine_line}.")
        print()
        print(f"| Page | p50 ms | p95 ms | Queries | Slowest query ms | Leads matched | p95 < {TARGET_MS} ms |")
        print("|---|--:|--:|--:|--:|--:|---|")
        for page in self.page_list:
            p95 = percentile(page.times, 0.95)
            verdict = "yes" if p95 < TARGET_MS else "**NO**"
            if p95 >= TARGET_MS:
                self.missed = getattr(self, "missed", []) + [page.label]
            matches = f"{page.matches:,}" if page.matches is not None else ""
            print(
                f"| {page.label} | {statistics.median(page.times):.0f} | {p95:.0f} | {page.queries} | "
                f"{page.slowest_ms:.0f} | {matches} | {verdict} |"
            )
        e = self.export
        if e["ttfb"]:
            n = len(e["ttfb"])
            queries = self.export_page.queries if self.export_page.queries is not None else ""
            slowest = f"{self.export_page.slowest_ms:.0f}" if self.export_page.slowest_ms is not None else ""
            print(
                f"| Export CSV, all leads: first byte ({n} runs) | {statistics.median(e['ttfb']):.0f} | "
                f"{percentile(e['ttfb'], 0.95):.0f} | {queries} | {slowest} | "
                f"{total:,} | first byte < 1000 ms: {'yes' if max(e['ttfb']) < 1000 else '**NO**'} |"
            )
            print(
                f"| Export CSV, all leads: whole file, {e['bytes'] / 1e6:.0f} MB | "
                f"{statistics.median(e['total']) / 1000:.0f} s | {percentile(e['total'], 0.95) / 1000:.0f} s | | | | "
                f"worker peak +{max(e['peak_mb']):.0f} MB |"
            )
        if e["public"]:
            print(
                f"| Public enquiry form during the export ({len(e['public'])} requests) | "
                f"{statistics.median(e['public']):.0f} | {percentile(e['public'], 0.95):.0f} | | | | |"
            )
        for error in e["errors"]:
            print(f"| Export CSV, all leads: FAILED, {error} | | | | | | |")
        print()
        missed = getattr(self, "missed", [])
        if missed:
            print(f"Over {TARGET_MS} ms p95: {'; '.join(missed)}")
        print(f"Load average at the end: {os.getloadavg()[0]:.2f} (other work on the machine skews the numbers)")

    # Teardown ---------------------------------------------------------------------------------

    def stop_server(self):
        if self.server is None:
            return
        if self.server.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGTERM)  # the arbiter and its workers
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=5)
        self.server = None

    def drop_database(self):
        from django.db import connections

        connections.close_all()
        self.pg_admin(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def cleanup(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not stop the clean-up
        steps = [("stop gunicorn", self.stop_server)]
        if self.db_created and not self.keep:
            steps.append(("drop the database", self.drop_database))
        for name, step in steps:
            try:
                step()
            except Exception as exc:  # carry on with the rest
                print(f"clean-up: could not {name}: {exc}", file=sys.stderr)
        if self.keep:
            print(f"database  {self.db_name} kept (--db {self.db_name} measures it again; drop it when done)")
        if self.failed:
            print(f"gunicorn log kept in {self.logdir}", file=sys.stderr)
        else:
            for log in self.logdir.glob("*"):
                log.unlink()
            self.logdir.rmdir()

    def run(self):
        self.machine()
        self.setup_django()
        self.populate()
        self.start_server()
        self.sign_in()
        self.measure_pages()
        self.measure_export()
        self.report()


def main():
    from bench_run import run_bench  # beside this script, which runs with its folder on sys.path

    args = parse_args()
    bench = Bench(args)
    return run_bench(bench, bench.cleanup)


if __name__ == "__main__":
    sys.exit(main())
