"""What every rule shares: the errors, locking a session's seats, counting them from the
bookings (never from a stored counter), the PO deadline, validating delegates and recording each
change in the booking's history, which is what sends its emails.

Other modules call these as seats.<name> (not imported by name), so a test can stand in for one.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.functions import Lower

from core import business_hours

from .. import notifications
from ..models import (
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
    CourseSession,
    Delegate,
)


class BookingError(Exception):
    """A booking rule said no. `code` is stable for API clients; the message is for people."""

    code = "booking_error"

    def __init__(self, message, *, code=None, **extra):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.extra = extra


class SessionNotBookable(BookingError):
    pass


class InsufficientSeats(BookingError):
    code = "insufficient_seats"

    def __init__(self, seats_remaining):
        if seats_remaining <= 0:
            message = "This session is fully booked. You can join the waiting list instead."
        else:
            message = (
                f"Only {seats_remaining} seat{'s' if seats_remaining != 1 else ''} left on this session. "
                "Book fewer delegates or join the waiting list."
            )
        super().__init__(message, seats_remaining=seats_remaining)
        self.seats_remaining = seats_remaining


class BookingNotChangeable(BookingError):
    code = "booking_not_changeable"


class UnconfirmedLimit(BookingError):
    code = "too_many_unconfirmed"


@dataclass
class DelegateData:
    name: str
    email: str
    job_role: str = ""
    adjustments: str = ""


def lock_session(session_id):
    """Lock the session row for the rest of the transaction; returns the fresh row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fail with an error rather than queue for ever behind a stuck transaction.
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(settings.BOOKING_LOCK_TIMEOUT_MS)}ms"])
    # Only the session's own row: locking its course and venue too would make bookings on every
    # other session of the same course queue behind this one.
    return CourseSession.objects.select_for_update(of=("self",)).select_related("course", "venue").get(pk=session_id)


def lock_booking(booking):
    """Lock the session (seats) then the booking, always in that order to avoid deadlocks."""
    session = lock_session(booking.session_id)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    booking.session = session
    return booking


def seats_taken(session):
    """Delegates on confirmed and awaiting-PO bookings, counted from the bookings themselves."""
    return Delegate.objects.filter(booking__session=session, booking__status__in=SEAT_HOLDING).count()


def seats_remaining(session):
    return max(session.capacity - seats_taken(session), 0)


PO_MIN_HOLD = timedelta(hours=4)  # half a working day at least, when booking close allows it


def po_deadline(session, now):
    """When "PO to follow" places are released: close of business (17:00 on a working day) at
    most PO_HOLD_DAYS from now and no later than booking close, so a finance team has working
    hours to act and the deadline never falls at night, at a weekend or on a bank holiday.

    When no close of business at least PO_MIN_HOLD away is left before booking closes, booking
    close itself; a booking
    promoted after booking has closed (an expired hold freed its seats) is held until the start.
    """
    limit = min(now + timedelta(days=settings.PO_HOLD_DAYS), session.booking_closes_at)
    deadline = business_hours.last_close_at_or_before(limit)
    if deadline >= now + PO_MIN_HOLD:
        return deadline
    # Booked late in the day with booking closing soon: minutes to 17:00 are no time to get a PO.
    return limit if limit > now else session.starts_at


def record(booking, kind, description, *, actor, **data):
    if len(description) > 500:  # a long list of names: the start is enough for the history
        description = description[:497] + "..."
    event = BookingEvent.objects.create(booking=booking, kind=kind, description=description, actor=actor, data=data)
    notifications.booking_event(event)
    from invoicing.services import invoicing_on_booking_event  # here, not at the top: invoicing imports booking

    invoicing_on_booking_event(event)
    from partners.webhooks import webhooks_on_booking_event  # here too: partners reads bookings

    webhooks_on_booking_event(event)
    return event


def check_delegate_emails(session, emails, *, exclude_booking=None):
    """One email at most once per session, across its active bookings."""
    lowered = [email.strip().lower() for email in emails]
    duplicates_here = sorted({email for email in lowered if lowered.count(email) > 1})
    if duplicates_here:
        raise ValidationError(
            {"delegates": f"Each delegate needs their own email address: {', '.join(duplicates_here)} appears twice."}
        )
    taken = (
        Delegate.objects.annotate(email_lower=Lower("email"))
        .filter(booking__session=session, email_lower__in=lowered)
        .exclude(booking__status=BookingStatus.CANCELLED)
    )
    if exclude_booking is not None:
        taken = taken.exclude(booking=exclude_booking)
    already = sorted(set(taken.values_list("email_lower", flat=True)))
    if already:
        raise ValidationError(
            {"delegates": f"Already booked on this session: {', '.join(already)}. Each person needs only one place."}
        )


def validate_delegates(delegates):
    if not delegates:
        raise ValidationError({"delegates": "Add at least one delegate."})
    errors = {}
    rows = []
    for index, data in enumerate(delegates):
        delegate = Delegate(
            name=data.name.strip(), email=data.email.strip(), job_role=data.job_role, adjustments=data.adjustments
        )
        try:
            delegate.full_clean(exclude=["booking"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"delegates[{index}].{field}"] = messages
        rows.append(delegate)
    if errors:
        raise ValidationError(errors)
    return rows


def require_changeable(booking, *, by_staff, cancelling=False):
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable("This booking has been cancelled.", code="booking_cancelled")
    if booking.awaits_email_confirmation and not (by_staff or cancelling):
        raise BookingNotChangeable(
            "Confirm your email address first, from the email we sent you; then you can change the booking.",
            code="email_not_confirmed",
        )
    if by_staff:
        return
    reason = booking.session.not_bookable_reason()
    if reason:
        raise BookingNotChangeable(f"{reason[1]} Changes can no longer be made online; please call us.", code=reason[0])
