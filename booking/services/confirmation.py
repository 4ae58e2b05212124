"""Seats must be earned: a public booking holds its seats unconfirmed until the booker
confirms their email address, within BOOKING_CONFIRM_MINUTES, or it lapses."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Delegate,
)
from . import seats
from .seats import BookingNotChangeable, UnconfirmedLimit
from .waitlist import release_expired, waitlist_promote


def check_unconfirmed_cap(contact_email, organisation, count):
    """A booker or organisation holds at most BOOKING_UNCONFIRMED_SEATS_MAX seats unconfirmed."""
    held = Delegate.objects.filter(
        Q(booking__contact_email__iexact=contact_email.strip()) | Q(booking__organisation__iexact=organisation.strip()),
        booking__status=BookingStatus.UNCONFIRMED,
    ).count()
    limit = settings.BOOKING_UNCONFIRMED_SEATS_MAX
    # One booking of any size may always wait: the cap stops a second, third... piling up.
    if held and held + count > limit:
        raise UnconfirmedLimit(
            f"You have {held} place{'s' if held != 1 else ''} waiting for you to confirm your email address. "
            f"Confirm those bookings from the emails we sent first (at most {limit} places can wait at once), "
            "or call us.",
        )


@transaction.atomic
def booking_confirm_email(*, booking, actor="booker (email link)"):
    """The booker confirmed their email address: the held seats become the booking (confirmed,
    or awaiting the PO), or a waiting-list booking may now be promoted. Delegates are emailed
    from here on. Confirming twice changes nothing."""
    booking = seats.lock_booking(booking)
    if booking.email_confirmed_at is not None or booking.confirm_by is None:
        return booking
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable(
            "This booking was not confirmed in time, so the places were released. Please book again.",
            code="booking_lapsed",
        )
    now = timezone.now()
    booking.email_confirmed_at = now
    if booking.status == BookingStatus.UNCONFIRMED:
        booking.status = BookingStatus.CONFIRMED if booking.purchase_order else BookingStatus.AWAITING_PO
        booking.po_deadline = (
            seats.po_deadline(booking.session, now) if booking.status == BookingStatus.AWAITING_PO else None
        )
    booking.save(update_fields=["email_confirmed_at", "status", "po_deadline", "updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.EMAIL_CONFIRMED,
        f"Email address {booking.contact_email} confirmed: {booking.get_status_display().lower()}.",
        actor=actor,
        status=booking.status,
    )
    if booking.status == BookingStatus.WAITLISTED:
        waitlist_promote(session=booking.session, actor="system")
    # Now that the address is the booker's own, a lead of theirs is won (enquiries).
    from enquiries.services import lead_link_booking

    lead_link_booking(booking=booking)
    return booking


def unconfirmed_bookings_release(*, now=None):
    """Bookings not confirmed from the booker's email by their confirm_by time lapse: their
    seats go back (to the waiting list first). Nothing is emailed to the unconfirmed address.
    Returns the number released."""
    now = now or timezone.now()
    waiting = [BookingStatus.UNCONFIRMED, BookingStatus.WAITLISTED]
    return release_expired(
        Booking.objects.filter(confirm_by__lt=now, email_confirmed_at=None, status__in=waiting).values_list(
            "pk", flat=True
        ),
        # Confirmed (or cancelled) meanwhile?
        still_due=lambda booking: booking.email_confirmed_at is None and booking.status in waiting,
        reason="The booker's email address was not confirmed in time.",
        kind=BookingEvent.Kind.LAPSED,
        description="Lapsed: the booker's email address was not confirmed in time; the places were released.",
    )
