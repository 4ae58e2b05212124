"""Certificates: their numbers, expiry and status. Issued by completion (attendance.py)."""

import calendar
import re
import secrets
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Certificate

# Crockford's base 32: no I, L, O or U, so a number read out over the phone is not misheard.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NUMBER_LENGTH = 12
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_number():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(NUMBER_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_number(text):
    """The number as typed ("7k3m 9qxp 2h4d", with O for 0) in its printed form, or None if it
    cannot be one."""
    raw = re.sub(r"[\s\-]", "", str(text or "")).upper().translate(_CONFUSABLE)
    if len(raw) != NUMBER_LENGTH or any(char not in ALPHABET for char in raw):
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def add_months(day, months):
    """The same day `months` later; the month's last day when it has no such day (31 Jan + 1)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def expiry_for(course, completed_on):
    """The last day it is valid: the day before the same date `certificate_validity_months`
    on (completed 12 March 2026, three years: valid to 11 March 2029). When that month has
    no such date (31 January, one month on), to the end of the month."""
    months = course.certificate_validity_months
    if not months:
        return None
    same_date = add_months(completed_on, months)
    if same_date.day < completed_on.day:
        return same_date
    return same_date - date.resolution


def accreditation_for(course):
    parts = []
    if course.rrn_certified:
        parts.append("RRN certified: meets the Restraint Reduction Network Training Standards")
    if course.quality_award:
        parts.append(course.quality_award)
    return "; ".join(parts)


class Status:
    VALID = "valid"
    EXPIRING = "expiring"  # valid, and expires within TRAINING_RECORD_EXPIRING_DAYS
    EXPIRED = "expired"


def certificate_status(certificate, *, today=None, expiring_days=None):
    """valid or expired; with `expiring_days`, "expiring" for a valid one that ends within them."""
    today = today or timezone.localdate()
    if not certificate.is_valid_on(today):
        return Status.EXPIRED
    if expiring_days is not None and certificate.expires_on and (certificate.expires_on - today).days < expiring_days:
        return Status.EXPIRING
    return Status.VALID


def certificates_with_status(queryset, status, *, today=None, expiring_days=None):
    """The certificates of `queryset` that certificate_status() would give `status` (VALID
    includes those expiring soon); the admin's filter."""
    today = today or timezone.localdate()
    if status == Status.VALID:
        return queryset.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    if status == Status.EXPIRING:
        return queryset.filter(expires_on__gte=today, expires_on__lt=today + timedelta(days=expiring_days))
    if status == Status.EXPIRED:
        return queryset.filter(expires_on__lt=today)
    return queryset


def certificate_issue(*, delegate, session, completed_on):
    """Issue the delegate's certificate for the session, or return the one they have."""
    existing = Certificate.objects.filter(delegate=delegate).first()
    if existing:
        return existing
    course, booking = session.course, delegate.booking
    fields = {
        "delegate": delegate,
        "session": session,
        "course": course,
        "holder_name": delegate.name,
        "holder_email": delegate.email,
        "course_title": course.title,
        "accreditation": accreditation_for(course),
        "cpd_hours": course.cpd_hours,
        "organisation": booking.organisation,
        "ods_code": booking.ods_code.upper(),
        "completed_on": completed_on,
        "expires_on": expiry_for(course, completed_on),
    }
    # A clash of 60-bit random numbers is next to impossible; the unique index makes it harmless.
    for _ in range(5):
        try:
            with transaction.atomic():
                return Certificate.objects.create(number=new_number(), **fields)
        except IntegrityError:
            if Certificate.objects.filter(delegate=delegate).exists():
                raise
    raise RuntimeError("Could not find a free certificate number.")
