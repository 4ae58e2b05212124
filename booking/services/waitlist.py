"""The waiting list, and the holds that lapse to it (expired PO holds here, unconfirmed
bookings in confirmation.py)."""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ..models import (
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
)
from . import seats


def waitlist_promote(*, session, actor="system", after_close=False):
    """Promote waiting bookings, oldest first, wherever they fit in the free seats.

    Runs while the session takes bookings; with `after_close` (seats freed by an expired PO
    hold, whose deadline may be booking close itself) also until the session starts.
    Returns the promoted bookings.
    """
    with transaction.atomic():
        session = seats.lock_session(session.pk)
        reason = session.not_bookable_reason()
        if reason and not (after_close and reason[0] == "session_closed"):
            return []
        free = session.capacity - seats.seats_taken(session)
        promoted = []
        waiting = (
            session.bookings.filter(status=BookingStatus.WAITLISTED)
            # A waiting booking whose booker has yet to confirm their email is not promoted.
            .exclude(confirm_by__isnull=False, email_confirmed_at=None)
            .annotate(size=Count("delegates"))
            .order_by("created_at", "pk")
        )
        now = timezone.now()
        for booking in waiting:
            if free <= 0:
                break
            if booking.size > free:
                continue
            booking.status = BookingStatus.CONFIRMED if booking.purchase_order else BookingStatus.AWAITING_PO
            booking.po_deadline = (
                seats.po_deadline(session, now) if booking.status == BookingStatus.AWAITING_PO else None
            )
            booking.save(update_fields=["status", "po_deadline", "updated_at"])
            free -= booking.size
            seats.record(
                booking,
                BookingEvent.Kind.PROMOTED,
                f"A place is yours: promoted from the waiting list ({booking.get_status_display().lower()}).",
                actor=actor,
                status=booking.status,
            )
            promoted.append(booking)
        return promoted


def release_expired(ids, *, still_due, reason, kind, description, after_close=False):
    """Cancel each booking in `ids` that `still_due(booking)` confirms once it is locked (it may
    have changed meanwhile); seats it held go to the waiting list. Each booking in a transaction
    of its own, so one failure does not block the rest. Returns the number released."""
    released = 0
    for pk in list(ids):
        with transaction.atomic():
            booking = seats.lock_booking(Booking.objects.get(pk=pk))
            if not still_due(booking):
                continue
            previous = booking.status
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_reason = reason
            booking.save(update_fields=["status", "cancelled_reason", "updated_at"])
            seats.record(booking, kind, description, actor="system", previous_status=previous)
            if previous in SEAT_HOLDING:
                waitlist_promote(session=booking.session, actor="system", after_close=after_close)
            released += 1
    return released


def po_holds_release_expired(*, now=None):
    """Release every awaiting-PO hold past its deadline; the seats go to the waiting list, also
    after booking has closed (a hold's deadline may be booking close itself). Returns the number
    released."""
    now = now or timezone.now()
    return release_expired(
        Booking.objects.filter(status=BookingStatus.AWAITING_PO, po_deadline__lt=now).values_list("pk", flat=True),
        # The PO may have arrived meanwhile.
        still_due=lambda booking: booking.status == BookingStatus.AWAITING_PO and booking.po_deadline < now,
        reason="No purchase order was received by the deadline.",
        kind=BookingEvent.Kind.PO_EXPIRED,
        description="Seats released: no purchase order by the deadline.",
        after_close=True,
    )
