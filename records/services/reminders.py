"""Refresher reminders: before a certificate expires (REFRESHER_REMINDER_DAYS, 60 and 14 days by
default), its holder and the person who booked them hear which dates of the refresher course (or
the same course) still have seats, with booking links that fill in the holder's details.

Run daily by records.tasks.send_refresher_reminders. Each window is sent once per certificate:
the RefresherReminder row (unique per certificate and window) is written in the same transaction
as the emails, under a lock on the certificate, so a second run, or two at once, sends nothing
more. A run that starts late (a certificate first seen at 10 days left) sends one email, for the
tightest window due, never two on one day.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from booking.models import DELEGATES_INFORMED, Delegate, SessionStatus

from .. import reminder_emails
from ..models import Certificate, RefresherReminder
from ..selectors import bookable_sessions, renewal_courses, renewal_sessions, renewed

# Dates offered: from today until this long after the certificate expires (a lapse of a few
# weeks is better than none at all).
OFFER_DAYS_AFTER_EXPIRY = 60
OFFER_LIMIT = 3


def due_window(days_left, windows, sent):
    """The window to send now, or None: the tightest window the certificate is inside, unless
    that window (or a tighter one) was already sent."""
    inside = [window for window in windows if 0 <= days_left <= window]
    if not inside:
        return None
    window = min(inside)
    if any(done <= window for done in sent):
        return None
    return window


def refresher_reminders_send(today=None):
    """Send the reminders due today; returns how many certificates were reminded."""
    today = today or timezone.localdate()
    windows = sorted({int(days) for days in settings.REFRESHER_REMINDER_DAYS if int(days) >= 0})
    if not windows:
        return 0
    candidates = (
        Certificate.objects.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=windows[-1]))
        .select_related("course__refresher_course", "delegate__booking")
        .prefetch_related("reminders")
        .order_by("expires_on", "pk")
    )
    due = []
    for certificate in candidates:
        window = due_window(
            (certificate.expires_on - today).days, windows, {r.days_before for r in certificate.reminders.all()}
        )
        if window is not None:
            due.append((certificate, window))
    if not due:
        return 0
    renewed = _renewed_or_rebooked([certificate for certificate, _ in due], today)
    due = [(certificate, window) for certificate, window in due if certificate.pk not in renewed]
    sent = 0
    for certificate, window in due:
        sent += _remind(certificate, window, today)
    return sent


def _renewed_or_rebooked(certificates, today):
    """The ids of certificates whose holder needs no reminder: they hold a later certificate for
    the same course or its refresher, or are booked (places confirmed or awaiting a PO) on a
    session of one that has not yet ended, or ended without attendance being taken."""
    emails = {certificate.holder_email.casefold() for certificate in certificates}
    courses = {course.pk for certificate in certificates for course in renewal_courses(certificate.course)}
    email_match = Q()
    for email in emails:
        email_match |= Q(holder_email__iexact=email)
    held = Certificate.objects.filter(email_match, course_id__in=courses).values_list(
        "holder_email", "course_id", "completed_on"
    )
    skip = renewed(certificates, held)

    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    delegate_match = Q()
    for email in emails:
        delegate_match |= Q(email__iexact=email)
    booked = {}
    for email, course_id, starts_at in (
        Delegate.objects.filter(
            delegate_match,
            booking__status__in=DELEGATES_INFORMED,
            booking__session__course_id__in=courses,
            booking__session__is_in_house=False,
        )
        .exclude(booking__session__status=SessionStatus.CANCELLED)
        .filter(Q(booking__session__ends_at__gte=start_of_today) | Q(booking__session__completed_at__isnull=True))
        .values_list("email", "booking__session__course_id", "booking__session__starts_at")
    ):
        key = (email.casefold(), course_id)
        booked[key] = max(booked.get(key, starts_at), starts_at)

    for certificate in certificates:
        email = certificate.holder_email.casefold()
        for course in renewal_courses(certificate.course):
            starts = booked.get((email, course.pk))
            if starts and timezone.localtime(starts).date() > certificate.completed_on:
                skip.add(certificate.pk)
    return skip


def _remind(certificate, window, today):
    """One certificate's reminder for one window, at most once however many runs overlap."""
    with transaction.atomic():
        # Two runs at once queue behind this lock; the second then finds the row and stops.
        if not Certificate.objects.select_for_update().filter(pk=certificate.pk).exists():
            return 0
        if RefresherReminder.objects.filter(certificate=certificate, days_before__lte=window).exists():
            return 0
        try:
            with transaction.atomic():
                RefresherReminder.objects.create(certificate=certificate, days_before=window)
        except IntegrityError:  # the other run got there first (a database without row locks)
            return 0
        courses = renewal_courses(certificate.course)
        by_course = bookable_sessions(
            courses, date_from=today, date_to=certificate.expires_on + timedelta(days=OFFER_DAYS_AFTER_EXPIRY)
        )
        course, sessions = renewal_sessions(certificate.course, by_course, limit=OFFER_LIMIT)
        reminder_emails.queue_refresher_reminder(
            certificate,
            window=window,
            days_left=(certificate.expires_on - today).days,
            course=course,
            sessions=sessions,
        )
    return 1
