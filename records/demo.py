"""Demo history for the records pages: courses Orwell Valley NHS Foundation Trust ran in past
years, with attendance, certificates (some expiring soon, one expired) and feedback, so the
training record, the refresher reminders and the course ratings have something to show.

Sessions are booked through the real services for future dates and then moved into the past
(bookings for past dates are refused, rightly). Safe to run again: it adds nothing once the
demo trust has a completed course.
"""

import math
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from booking import services as booking_services
from booking.demo import ACTOR, LONDON, VENUES, load_venues
from booking.models import Booking, CourseSession, OrganisationType, SessionDay
from courses.models import Course
from trainers.demo import free_trainer

from .services import attendance_mark, feedback_submit, session_delegates
from .services.certificates import add_months

TRUST = ("Orwell Valley NHS Foundation Trust", "RZV", "example.org")
BOOKER = ("Helen Ward", "helen.ward.training@example.org")
# (course slug, months ago the course ran (+ days), delegates, who missed part of it)
HISTORY = [
    ("conflict-resolution", 35, 12, ["Noah Lewis"]),  # certificates expire within 60 days
    ("breakaway-and-personal-safety", 10, 20, []),  # expiring within 90 days
    ("physical-intervention", 37, 0, []),  # expired
    ("de-escalation-skills", 2, 0, ["Isla Morgan"]),
]
# Feedback from each attendee on these courses: (content, trainer, relevance), and one quote
# left for the office to moderate (Feedback > Quotes awaiting moderation).
FEEDBACK = {
    "de-escalation-skills": [(5, 5, 5), (4, 5, 4), (5, 5, 4), (4, 4, 5), (5, 4, 5), (3, 4, 4), (5, 5, 5)],
    "breakaway-and-personal-safety": [(4, 4, 5), (5, 5, 5), (4, 5, 4), (5, 4, 4), (4, 4, 4), (5, 5, 4), (4, 5, 5)],
}
QUOTE = (
    "The scenarios were our own corridors and our own patients. I now step back, lower my voice and "
    "give choices, and it works."
)
PEOPLE = [
    ("Amara Adebayo", "Staff nurse"),
    ("Ben Clarke", "Healthcare assistant"),
    ("Chloe Davies", "Ward manager"),
    ("Isla Morgan", "Security officer"),
    ("Noah Lewis", "Porter"),
    ("Priya Singh", "Staff nurse"),
    ("Tom Walsh", "Receptionist"),
]


def _past_first_day(today, months_ago, days_extra):
    day = add_months(today, -months_ago) + timedelta(days=days_extra)
    while day.weekday() >= 5:  # a weekday
        day += timedelta(days=1)
    return day


@transaction.atomic
def load_records(*, today=None):
    """Returns the number of completed demo sessions added (0 when they exist)."""
    today = today or timezone.localdate()
    if Booking.objects.filter(contact_email=BOOKER[1], session__completed_at__isnull=False).exists():
        return 0
    venues, _created = load_venues()
    venue = venues[next(iter(VENUES))]
    added = 0
    for slug, months_ago, days_extra, part_timers in HISTORY:
        course = Course.objects.filter(slug=slug).first()
        if course is None:
            continue
        session = _session_in_the_past(course, venue, _past_first_day(today, months_ago, days_extra))
        days = list(session.days.all())
        after = days[-1].ends_at + timedelta(hours=1)
        for day in days:
            marks = {
                delegate.pk: "left_early" if delegate.name in part_timers and day == days[-1] else "attended"
                for delegate in session_delegates(session)
            }
            attendance_mark(session=session, day=day, marks=marks, actor="Demo trainer", now=after)
        for delegate, (content, trainer, relevance) in zip(
            session_delegates(session), FEEDBACK.get(slug, []), strict=False
        ):
            quoted = delegate.name == "Chloe Davies" and slug == "de-escalation-skills"
            feedback_submit(
                delegate=delegate,
                content_rating=content,
                trainer_rating=trainer,
                relevance_rating=relevance,
                will_do_differently="Give people time and choices before anything else.",
                comment=QUOTE if quoted else "",
                may_quote=quoted,
                attribution="role",
                now=after + timedelta(days=1),
            )
        added += 1
    return added


def _session_in_the_past(course, venue, first):
    """Book a session ten days ahead through the services, then move it to `first`."""
    ahead = timezone.localdate() + timedelta(days=10)
    while ahead.weekday() >= 5:
        ahead += timedelta(days=1)
    count = max(1, math.ceil(course.duration_days))
    spans = [
        (
            datetime.combine(ahead + timedelta(days=n), time(9, 30), LONDON),
            datetime.combine(ahead + timedelta(days=n), time(16, 30), LONDON),
        )
        for n in range(count)
    ]
    session = booking_services.session_create(
        course=course, venue=venue, days=spans, capacity=12, trainer=free_trainer(course=course, days=spans)
    )
    name, ods_code, domain = TRUST
    booking_services.booking_create(
        session=session,
        organisation=name,
        organisation_type=OrganisationType.NHS,
        ods_code=ods_code,
        contact_name=BOOKER[0],
        contact_email=BOOKER[1],
        contact_phone="01473 496 012",
        job_title="Clinical skills and training lead",
        invoice_address=f"Accounts payable, {name}, PO Box 412",
        purchase_order=f"PO{course.pk:03d}{first:%y%m}",
        delegates=[
            booking_services.DelegateData(
                name=person, email=person.lower().replace(" ", ".") + f"@{domain}", job_role=role
            )
            for person, role in PEOPLE
        ],
        accept_terms=True,
        actor=ACTOR,
    )
    shift = datetime.combine(first, time(9, 30), LONDON) - spans[0][0]
    SessionDay.objects.filter(session=session).update(starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift)
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=F("starts_at") + shift, ends_at=F("ends_at") + shift, booking_closes_at=F("booking_closes_at") + shift
    )
    session.refresh_from_db()
    return session
