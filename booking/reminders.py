"""Emails the beat sends on a schedule: delegates' reminders before the course and bookers'
purchase-order reminders (booking/tasks.py)."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outbox.services import Email, email_queue_many

from .emails import booking_placeholders, days_text, days_until, po_due, reply_to, time_left_text
from .models import DELEGATES_INFORMED, Booking, BookingStatus, SessionStatus


def delegate_reminders_queue(*, now=None):
    """Queue the reminder for every delegate of sessions starting REMINDER_DAYS_BEFORE days from
    today (UK date). Keys make a second run queue nothing. Returns the number queued."""
    now = now or timezone.now()
    target = timezone.localtime(now).date() + timezone.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    bookings = (
        Booking.objects.filter(
            status__in=DELEGATES_INFORMED,
            session__status="scheduled",
            session__starts_at__date=target,
        )
        .select_related("session__course", "session__venue")
        .prefetch_related("delegates", "session__days")
    )
    emails = []
    for booking in bookings:
        placeholders = None
        for delegate in booking.delegates.all():
            placeholders = placeholders or booking_placeholders(booking)
            emails.append(
                Email(
                    kind="delegate_reminder",
                    to=[delegate.email],
                    unique_key=f"delegate_reminder:session-{booking.session_id}:{delegate.email.lower()}",
                    placeholders={
                        **placeholders,
                        "delegate_name": delegate.name,
                        "adjustments": delegate.adjustments,
                        "days_before": days_text(days_until(booking.session.starts_at, now)),
                    },
                    booking=booking,
                    reply_to=reply_to(),
                )
            )
    with transaction.atomic():
        return email_queue_many(emails)


def po_reminders_queue(*, now=None):
    """Remind bookers awaiting a PO 3 days and 1 day before the deadline (each once); in-house
    coordinators likewise before the date their PO is asked for.

    A booking made inside a window gets no reminder for it: its confirmation already says
    when the PO is due. Returns the number queued.
    """
    now = now or timezone.now()
    windows = sorted(settings.PO_REMINDER_DAYS_BEFORE)
    emails = []
    # An in-house booking has no PO deadline (nothing is released for want of it) but is chased
    # the same way, to the date po_due() gives it.
    awaiting = (
        Booking.objects.filter(status=BookingStatus.AWAITING_PO)
        .filter(
            Q(po_deadline__gt=now)
            | Q(
                po_deadline=None,
                session__is_in_house=True,
                session__status=SessionStatus.SCHEDULED,
                session__starts_at__gt=now,
            )
        )
        .select_related("session__course", "session__venue", "session__trainer")
    )
    for booking in awaiting.prefetch_related("delegates", "session__days"):
        due = po_due(booking)
        if due is None or due <= now:
            continue
        remaining = due - now
        window = next((days for days in windows if remaining <= timezone.timedelta(days=days)), None)
        if window is None or booking.created_at > due - timezone.timedelta(days=window):
            continue
        emails.append(
            Email(
                kind="po_reminder",
                to=[booking.contact_email],
                unique_key=f"po_reminder:booking-{booking.pk}:{window}d:{due.isoformat()}",
                placeholders={
                    **booking_placeholders(booking),
                    "days_left": time_left_text(remaining),
                },
                booking=booking,
                reply_to=reply_to(),
            )
        )
    with transaction.atomic():
        return email_queue_many(emails)
