"""Who hears about each booking event, and what they get.

Every booking service records a BookingEvent and passes it to booking_event() inside its
transaction; the emails become outbox rows in that same transaction and are sent after commit.
"""

import math
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from outbox.services import Email, email_queue_many

from .calendar import dropped_days_attachment, invite_attachment
from .emails import booking_placeholders, days_text, days_until, reply_to
from .models import SEAT_HOLDING, Booking, BookingEvent, BookingStatus

_suppressed = ContextVar("booking_notifications_suppressed", default=False)
_batch = ContextVar("booking_notifications_batch", default=None)


@contextmanager
def suppressed():
    """No emails for what happens inside (the demo data loader)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


@contextmanager
def batch():
    """Collect the emails of many events and write them in one bulk insert at the end."""
    if _batch.get() is not None:
        yield
        return
    collected = []
    token = _batch.set(collected)
    try:
        yield
    finally:
        _batch.reset(token)
    email_queue_many(collected)


def _queue(emails):
    collected = _batch.get()
    if collected is not None:
        collected.extend(emails)
    else:
        email_queue_many(emails)


def booking_event(event):
    if _suppressed.get():
        return
    _queue(emails_for_event(event))


class _Builder:
    def __init__(self, event):
        self.event = event
        self.booking = event.booking
        self.emails = []
        self._placeholders = None

    @property
    def placeholders(self):
        if self._placeholders is None:
            self._placeholders = booking_placeholders(self.booking)
        return self._placeholders

    def to_booker(self, kind, **extra):
        self.emails.append(
            Email(
                kind=kind,
                to=[self.booking.contact_email],
                unique_key=f"{kind}:event-{self.event.pk}",
                placeholders={**self.placeholders, **extra},
                booking=self.booking,
                reply_to=reply_to(),
            )
        )

    def to_delegate(self, kind, *, name, email, adjustments="", method=None, **extra):
        attachments = []
        session = self.booking.session
        if method:
            attachments.append(
                invite_attachment(
                    session=session,
                    attendee_email=email,
                    attendee_name=name,
                    method=method,
                    sequence=session.ics_sequence + (1 if method == "CANCEL" else 0),
                )
            )
        if method == "REQUEST" and self.event.data.get("previous_days"):
            # The session lost days: cancel the calendar entries of the days it no longer has.
            dropped = dropped_days_attachment(
                session=session,
                attendee_email=email,
                attendee_name=name,
                previous_days=self.event.data["previous_days"],
                sequence=session.ics_sequence,
            )
            if dropped:
                attachments.append(dropped)
        self.emails.append(
            Email(
                kind=kind,
                to=[email],
                unique_key=f"{kind}:event-{self.event.pk}:{email.lower()}",
                placeholders={**self.placeholders, "delegate_name": name, "adjustments": adjustments, **extra},
                attachments=attachments,
                booking=self.booking,
                reply_to=reply_to(),
            )
        )

    def to_delegates(self, kind, *, method=None, **extra):
        for delegate in self.booking.delegates.all():
            self.to_delegate(
                kind, name=delegate.name, email=delegate.email, adjustments=delegate.adjustments, method=method, **extra
            )

    def invite(self, delegate):
        """Joining instructions with a calendar invite, to one delegate."""
        self.to_delegate(
            "joining_instructions",
            name=delegate.name,
            email=delegate.email,
            adjustments=delegate.adjustments,
            method="REQUEST",
        )


def emails_for_event(event):
    K = BookingEvent.Kind
    out = _Builder(event)
    booking, data = event.booking, event.data
    had_seats = data.get("previous_status", booking.status) in SEAT_HOLDING

    if event.kind == K.CREATED:
        out.to_booker("booking_confirmation")
        out.to_delegates("joining_instructions", method="REQUEST")
    elif event.kind == K.WAITLISTED:
        out.to_booker("waitlist_joined")
    elif event.kind == K.PROMOTED:
        out.to_booker("waitlist_promoted")
        out.to_delegates("joining_instructions", method="REQUEST")
    elif event.kind == K.PO_ADDED:
        out.to_booker("booking_confirmation")
    elif event.kind == K.PO_EXPIRED:
        out.to_booker("po_released")
        out.to_delegates("delegate_cancelled", method="CANCEL")
    elif event.kind == K.DELEGATE_ADDED and booking.holds_seats:
        delegate = booking.delegates.filter(email__iexact=data["email"]).first()
        if delegate:
            out.invite(delegate)
    elif event.kind == K.DELEGATE_REMOVED and booking.holds_seats:
        out.to_delegate("delegate_cancelled", name=data["name"], email=data["email"], method="CANCEL")
    elif event.kind == K.DELEGATE_SUBSTITUTED and booking.holds_seats:
        out.to_delegate("delegate_cancelled", name=data["old"]["name"], email=data["old"]["email"], method="CANCEL")
        delegate = booking.delegates.filter(pk=data["delegate_id"]).first()
        if delegate:
            out.invite(delegate)
    elif event.kind == K.CANCELLED:
        out.to_booker("booking_cancelled", reason=booking.cancelled_reason)
        if had_seats:
            out.to_delegates("delegate_cancelled", method="CANCEL")
    elif event.kind == K.SESSION_CANCELLED:
        reason = booking.session.cancelled_reason
        out.to_booker("session_cancelled_booker", reason=reason)
        if had_seats:
            out.to_delegates("session_cancelled", method="CANCEL", reason=reason)
    elif event.kind == K.SESSION_CHANGED:
        changes = {"previous_dates": data.get("previous_dates", ""), "previous_venue": data.get("previous_venue", "")}
        out.to_booker("session_changed_booker", **changes)
        if booking.holds_seats:
            out.to_delegates("session_changed", method="REQUEST", **changes)
    return out.emails


# Scheduled emails ---------------------------------------------------------------------------------


def delegate_reminders_queue(*, now=None):
    """Queue the reminder for every delegate of sessions starting REMINDER_DAYS_BEFORE days from
    today (UK date). Keys make a second run queue nothing. Returns the number queued."""
    now = now or timezone.now()
    target = timezone.localtime(now).date() + timezone.timedelta(days=settings.REMINDER_DAYS_BEFORE)
    bookings = (
        Booking.objects.filter(
            status__in=SEAT_HOLDING,
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
    """Remind bookers awaiting a PO 3 days and 1 day before the deadline (each once).

    A booking made inside a window gets no reminder for it: its confirmation already says
    when the PO is due. Returns the number queued.
    """
    now = now or timezone.now()
    windows = sorted(settings.PO_REMINDER_DAYS_BEFORE)
    emails = []
    awaiting = Booking.objects.filter(status=BookingStatus.AWAITING_PO, po_deadline__gt=now).select_related(
        "session__course", "session__venue"
    )
    for booking in awaiting.prefetch_related("delegates", "session__days"):
        remaining = booking.po_deadline - now
        window = next((days for days in windows if remaining <= timezone.timedelta(days=days)), None)
        if window is None or booking.created_at > booking.po_deadline - timezone.timedelta(days=window):
            continue
        emails.append(
            Email(
                kind="po_reminder",
                to=[booking.contact_email],
                unique_key=f"po_reminder:booking-{booking.pk}:{window}d:{booking.po_deadline.isoformat()}",
                placeholders={
                    **booking_placeholders(booking),
                    "days_left": days_text(math.ceil(remaining.total_seconds() / 86400)),
                },
                booking=booking,
                reply_to=reply_to(),
            )
        )
    with transaction.atomic():
        return email_queue_many(emails)
