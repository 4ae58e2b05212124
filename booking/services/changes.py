"""Changing a booking's delegates: add, remove, substitute."""

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import (
    BookingEvent,
    Delegate,
)
from . import seats
from .seats import BookingNotChangeable, InsufficientSeats
from .waitlist import waitlist_promote


@transaction.atomic
def booking_add_delegates(*, booking, delegates, actor="booker", by_staff=False):
    booking = seats.lock_booking(booking)
    seats.require_changeable(booking, by_staff=by_staff)
    rows = seats.validate_delegates(delegates)
    seats.check_delegate_emails(
        booking.session,
        [d.email for d in booking.delegates.all()] + [row.email for row in rows],
        exclude_booking=booking,
    )
    if booking.holds_seats:
        free = seats.seats_remaining(booking.session)
        if len(rows) > free:
            raise InsufficientSeats(free)
    for row in rows:
        row.booking = booking
    Delegate.objects.bulk_create(rows)
    booking.save(update_fields=["updated_at"])
    # One event for the whole change, so the booker gets one notice with the new list and total.
    seats.record(
        booking,
        BookingEvent.Kind.DELEGATE_ADDED,
        "Added " + ", ".join(f"{row.name} <{row.email}>" for row in rows) + ".",
        actor=actor,
        emails=[row.email for row in rows],
    )
    return booking


@transaction.atomic
def booking_remove_delegate(*, booking, delegate_id, actor="booker", by_staff=False):
    booking = seats.lock_booking(booking)
    seats.require_changeable(booking, by_staff=by_staff)
    delegate = booking.delegates.filter(pk=delegate_id).first()
    if delegate is None:
        raise ValidationError({"delegate": "That delegate is not on this booking."})
    # An in-house course's register may be emptied: the client pays for the course, not per place.
    if booking.delegates.count() == 1 and not booking.session.is_in_house:
        raise BookingNotChangeable(
            "A booking needs at least one delegate. To remove the last one, cancel the booking.", code="last_delegate"
        )
    delegate.delete()
    booking.save(update_fields=["updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.DELEGATE_REMOVED,
        f"Removed {delegate.name} <{delegate.email}>.",
        actor=actor,
        name=delegate.name,
        email=delegate.email,
    )
    # A freed seat may let a waiting booking in, and a smaller waiting booking may now fit.
    waitlist_promote(session=booking.session, actor="system")
    return booking


@transaction.atomic
def booking_substitute_delegate(*, booking, delegate_id, replacement, actor="booker", by_staff=False):
    """Put another person in a delegate's place; the seat stays with the booking."""
    booking = seats.lock_booking(booking)
    seats.require_changeable(booking, by_staff=by_staff)
    delegate = booking.delegates.filter(pk=delegate_id).first()
    if delegate is None:
        raise ValidationError({"delegate": "That delegate is not on this booking."})
    # Attendance (records/) is marked against this row: another person must not inherit it.
    if delegate.attendance.exists():
        raise ValidationError(
            {"delegate": f"{delegate.name} already has attendance marked for this course, so cannot be replaced."}
        )
    [new] = seats.validate_delegates([replacement])
    others = [d.email for d in booking.delegates.all() if d.pk != delegate.pk]
    seats.check_delegate_emails(booking.session, [*others, new.email], exclude_booking=booking)
    old = {"name": delegate.name, "email": delegate.email}
    delegate.name, delegate.email, delegate.job_role, delegate.adjustments = (
        new.name,
        new.email,
        new.job_role,
        new.adjustments,
    )
    delegate.save()
    booking.save(update_fields=["updated_at"])
    seats.record(
        booking,
        BookingEvent.Kind.DELEGATE_SUBSTITUTED,
        f"{old['name']} <{old['email']}> replaced by {new.name} <{new.email}>.",
        actor=actor,
        old=old,
        new={"name": new.name, "email": new.email},
        delegate_id=delegate.pk,
    )
    return booking
