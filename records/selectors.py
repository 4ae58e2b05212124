"""Reads after the course: the sessions that renew a certificate, and an organisation's training
record (every delegate it has had trained, with their certificates), each in a few queries.

Which bookings are "the organisation's" is a privacy decision. Anyone can type a name or an NHS
ODS code (codes are public) into the booking form, so neither alone opens another booking's
people: a booking counts only when its booker's email is at the same domain (on a domain anyone
can have an address at, gmail.com, nhs.net ..., the same address) AND it is the same
organisation: the same ODS code, or the same name (ignoring case, spaces and punctuation) where
the codes do not differ.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from booking import links as booking_links
from booking.models import Booking, Delegate
from booking.selectors import session_list_upcoming

from .models import Attendance, AttendanceStatus

# Addresses at these domains belong to people of many organisations: the domain says nothing.
SHARED_EMAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "btinternet.com",
        "gmail.com",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.co.uk",
        "live.com",
        "me.com",
        "msn.com",
        "nhs.net",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "yahoo.co.uk",
        "yahoo.com",
    }
)


# Renewing a certificate ------------------------------------------------------------------------


def renewal_courses(course):
    """The courses that renew a certificate of `course`: its refresher course first (when it has
    one), then the course itself."""
    refresher = course.refresher_course
    return [refresher, course] if refresher and refresher.pk != course.pk else [course]


def bookable_sessions(courses, *, date_from, date_to=None):
    """Public sessions of these courses taking bookings with seats left, starting on or after
    `date_from` (and up to `date_to`), soonest first, by course id: one query."""
    sessions = session_list_upcoming(available=True).filter(
        course__in=[course.pk for course in courses], starts_at__date__gte=date_from
    )
    if date_to:
        sessions = sessions.filter(starts_at__date__lte=date_to)
    by_course = {}
    for session in sessions.prefetch_related("days"):
        by_course.setdefault(session.course_id, []).append(session)
    return by_course


def renewal_sessions(course, by_course, limit=3):
    """(the course to book, its sessions): the refresher course's sessions when it has any,
    else the same course's."""
    options = renewal_courses(course)
    for option in options:
        if by_course.get(option.pk):
            return option, by_course[option.pk][:limit]
    return options[0], []


def book_url(session, delegate, *, with_contact=True):
    """The session's booking form pre-filled with `delegate` and their organisation (an opaque
    signed link, booking.links.prefill_url); the plain form when there is no delegate."""
    if delegate is None:
        return settings.SITE_URL + reverse("booking:book", args=[session.pk])
    return booking_links.prefill_url(session, delegate, with_contact=with_contact)


def course_url(course):
    return settings.SITE_URL + course.get_absolute_url() + "#dates"


# The organisation's training record ------------------------------------------------------------


def normalise_organisation(name):
    """ "St. Mary's  Hospital" and "st marys hospital" are the same name."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    text = re.sub(r"[^\w\s]", "", text)
    return " ".join(text.replace("_", " ").split())


def email_domain(address):
    return (address or "").rpartition("@")[2].strip().lower()


def _same_name_and_domain(booking):
    """A database pre-filter for bookings whose booker is at the same domain (or, on a shared
    domain, is the same address); the names are compared after, in Python."""
    domain = email_domain(booking.contact_email)
    if not domain:
        return Q(pk=booking.pk)
    if domain in SHARED_EMAIL_DOMAINS:
        return Q(contact_email__iexact=booking.contact_email)
    return Q(contact_email__iendswith="@" + domain)


def organisation_bookings(booking):
    """The bookings of the booker's organisation (see the module's docstring), this one included."""
    name, ods = normalise_organisation(booking.organisation), booking.ods_code.strip().upper()

    def same_organisation(other):
        other_ods = other.ods_code.strip().upper()
        if ods and other_ods:
            return other_ods == ods  # another code is another organisation, whatever the name
        return normalise_organisation(other.organisation) == name

    candidates = Booking.objects.filter(_same_name_and_domain(booking)).only("pk", "organisation", "ods_code")
    matched = {other.pk for other in candidates if same_organisation(other)} | {booking.pk}
    return Booking.objects.filter(pk__in=matched)


# The statuses, most urgent first, as the page and the CSV show them.
EXPIRED, EXPIRING, IN_DATE, NO_EXPIRY, RENEWED, NOT_ISSUED = range(6)
STATUS_TEXT = {
    EXPIRED: "Expired",
    EXPIRING: f"Expiring within {settings.TRAINING_RECORD_EXPIRING_DAYS} days",
    IN_DATE: "In date",
    NO_EXPIRY: "Does not expire",
    RENEWED: "Renewed",
    NOT_ISSUED: "No certificate",
}
STATUS_SLUG = {
    EXPIRED: "expired",
    EXPIRING: "expiring",
    IN_DATE: "in-date",
    NO_EXPIRY: "no-expiry",
    RENEWED: "renewed",
    NOT_ISSUED: "not-issued",
}
NOT_ISSUED_TEXT = "Not issued: did not attend every day"


@dataclass
class RecordRow:
    name: str
    email: str
    job_role: str
    course: str
    completed_on: date
    certificate_number: str  # or NOT_ISSUED_TEXT
    expires_on: date | None
    status: int
    book_url: str = ""  # "Book refresher", for expiring and expired certificates

    @property
    def status_text(self):
        return STATUS_TEXT[self.status]

    @property
    def status_slug(self):
        return STATUS_SLUG[self.status]

    @property
    def has_certificate(self):
        return self.status != NOT_ISSUED


def _status(certificate, today):
    # Imported here: records.services imports the reminders, which read from this module.
    from .services.certificates import Status, certificate_status

    if certificate.expires_on is None:
        return NO_EXPIRY
    expiring_days = settings.TRAINING_RECORD_EXPIRING_DAYS
    return {Status.EXPIRED: EXPIRED, Status.EXPIRING: EXPIRING, Status.VALID: IN_DATE}[
        certificate_status(certificate, today=today, expiring_days=expiring_days)
    ]


def training_record(booking, today=None):
    """Every delegate the booker's organisation has had trained on a completed course who came
    for at least part of it: a RecordRow each, the most urgent first (expired, expiring, in
    date ...), then by expiry. A certificate renewed since (a later one for the same course or
    its refresher, same person) shows as "Renewed". A fixed number of queries."""
    today = today or timezone.localdate()
    came = Attendance.objects.filter(delegate=OuterRef("pk")).exclude(status=AttendanceStatus.ABSENT)
    delegates = list(
        Delegate.objects.filter(
            booking__in=organisation_bookings(booking), booking__session__completed_at__isnull=False
        )
        .filter(Exists(came))
        .select_related("booking__session__course__refresher_course", "certificate__course__refresher_course")
        .order_by("name", "pk")
    )
    certificates = [d.certificate for d in delegates if _has_certificate(d)]
    renewed_ids = renewed(certificates)
    rows, wanted = [], []
    for delegate in delegates:
        session = delegate.booking.session
        if not _has_certificate(delegate):
            rows.append(
                RecordRow(
                    name=delegate.name,
                    email=delegate.email,
                    job_role=delegate.job_role,
                    course=session.course.title,
                    completed_on=timezone.localtime(session.ends_at).date(),
                    certificate_number=NOT_ISSUED_TEXT,
                    expires_on=None,
                    status=NOT_ISSUED,
                )
            )
            continue
        certificate = delegate.certificate
        status = RENEWED if certificate.pk in renewed_ids else _status(certificate, today)
        row = RecordRow(
            name=certificate.holder_name,
            email=certificate.holder_email,
            job_role=delegate.job_role,
            course=certificate.course_title,
            completed_on=certificate.completed_on,
            certificate_number=certificate.number,
            expires_on=certificate.expires_on,
            status=status,
        )
        rows.append(row)
        if status in (EXPIRED, EXPIRING):
            wanted.append((row, certificate))
    _add_book_links(wanted, today)
    rows.sort(key=lambda r: (r.status, r.expires_on or date.max, r.name.casefold(), r.completed_on))
    return rows


def _has_certificate(delegate):
    return getattr(delegate, "certificate", None) is not None


def renewed(certificates, held=None):
    """The ids of `certificates` whose holder has a later certificate for the same course or its
    refresher. `held` is every (holder email, course id, completed on) to compare with; by default
    the certificates themselves. The training record and the refresher reminders both ask this."""
    if held is None:
        held = [(c.holder_email, c.course_id, c.completed_on) for c in certificates]
    latest = {}
    for email, course_id, completed_on in held:
        key = (email.casefold(), course_id)
        latest[key] = max(latest.get(key, date.min), completed_on)
    ids = set()
    for certificate in certificates:
        email = certificate.holder_email.casefold()
        for course in renewal_courses(certificate.course):
            if latest.get((email, course.pk), date.min) > certificate.completed_on:
                ids.add(certificate.pk)
    return ids


def _add_book_links(wanted, today):
    """The next bookable date of the refresher (or the same course), pre-filled with the person
    and their booking's organisation and booker; the course's page when there is none. One query
    for them all."""
    if not wanted:
        return
    courses = {c.pk: c for _, certificate in wanted for c in renewal_courses(certificate.course)}
    by_course = bookable_sessions(courses.values(), date_from=today)
    for row, certificate in wanted:
        course, sessions = renewal_sessions(certificate.course, by_course, limit=1)
        if sessions:
            row.book_url = book_url(sessions[0], certificate.delegate)
        else:
            row.book_url = course_url(course)


def record_counts(rows):
    """{"in_date": n, "expiring": n, "expired": n} for the page's summary."""
    return {
        "in_date": sum(row.status in (IN_DATE, NO_EXPIRY) for row in rows),
        "expiring": sum(row.status == EXPIRING for row in rows),
        "expired": sum(row.status == EXPIRED for row in rows),
    }


def enquiry_url():
    return settings.SITE_URL + reverse("enquiries:enquiry")
