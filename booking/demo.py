"""Demo trainers, venues, upcoming sessions (each with a trainer free on its days) and bookings,
loaded by `manage.py load_demo` after the catalogue.

Sessions follow a fixed rota pinned to calendar weeks ("De-escalation Skills in Ipswich on
Wednesdays of every other week"), not to the day of loading, so whenever it runs the rota gives
the same dates. A session is known by its course, venue and first day: a second run adds
nothing, and a run weeks later only tops up the new weeks at the end of the three months.
Sessions, bookings and the waiting list are made through the real services. People and
organisations are invented; emails use example.org, example.com and example.net.
"""

import math
import random
import zlib
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from core import business_hours
from courses.models import Course
from trainers.demo import free_trainer, load_trainers

from . import services
from .models import BookingStatus, CourseSession, OrganisationType, Venue

LONDON = ZoneInfo("Europe/London")
WINDOW_DAYS = 91  # about three months ahead
FIRST_DAY = 2  # booking closes 24 hours before the start, so tomorrow is too soon
ACTOR = "demo"

VENUES = {
    "ipswich": {
        "name": "Calm Response Training Centre",
        "address": "Unit 4, Orwell Quay Business Park\nRansome Road",
        "town": "Ipswich",
        "postcode": "IP3 9QX",
        "access_notes": "Step-free entrance and lift to the first-floor training rooms. Hearing loop in "
        "Room 1. Accessible toilet on each floor. Report to reception on arrival.",
        "parking_notes": "Free parking on site; two blue badge bays beside the entrance.",
    },
    "london": {
        "name": "Holborn Conference Rooms",
        "address": "Second floor, 12 Kingsway Chambers\nKingsway",
        "town": "London",
        "postcode": "WC2B 6XX",
        "access_notes": "Lift to the second floor; step-free from the street. Sign in at the ground floor desk.",
        "parking_notes": "No parking. Holborn Underground station is a three-minute walk.",
    },
    "manchester": {
        "name": "Piccadilly Training Suite",
        "address": "3rd floor, Portland House\n40 Example Street",
        "town": "Manchester",
        "postcode": "M1 4XX",
        "access_notes": "Step-free access and lifts. Quiet room available on request.",
        "parking_notes": "Pay-and-display car park opposite. Ten minutes' walk from Piccadilly station.",
    },
    "online": {
        "name": "Virtual classroom",
        "is_online": True,
        "joining_link": "https://meet.example.com/calm-response/virtual-classroom",
        "access_notes": "Live captions on request. You need a webcam, a microphone and a quiet space.",
    },
}

JOINING = {
    "online": "Join from the link below ten minutes early to check your sound and camera. "
    "Please keep your camera on for the practical exercises.",
    "in_person": "Please arrive by 09:15. Wear comfortable clothing and flat shoes; lunch and drinks "
    "are provided. Tell us in advance about any access needs.",
}

# (course slug, venue, weekday 0=Monday, every n weeks, in weeks where week % n == phase, capacity)
# Three-day courses start no later than Wednesday, so their days are consecutive weekdays.
ROTA = [
    ("conflict-resolution", "online", 1, 2, 0, 20),
    ("conflict-resolution", "ipswich", 3, 4, 1, 14),
    ("de-escalation-skills", "ipswich", 2, 2, 1, 12),
    ("de-escalation-skills", "london", 1, 3, 0, 16),
    ("de-escalation-skills", "manchester", 3, 4, 2, 14),
    ("de-escalation-skills", "online", 4, 4, 3, 16),
    ("managing-challenging-behaviour", "ipswich", 4, 4, 1, 12),
    ("managing-challenging-behaviour", "manchester", 1, 6, 0, 14),
    ("breakaway-and-personal-safety", "ipswich", 0, 4, 2, 12),
    ("breakaway-and-personal-safety", "london", 3, 6, 1, 12),
    ("physical-intervention", "ipswich", 0, 4, 0, 10),
    ("physical-intervention", "manchester", 1, 8, 3, 10),
    ("physical-intervention-refresher", "ipswich", 3, 4, 2, 10),
    ("lone-worker-safety", "online", 2, 4, 0, 16),
    ("lone-worker-safety", "manchester", 4, 6, 1, 14),
    ("conflict-management-transport", "london", 2, 6, 3, 14),
    ("conflict-management-transport", "manchester", 2, 8, 4, 14),
    ("conflict-management-retail", "london", 4, 6, 0, 14),
    ("threat-identification-dynamic-risk-assessment", "online", 3, 4, 1, 20),
    ("threat-identification-dynamic-risk-assessment", "london", 0, 8, 5, 16),
    ("train-the-trainer-conflict-management", "ipswich", 2, 8, 5, 8),
]

# The session made full with a waiting list when none is: the first of these in the new dates.
FULL_WITH_WAITING_LIST = ("de-escalation-skills", "ipswich")

# Share of the seats booked, chosen per session from a stable hash; None is "nearly full".
FILL = [0.25, 0.5, None, 0.75, 0.1, 0.4, None, 0.6]

ORGANISATIONS = [
    ("Orwell Valley NHS Foundation Trust", OrganisationType.NHS, "RZV", "example.org"),
    ("Deben Community Health NHS Trust", OrganisationType.NHS, "RZD", "example.org"),
    ("Pennine Moors Mental Health NHS Trust", OrganisationType.NHS, "RZP01", "example.net"),
    ("Harbourside Care Homes", OrganisationType.CARE, "", "example.com"),
    ("Brightwater Supported Living", OrganisationType.CARE, "", "example.net"),
    ("Northgate Academy Trust", OrganisationType.EDUCATION, "", "example.org"),
    ("Stour Valley College", OrganisationType.EDUCATION, "", "example.org"),
    ("Gipping District Council", OrganisationType.LOCAL_AUTHORITY, "", "example.org"),
    ("Riverside Borough Council", OrganisationType.LOCAL_AUTHORITY, "", "example.net"),
    ("Stourside Housing Association", OrganisationType.HOUSING, "", "example.com"),
    ("Keystone Homes Group", OrganisationType.HOUSING, "", "example.com"),
    ("Harbour Retail Group", OrganisationType.RETAIL, "", "example.com"),
    ("Parkway Leisure Centres", OrganisationType.RETAIL, "", "example.net"),
    ("Eastline Buses", OrganisationType.TRANSPORT, "", "example.com"),
    ("Crossrail Stations Services", OrganisationType.TRANSPORT, "", "example.net"),
    ("Sentinel Facilities Management", OrganisationType.FACILITIES, "", "example.com"),
]

SECTOR_TYPES = {
    "nhs": [OrganisationType.NHS],
    "health-social-care": [OrganisationType.CARE],
    "education": [OrganisationType.EDUCATION],
    "local-authority-housing": [OrganisationType.LOCAL_AUTHORITY, OrganisationType.HOUSING],
    "retail-leisure": [OrganisationType.RETAIL],
    "transport": [OrganisationType.TRANSPORT],
    "facilities": [OrganisationType.FACILITIES],
}

JOB_ROLES = {
    OrganisationType.NHS: ["Staff nurse", "Healthcare assistant", "Ward manager", "Porter", "Receptionist"],
    OrganisationType.CARE: ["Care assistant", "Senior carer", "Support worker", "Registered manager"],
    OrganisationType.EDUCATION: ["Teaching assistant", "Teacher", "Student services adviser", "Pastoral lead"],
    OrganisationType.LOCAL_AUTHORITY: ["Customer services adviser", "Enforcement officer", "Social worker"],
    OrganisationType.HOUSING: ["Housing officer", "Tenancy support worker", "Neighbourhood officer"],
    OrganisationType.RETAIL: ["Store manager", "Sales assistant", "Security officer", "Duty manager"],
    OrganisationType.TRANSPORT: ["Bus driver", "Station assistant", "Revenue protection inspector"],
    OrganisationType.FACILITIES: ["Security officer", "Receptionist", "Facilities supervisor"],
}

ADJUSTMENTS = [
    "Uses a wheelchair: needs step-free access.",
    "Hard of hearing: please use the hearing loop.",
    "Dyslexic: handouts in advance, please.",
    "",
    "",
    "",
    "",
]

FIRST_NAMES = [
    "Amara", "Ben", "Chloe", "Daniel", "Ella", "Farid", "Grace", "Harry", "Isla", "Jamal",
    "Katie", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosie", "Sam", "Tom",
]  # fmt: skip
LAST_NAMES = [
    "Adebayo", "Brown", "Clarke", "Davies", "Evans", "Fraser", "Green", "Hussain", "Iqbal", "Jones",
    "Khan", "Lewis", "Morgan", "Nowak", "O'Brien", "Patel", "Roberts", "Singh", "Taylor", "Walsh",
]  # fmt: skip
# Ofcom's numbers reserved for drama: they ring nobody.
PHONES = ["020 7946 0{:03d}", "0161 496 0{:03d}", "0113 496 0{:03d}", "0117 496 0{:03d}"]
BOOKING_SIZES = [3, 2, 4, 1, 2, 5, 1, 3, 2]


def _stable(*parts):
    return zlib.crc32("|".join(str(part) for part in parts).encode())


def _week(day):
    """A week number that does not depend on the day of loading (weeks start on Monday)."""
    return (day.toordinal() - 1) // 7


def _day_spans(course, first):
    """(start, end) per day: 09:30-16:30, or 09:30-13:00 for a half-day course."""
    if course.duration_days < 1:
        return [(datetime.combine(first, time(9, 30), LONDON), datetime.combine(first, time(13, 0), LONDON))]
    spans = []
    for n in range(math.ceil(course.duration_days)):
        day = first + timedelta(days=n)
        spans.append((datetime.combine(day, time(9, 30), LONDON), datetime.combine(day, time(16, 30), LONDON)))
    return spans


def _training_day(day):
    """A working day (no weekend or bank holiday) outside 24-31 December, when no one trains."""
    return business_hours.is_working_day(day) and not (day.month == 12 and day.day >= 24)


def planned_sessions(today):
    """Every rota date from two days ahead to about three months ahead."""
    start, end = today + timedelta(days=FIRST_DAY), today + timedelta(days=WINDOW_DAYS)
    plan = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        for slug, venue, weekday, every, phase, capacity in ROTA:
            first = monday + timedelta(days=weekday)
            if _week(first) % every != phase or not start <= first <= end:
                continue
            plan.append({"slug": slug, "venue": venue, "first": first, "capacity": capacity})
        monday += timedelta(days=7)
    plan.sort(key=lambda item: (item["first"], item["slug"], item["venue"]))
    return plan


def load_venues():
    venues, created = {}, 0
    for key, data in VENUES.items():
        venue, was_created = Venue.objects.update_or_create(name=data["name"], defaults=data)
        venues[key] = venue
        created += was_created
    return venues, created


@transaction.atomic
def load_sessions(*, today=None):
    """Create the missing demo trainers, venues, sessions and bookings; returns counts of the venues,
    sessions and bookings created.

    Each new session gets a trainer free on its days (trainers/services.py), or none if no
    trainer for the course is free."""
    today = today or timezone.localdate()
    load_trainers(today=today)
    venues, venues_created = load_venues()
    courses = {course.slug: course for course in Course.objects.prefetch_related("sectors")}
    existing = {
        (session.course_id, session.venue_id, timezone.localtime(session.starts_at).date())
        for session in CourseSession.objects.filter(venue__in=venues.values())
    }
    new = []
    for item in planned_sessions(today):
        course, venue = courses.get(item["slug"]), venues[item["venue"]]
        if course is None or (course.pk, venue.pk, item["first"]) in existing:
            continue
        days = _day_spans(course, item["first"])
        if not all(_training_day(start.date()) for start, _end in days):
            continue
        session = services.session_create(
            course=course,
            venue=venue,
            days=days,
            capacity=item["capacity"],
            trainer=free_trainer(course=course, days=days),
            joining_instructions=JOINING["online" if venue.is_online else "in_person"],
        )
        new.append((item, session))

    full = _pick_full_session(new, today) if not _has_waiting_list(venues.values(), today) else None
    bookings = 0
    for item, session in new:
        if session is full:
            bookings += _book(session, session.capacity)
            bookings += _book(session, 3, waitlist=True, offset=session.capacity)
            continue
        fill = FILL[_stable(item["slug"], item["venue"], item["first"]) % len(FILL)]
        # None is nearly full: one or two seats left.
        seats = session.capacity - 1 - _stable(item["first"]) % 2 if fill is None else int(session.capacity * fill)
        bookings += _book(session, seats)
    return {"venues": venues_created, "sessions": len(new), "bookings": bookings}


def _has_waiting_list(venues, today):
    return CourseSession.objects.filter(
        venue__in=venues, starts_at__date__gt=today, bookings__status=BookingStatus.WAITLISTED
    ).exists()


def _pick_full_session(new, today):
    """The first preferred session at least a week away; else the first new session at all."""
    later = [(item, session) for item, session in new if item["first"] >= today + timedelta(days=7)] or new
    for item, session in later:
        if (item["slug"], item["venue"]) == FULL_WITH_WAITING_LIST:
            return session
    return later[0][1] if later else None


def _book(session, seats, *, waitlist=False, offset=0):
    """Book `seats` places in a few bookings of invented sizes; returns the number of bookings."""
    # Seeded by the session, so the same dates always get the same invented people.
    rng = random.Random(_stable(session.course.slug, session.venue.name, session.starts_at.date()))  # noqa: S311
    types = {t for sector in session.course.sectors.all() for t in SECTOR_TYPES.get(sector.slug, [])}
    organisations = [org for org in ORGANISATIONS if org[1] in types] or ORGANISATIONS
    people = [(first, last) for last in LAST_NAMES for first in FIRST_NAMES]
    rng.shuffle(people)
    people = people[offset:]
    made = 0
    while seats > 0:
        size = min(BOOKING_SIZES[rng.randrange(len(BOOKING_SIZES))], seats)
        name, org_type, ods_code, domain = organisations[rng.randrange(len(organisations))]
        booker_first, booker_last = FIRST_NAMES[rng.randrange(20)], LAST_NAMES[rng.randrange(20)]
        po_to_follow = rng.random() < 0.35
        roles = JOB_ROLES[org_type]
        delegates = [
            services.DelegateData(
                name=f"{first} {last}",
                email=f"{first}.{last}".lower().replace("'", "") + f"@{domain}",
                job_role=roles[rng.randrange(len(roles))],
                adjustments=ADJUSTMENTS[rng.randrange(len(ADJUSTMENTS))],
            )
            for first, last in people[:size]
        ]
        people = people[size:]
        services.booking_create(
            session=session,
            organisation=name,
            organisation_type=org_type,
            ods_code=ods_code,
            contact_name=f"{booker_first} {booker_last}",
            contact_email=f"{booker_first}.{booker_last}.training".lower().replace("'", "") + f"@{domain}",
            contact_phone=PHONES[rng.randrange(len(PHONES))].format(rng.randrange(1000)),
            job_title="Training coordinator",
            invoice_address=f"Accounts payable, {name}, PO Box {rng.randrange(100, 999)}",
            purchase_order="" if po_to_follow else f"PO{rng.randrange(100000, 999999)}",
            po_to_follow=po_to_follow,
            delegates=delegates,
            join_waitlist=waitlist,
            accept_terms=True,
            actor=ACTOR,
        )
        seats -= size
        made += 1
    return made
