"""Making a booking, adding its PO, cancelling it and sending a new manage link."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import (
    SEAT_HOLDING,
    Booking,
    BookingEvent,
    BookingStatus,
    CourseSession,
    Delegate,
    SessionStatus,
    new_manage_key,
    new_reference,
)
from . import seats
from .confirmation import check_unconfirmed_cap
from .seats import BookingNotChangeable, InsufficientSeats, SessionNotBookable
from .waitlist import waitlist_promote


@transaction.atomic
def booking_create(
    *,
    session,
    organisation,
    organisation_type,
    contact_name,
    contact_email,
    contact_phone,
    invoice_address,
    delegates,
    accept_terms,
    ods_code="",
    job_title="",
    purchase_order="",
    po_to_follow=False,
    notes="",
    join_waitlist=False,
    actor="booker",
    email_confirmation=False,
    partner_key=None,
):
    """Book places for all the delegates, or none. Returns the booking.

    With too few seats the booking joins the waiting list if `join_waitlist`, else
    InsufficientSeats is raised. Bookings with a PO are confirmed; "PO to follow" holds seats
    as awaiting PO until a deadline.

    With `email_confirmation` (the public site and API) the seats are only held, as
    unconfirmed, until the booker confirms their email address from a link
    (booking_confirm_email) within BOOKING_CONFIRM_MINUTES; a waiting-list booking waits for
    that too before it can be promoted. One booker or organisation may hold at most
    BOOKING_UNCONFIRMED_SEATS_MAX seats unconfirmed, and no delegate is emailed before then.

    `partner_key`: the partner API key the booking is made with, if any (partners.PartnerKey).
    """
    purchase_order = (purchase_order or "").strip()
    errors = {}
    if not accept_terms:
        errors["accept_terms"] = "Accept the booking terms to continue"
    if purchase_order and po_to_follow:
        errors["po_to_follow"] = "Give a purchase order number or choose 'PO to follow', not both."
    elif not purchase_order and not po_to_follow:
        errors["purchase_order"] = "Give a purchase order number, or choose 'PO to follow' if you will send it later."
    if errors:
        raise ValidationError(errors)
    rows = seats.validate_delegates(delegates)

    if not join_waitlist and not session.is_in_house and not session.not_bookable_reason():
        # Already too full before taking the lock: refuse now rather than queue behind the
        # bookings that are filling it (a rush for the last seats). The count under the lock
        # below is what decides a booking that may fit.
        capacity = CourseSession.objects.filter(pk=session.pk).values_list("capacity", flat=True).first() or 0
        free = capacity - seats.seats_taken(session)
        if len(rows) > free:
            raise InsufficientSeats(max(free, 0))
    session = seats.lock_session(session.pk)
    reason = session.not_bookable_reason()
    if reason:
        raise SessionNotBookable(reason[1], code=reason[0])
    if session.is_in_house:
        # Its one booking is the client's (in_house_session_create); staff register through its link.
        raise SessionNotBookable(
            "This is an in-house course for one organisation: people join it through its registration link.",
            code="session_in_house",
        )
    seats.check_delegate_emails(session, [row.email for row in rows])

    now = timezone.now()
    free = session.capacity - seats.seats_taken(session)
    if len(rows) <= free:
        if email_confirmation:
            check_unconfirmed_cap(contact_email, organisation, len(rows))
            status = BookingStatus.UNCONFIRMED
        else:
            status = BookingStatus.CONFIRMED if purchase_order else BookingStatus.AWAITING_PO
    elif join_waitlist:
        status = BookingStatus.WAITLISTED
    else:
        raise InsufficientSeats(max(free, 0))

    booking = Booking(
        session=session,
        status=status,
        organisation=organisation.strip(),
        organisation_type=organisation_type,
        ods_code=(ods_code or "").strip().upper(),
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone,
        job_title=job_title.strip(),
        invoice_address=invoice_address.strip(),
        purchase_order=purchase_order,
        po_to_follow=not purchase_order,
        po_deadline=seats.po_deadline(session, now) if status == BookingStatus.AWAITING_PO else None,
        confirm_by=now + timedelta(minutes=settings.BOOKING_CONFIRM_MINUTES) if email_confirmation else None,
        notes=notes.strip(),
        terms_accepted_at=now,
        terms_version=settings.BOOKING_TERMS_VERSION,
        price_per_delegate=session.price,
        partner_key=partner_key,
    )
    while Booking.objects.filter(reference=booking.reference).exists():  # rare: draw another
        booking.reference = new_reference()
    booking.full_clean()
    booking.save()
    for row in rows:
        row.booking = booking
    Delegate.objects.bulk_create(rows)
    # A lead of the booker turns into this booking (once their address is confirmed, if asked).
    from enquiries.services import lead_link_booking

    lead_link_booking(booking=booking)
    names = ", ".join(row.name for row in rows)
    if status == BookingStatus.WAITLISTED:
        seats.record(
            booking,
            BookingEvent.Kind.WAITLISTED,
            f"Joined the waiting list for {len(rows)}: {names}.",
            actor=actor,
            email_confirmation=email_confirmation,
        )
    else:
        seats.record(
            booking,
            BookingEvent.Kind.CREATED,
            f"Booked {len(rows)} place{'s' if len(rows) != 1 else ''}: {names}.",
            actor=actor,
            status=status,
        )
    return booking


@transaction.atomic
def booking_cancel(*, booking, reason="", actor="booker", by_staff=False):
    booking = seats.lock_booking(booking)
    seats.require_changeable(booking, by_staff=by_staff, cancelling=True)
    previous = booking.status
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_reason = reason
    booking.save(update_fields=["status", "cancelled_reason", "updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.CANCELLED,
        f"Booking cancelled{': ' + reason if reason else ''}.",
        actor=actor,
        previous_status=previous,
    )
    if booking.session.is_in_house:
        # The course was this client's alone: it goes with their booking, and its trainer's days
        # come free. (Its credit note follows the booking terms, as for any cancellation.)
        session = booking.session
        session.status, session.cancelled_reason = SessionStatus.CANCELLED, reason[:300]
        session.save(update_fields=["status", "cancelled_reason", "updated_at"])
        from partners.webhooks import webhooks_session_event  # partners reads bookings

        webhooks_session_event("session.cancelled", session, change="cancelled")
    elif previous in SEAT_HOLDING:
        waitlist_promote(session=booking.session, actor="system")
    return booking


@transaction.atomic
def booking_add_po(*, booking, purchase_order, actor="booker", by_staff=False):
    booking = seats.lock_booking(booking)
    if booking.status == BookingStatus.CANCELLED:
        raise BookingNotChangeable("This booking has been cancelled.", code="booking_cancelled")
    if booking.awaits_email_confirmation and not by_staff:
        seats.require_changeable(booking, by_staff=False)  # says: confirm your email first
    booking.purchase_order = (purchase_order or "").strip()
    booking.po_to_follow = False
    if not booking.purchase_order:
        raise ValidationError({"purchase_order": "Enter the purchase order number."})
    if booking.status == BookingStatus.AWAITING_PO:
        booking.status = BookingStatus.CONFIRMED
        booking.po_deadline = None
    booking.full_clean()
    booking.save(update_fields=["purchase_order", "po_to_follow", "status", "po_deadline", "updated_at"])
    seats.record(booking, BookingEvent.Kind.PO_ADDED, f"Purchase order {booking.purchase_order} added.", actor=actor)
    return booking


@transaction.atomic
def booking_new_manage_link(*, booking, actor="booker"):
    """Send the booker a new manage link; every link sent before stops working."""
    booking = Booking.objects.select_for_update().select_related("session__course", "session__venue").get(pk=booking.pk)
    booking.manage_key = new_manage_key()
    booking.save(update_fields=["manage_key", "updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.LINK_REISSUED,
        f"New manage link sent to {booking.contact_email}; earlier links no longer work.",
        actor=actor,
    )
    return booking
