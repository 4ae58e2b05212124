"""The data behind `make bench` (bench_http.py): a catalogue, a year of sessions, bookings with
their delegates and a sales desk's leads, written fast (bulk_create and COPY) into an empty,
migrated database.

- 5 sectors and 50 published courses (25 topics, each with its refresher), 1 to 3 sectors each,
  testimonials, related courses;
- 500 sessions at 12 venues and online: a fifth in the past, the rest over the next nine
  months, a few cancelled; multi-day courses have a SessionDay per day;
- 20,000 bookings with their delegates (one to six, mostly one or two) and a history event each.
  No session holds more seats than it has: past ones are nearly full, future ones fill less the
  further off they are; a booking that no longer fits is waitlisted (future) or was cancelled.
  A few recent ones still wait for the booker's email confirmation;
- 50,000 leads from bench_leads.py's generator (COPY), owned by 10 Sales users.
Then VACUUM ANALYZE, as autovacuum would have done by then.
"""

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.text import slugify

from tests.load.bench_leads import (
    FIRST_NAMES,
    JOB_TITLES,
    SECTORS,
    SURNAMES,
    TOWNS,
    LeadMaker,
)

BENCH_USER = "bench-sales-01"  # the Sales user the admin scenario signs in as
SALES_USERS = 10
TOPICS = [
    "De-escalation and Conflict Resolution", "Personal Safety and Lone Working", "Breakaway Techniques",
    "Physical Intervention (RRN certified)", "Managing Aggression in Schools", "Trauma-Informed De-escalation",
    "Conflict Management for Front-of-House Staff", "Dealing with Verbal Abuse", "Managing Challenging Behaviour",
    "Violence Reduction in Emergency Departments", "Safe Holding for Care Staff", "Lone Worker Risk Assessment",
    "Conflict Awareness for Managers", "Positive Behaviour Support", "Customer Conflict on Public Transport",
    "Security Officer Conflict Management", "Restraint Reduction for Mental Health Wards",
    "Managing Conflict in Housing Services", "Calm Communication for Call Handlers", "Post-Incident Support",
    "Search and Confiscation in Schools", "Dementia and Distressed Behaviour", "Retail Theft and Confrontation",
    "Train the Trainer: De-escalation", "Lone Working in the Community",
]  # fmt: skip
VENUES = [
    ("Orwell Training Suite", "Ipswich", "IP3 9SJ"), ("Holiday Inn Conference Centre", "Norwich", "NR6 6JA"),
    ("Cambridge Business Lodge", "Cambridge", "CB4 0WS"), ("Chelmsford Civic Rooms", "Chelmsford", "CM1 1JE"),
    ("Leeds Training Centre", "Leeds", "LS1 4AP"), ("Manchester Central Rooms", "Manchester", "M2 3GX"),
    ("Birmingham Learning Hub", "Birmingham", "B1 2JP"), ("Bristol Harbourside Suite", "Bristol", "BS1 5TY"),
    ("London Bridge Training Rooms", "Southwark", "SE1 9SG"), ("Nottingham Conference Centre", "Nottingham", "NG1 4BU"),
    ("Cardiff Bay Rooms", "Cardiff", "CF10 4PA"), ("Newcastle Quayside Suite", "Newcastle", "NE1 3DX"),
]  # fmt: skip
# Seats per session, (seats, weight): 40 bookings a session on average (20,000 for 500) need rooms
# of 60 on average; awareness courses run in conference rooms of 100 or more.
CAPACITIES = [(20, 2), (24, 3), (30, 3), (40, 3), (60, 3), (80, 2), (100, 2), (150, 2)]
DELEGATES_PER_BOOKING = [(1, 70), (2, 20), (3, 6), (4, 2), (5, 1), (6, 1)]
CANCELLED_SHARE = 0.15  # cancelled, or lapsed without the booker confirming their email
ROLES = ["Nurse", "Healthcare Assistant", "Teacher", "Teaching Assistant", "Support Worker", "Receptionist",
         "Security Officer", "Housing Officer", "Bus Driver", "Customer Service Adviser", "Care Worker"]  # fmt: skip


def pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def copy_rows(model, columns, rows):
    """COPY rows (sequences in `columns` order) into the model's table; every other column gets
    its field's default, and a required column without one stops the run with its name."""
    fields = [f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key]
    defaults = {}
    for field in fields:
        value = field.get_default()
        if value is None and not field.null:
            raise SystemExit(f"bench_http_data.py does not know what to put in {model.__name__}.{field.name}")
        defaults[field.column] = field.get_db_prep_save(value, connection)
    every = list(columns) + list(defaults)
    quoted = ", ".join(f'"{c}"' for c in every)
    extra = list(defaults.values())
    with connection.cursor() as cursor, cursor.copy(f'COPY "{model._meta.db_table}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(list(row) + extra)


def reset_sequence(model):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT MAX(id) FROM \"{table}\"))")


class Catalogue:
    """Sectors, courses, testimonials, venues and sessions through the ORM (bulk_create)."""

    def __init__(self, rng, now):
        self.rng, self.now = rng, now

    def build(self):
        from courses.models import Course, Sector, Testimonial

        rng = self.rng
        self.sectors = {
            slug: Sector.objects.create(
                name=name, slug=slug, summary=f"Conflict training for {name.lower()}.", display_order=i
            )
            for i, (slug, name) in enumerate(SECTORS)
        }
        courses = []
        for i, topic in enumerate(TOPICS):
            for refresher in (False, True):
                title = f"{topic}: Refresher" if refresher else topic
                days = Decimal("0.5") if refresher else rng.choice([Decimal("1"), Decimal("1"), Decimal("2")])
                courses.append(
                    Course(
                        title=title,
                        slug=slugify(title)[:150],
                        summary=f"{title}: practical skills to keep staff and the public safe.",
                        description="\n\n".join(
                            f"{title} covers warning signs, calming words and safe exits. Paragraph {n}."
                            for n in range(1, 5)
                        ),
                        learning_outcomes="\n".join(
                            [
                                "Recognise warning signs",
                                "Use calming words",
                                "Keep a safe distance",
                                "Report an incident",
                                "Look after yourself afterwards",
                            ]  # fmt: skip
                        ),
                        audience="Front-line staff and their managers",
                        duration_days=days,
                        delivery_virtual=i % 3 == 0,
                        cpd_hours=days * 6,
                        rrn_certified="RRN" in topic or "Restraint" in topic,
                        certificate_validity_months=12 if refresher else 36,
                        price=Decimal(95 if refresher else rng.choice([145, 185, 245, 395])),
                        is_published=True,
                        is_featured=i < 8 and not refresher,
                        display_order=i * 2 + refresher,
                    )
                )
        self.courses = Course.objects.bulk_create(courses)
        for base, refresher in zip(self.courses[::2], self.courses[1::2], strict=True):
            base.refresher_course = refresher
        Course.objects.bulk_update(self.courses[::2], ["refresher_course"])
        sector_list = list(self.sectors.values())
        through = Course.sectors.through
        through.objects.bulk_create(
            through(course_id=course.pk, sector_id=sector.pk)
            for course in self.courses
            for sector in rng.sample(sector_list, rng.randint(1, 3))
        )
        related = Course.related_courses.through
        pairs = {(a.pk, b.pk) for a in self.courses for b in rng.sample(self.courses, 3) if a.pk != b.pk}
        pairs |= {(b, a) for a, b in pairs}  # symmetrical
        related.objects.bulk_create(related(from_course_id=a, to_course_id=b) for a, b in pairs)
        Testimonial.objects.bulk_create(
            Testimonial(
                quote=f"The most useful training our team has had this year ({n}).",
                attribution_role=rng.choice(JOB_TITLES),
                attribution_organisation=f"{rng.choice(TOWNS)} NHS Trust",
                course=rng.choice(self.courses),
                sector=rng.choice(sector_list),
                display_order=n,
            )
            for n in range(30)
        )
        self.build_sessions()

    def build_sessions(self, count=500):
        from booking.models import CourseSession, SessionDay, SessionStatus, Venue

        rng, now = self.rng, self.now
        venues = Venue.objects.bulk_create(
            [
                Venue(name=name, town=town, postcode=postcode, address=f"1 High Street, {town}")
                for name, town, postcode in VENUES
            ]
            + [Venue(name="Virtual classroom", is_online=True, joining_link="https://meet.example.org/bench")]
        )
        sessions, spans = [], []
        for n in range(count):
            course = self.courses[n % len(self.courses)]
            past = (n // len(self.courses)) % 5 == 0  # a fifth in the past, two of each course's ten
            offset = -rng.uniform(1, 365) if past else rng.uniform(2, 270)
            first = timezone.localtime(now + timedelta(days=offset)).replace(hour=9, minute=30, second=0, microsecond=0)
            days = max(1, int(course.duration_days))
            day_spans = [(first + timedelta(days=d), first + timedelta(days=d, hours=7)) for d in range(days)]
            sessions.append(
                CourseSession(
                    course=course,
                    venue=venues[-1] if course.delivery_virtual and n % 2 else rng.choice(venues[:-1]),
                    starts_at=day_spans[0][0],
                    ends_at=day_spans[-1][1],
                    capacity=pick(rng, CAPACITIES),
                    price=course.price,
                    booking_closes_at=day_spans[0][0] - timedelta(hours=24),
                    status=SessionStatus.CANCELLED if n % 97 == 0 else SessionStatus.SCHEDULED,
                    cancelled_reason="Trainer unwell" if n % 97 == 0 else "",
                )
            )
            spans.append(day_spans)
        self.sessions = CourseSession.objects.bulk_create(sessions)
        SessionDay.objects.bulk_create(
            SessionDay(session=session, starts_at=start, ends_at=end)
            for session, day_spans in zip(self.sessions, spans, strict=True)
            for start, end in day_spans
        )


class Bookings:
    """Bookings, delegates and their history, with ids given here so COPY can link them."""

    def __init__(self, rng, now, organisations):
        self.rng, self.now = rng, now
        self.organisations = organisations  # (name, kind, sector id, email domain) from LeadMaker
        self.references = set()

    def reference(self):
        from booking.models import REFERENCE_ALPHABET, REFERENCE_LENGTH

        while (ref := "".join(self.rng.choices(REFERENCE_ALPHABET, k=REFERENCE_LENGTH))) in self.references:
            pass
        self.references.add(ref)
        return ref

    def allocate(self, sessions, total):
        """Bookings per session: in proportion to the seats it will have taken."""
        weights = []
        for session in sessions:
            days_away = (session.starts_at - self.now).total_seconds() / 86400
            fill = self.rng.uniform(0.8, 1.0) if days_away < 0 else max(0.1, 0.8 - days_away / 300)
            weights.append(session.capacity * fill)
        scale = total / sum(weights)
        counts = [int(w * scale) for w in weights]
        for i in self.rng.sample(range(len(sessions)), total - sum(counts)):
            counts[i] += 1
        return counts

    def write(self, sessions, total):
        from booking.models import Booking, BookingEvent, BookingStatus, Delegate

        rng, now = self.rng, self.now
        booking_rows, delegate_rows, event_rows = [], [], []
        booking_id = 0
        for session, count in zip(sessions, self.allocate(sessions, total), strict=True):
            free = session.capacity
            past = session.starts_at < now
            for _ in range(count):
                booking_id += 1
                size = pick(rng, DELEGATES_PER_BOOKING)
                created = session.starts_at - timedelta(days=rng.uniform(2, 90))
                if not past:
                    created = min(created, now - timedelta(minutes=rng.uniform(1, 60 * 24 * 30)))
                status = BookingStatus.CONFIRMED
                if session.status == "cancelled" or rng.random() < CANCELLED_SHARE:
                    status = BookingStatus.CANCELLED
                elif free <= 0:
                    status = BookingStatus.CANCELLED if past else BookingStatus.WAITLISTED
                else:
                    size = min(size, free)
                    if not past and rng.random() < 0.2:
                        status = BookingStatus.AWAITING_PO
                    elif not past and rng.random() < 0.02:
                        status = BookingStatus.UNCONFIRMED
                        created = now - timedelta(minutes=rng.uniform(1, 20))
                    free -= size
                row, org_domain = self.booking_row(booking_id, session, status, size, created)
                booking_rows.append(row)
                seen = set()
                for _ in range(size):
                    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
                    email = f"{first}.{last}@{org_domain}".lower()
                    while email in seen:
                        email = email.replace("@", f"{len(seen)}@", 1)
                    seen.add(email)
                    delegate_rows.append((booking_id, f"{first} {last}", email, rng.choice(ROLES), "", created))
                event_rows.append((booking_id, "created", f"Booked {size} place(s).", "booker (site)", "{}", created))
        columns = [
            "id", "reference", "session_id", "status", "organisation", "organisation_type", "ods_code",
            "contact_name", "contact_email", "contact_phone", "job_title", "invoice_address", "purchase_order",
            "po_to_follow", "po_deadline", "email_confirmed_at", "confirm_by", "notes", "terms_accepted_at",
            "terms_version", "price_per_delegate", "agreed_lines", "cancelled_reason", "created_at", "updated_at",
        ]  # fmt: skip
        copy_rows(Booking, columns, booking_rows)
        reset_sequence(Booking)
        copy_rows(Delegate, ["booking_id", "name", "email", "job_role", "adjustments", "created_at"], delegate_rows)
        copy_rows(BookingEvent, ["booking_id", "kind", "description", "actor", "data", "created_at"], event_rows)
        return len(booking_rows), len(delegate_rows)

    def booking_row(self, booking_id, session, status, size, created):
        rng = self.rng
        name, kind, _sector, domain = rng.choice(self.organisations)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        awaiting_po = status == "awaiting_po"
        unconfirmed = status == "unconfirmed"
        return (
            booking_id, self.reference(), session.pk, status, name, kind, "",
            f"{first} {last}", f"{first}.{last}@{domain}".lower(), f"+441473{rng.randrange(10**6):06d}",
            rng.choice(JOB_TITLES), f"Finance, {name}, 1 High Street", "" if awaiting_po else f"PO-{booking_id:06d}",
            awaiting_po, created + timedelta(days=7) if awaiting_po else None,
            None if unconfirmed else created + timedelta(minutes=rng.uniform(1, 25)), created + timedelta(minutes=30),
            "", created, "2026-01", session.price, "[]",
            "Not confirmed in time" if status == "cancelled" else "", created, created + timedelta(hours=1),
        ), domain  # fmt: skip


def sales_users():
    from django.contrib.auth.models import Group, User

    from enquiries.models import SalesPerson

    sales = Group.objects.get(name="Sales")
    owners = []
    for i in range(1, SALES_USERS + 1):
        first, last = FIRST_NAMES[i * 7], SURNAMES[i * 5]
        user = User.objects.create_user(
            f"bench-sales-{i:02d}", f"{first.lower()}@bench.example", first_name=first, last_name=last, is_staff=True
        )
        user.groups.add(sales)
        SalesPerson.objects.create(user=user)
        owners.append(user.pk)
    return owners


def write_leads(maker, count, course_ids):
    from enquiries.models import Lead

    sample = maker.row()
    columns = [f.column for f in Lead._meta.concrete_fields if not f.primary_key and f.column in sample]
    copy_rows(Lead, columns, ([row[c] for c in columns] for row in (maker.row() for _ in range(count))))
    table = Lead._meta.db_table
    with connection.cursor() as cursor:
        # Courses of interest: one for most enquiries, a second for a third of them (as bench_leads.py).
        cursor.execute(
            f'INSERT INTO "{Lead.courses.through._meta.db_table}" (lead_id, course_id) '
            f"SELECT id, (%(c)s::bigint[])[1 + id %% %(n)s] FROM {table} WHERE lead_type = 'enquiry' AND id %% 5 <> 0 "
            f"UNION ALL SELECT id, (%(c)s::bigint[])[1 + (id + 1) %% %(n)s] FROM {table} "
            f"WHERE lead_type = 'enquiry' AND id %% 3 = 0",
            {"c": course_ids, "n": len(course_ids)},
        )


def populate(*, seed, bookings, leads, log=print):
    """Everything above into the current (empty, migrated) database. Returns the Catalogue."""
    rng = random.Random(seed)
    now = timezone.now()
    started = time.perf_counter()
    catalogue = Catalogue(rng, now)
    catalogue.build()
    owners = sales_users()
    sectors = {slug: sector.pk for slug, sector in catalogue.sectors.items()}
    maker = LeadMaker(rng, now, owners, sectors)
    made, delegates = Bookings(rng, now, maker.organisations).write(catalogue.sessions, bookings)
    log(
        f"data      {len(catalogue.courses)} courses, {len(catalogue.sessions)} sessions, {made:,} bookings with "
        f"{delegates:,} delegates ({time.perf_counter() - started:.0f}s)"
    )
    write_leads(maker, leads, [course.pk for course in catalogue.courses])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    log(f"          {leads:,} leads, {len(owners)} Sales users; VACUUM ANALYZE ({time.perf_counter() - started:.0f}s)")
    return catalogue


def describe():
    """One line about the data as it stands (for the report)."""
    from booking.models import Booking, CourseSession, Delegate
    from courses.models import Course
    from enquiries.models import Lead

    future = CourseSession.objects.filter(starts_at__gt=timezone.now()).count()
    return (
        f"{Course.objects.count()} courses, {CourseSession.objects.count()} sessions ({future} upcoming), "
        f"{Booking.objects.count():,} bookings, {Delegate.objects.count():,} delegates, {Lead.objects.count():,} leads"
    )
