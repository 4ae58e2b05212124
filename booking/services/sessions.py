"""Scheduling, moving, resizing and cancelling sessions."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from trainers.services import trainer_check_free, trainer_lock

from .. import notifications
from ..emails import dates_text, session_days
from ..models import (
    BookingEvent,
    BookingStatus,
    CourseSession,
    SessionDay,
    SessionStatus,
)
from . import seats
from .waitlist import waitlist_promote


@transaction.atomic
def session_create(
    *,
    course,
    venue,
    days,
    capacity,
    price=None,
    booking_closes_at=None,
    trainer=None,
    joining_instructions="",
    is_in_house=False,
):
    """Schedule a session. `days` is a list of (start, end) zone-aware datetimes, one per day.

    With a trainer, the trainer is locked and checked free on those days (trainers/services.py)
    before anything is saved."""
    if not days:
        raise ValidationError({"days": "A session needs at least one day."})
    days = sorted(days)
    if trainer is not None:
        trainer = trainer_lock(trainer)
        trainer_check_free(trainer=trainer, days=days, course=course)
    session = CourseSession(
        course=course,
        venue=venue,
        starts_at=days[0][0],
        ends_at=days[-1][1],
        capacity=capacity,
        price=price,
        booking_closes_at=booking_closes_at,
        trainer=trainer,
        joining_instructions=joining_instructions,
        is_in_house=is_in_house,
    )
    if session.price is None:
        session.price = course.price
    if session.booking_closes_at is None:
        session.booking_closes_at = session.starts_at - settings.BOOKING_CLOSES_BEFORE_START
    session.full_clean()
    session.save()
    for start, end in days:
        day = SessionDay(session=session, starts_at=start, ends_at=end)
        day.full_clean(exclude=["session"])
        day.save()
    return session


def session_sync_span(session):
    """Keep the session's start and end in step with its days (after the admin edits days)."""
    days = list(session.days.order_by("starts_at"))
    if days:
        session.starts_at, session.ends_at = days[0].starts_at, days[-1].ends_at
        session.save(update_fields=["starts_at", "ends_at", "updated_at"])


@transaction.atomic
def session_change_capacity(*, session, capacity, actor="staff"):
    session = seats.lock_session(session.pk)
    taken = seats.seats_taken(session)
    if capacity < taken:
        raise ValidationError({"capacity": f"{taken} seats are already booked; the capacity cannot go below that."})
    previous = session.capacity
    session.capacity = capacity
    session.full_clean()
    session.save(update_fields=["capacity", "updated_at"])
    waitlist_promote(session=session, actor=actor)
    if capacity != previous:
        _webhook("session.seats_changed", session, change="capacity_changed")
    return session


def _webhook(event_type, session, *, change):
    """A session-level webhook event, once per change (partners/webhooks.py)."""
    from partners.webhooks import webhooks_session_event  # partners reads sessions

    webhooks_session_event(event_type, session, change=change)


@transaction.atomic
def session_cancel(*, session, reason="", actor="staff"):
    """Cancel the session and every active booking on it."""
    session = seats.lock_session(session.pk)
    if session.is_cancelled:
        return session
    prefetch_related_objects([session], "days")  # read once for every email below
    session.status = SessionStatus.CANCELLED
    session.cancelled_reason = reason
    session.save(update_fields=["status", "cancelled_reason", "updated_at"])
    bookings = list(
        session.bookings.exclude(status=BookingStatus.CANCELLED).select_related("session").prefetch_related("delegates")
    )
    previous = {booking.pk: booking.status for booking in bookings}
    session.bookings.filter(pk__in=previous).update(
        status=BookingStatus.CANCELLED, cancelled_reason="The session was cancelled.", updated_at=timezone.now()
    )
    # Every delegate's notice is written in one bulk insert, in this transaction.
    with notifications.batch():
        for booking in bookings:
            booking.status = BookingStatus.CANCELLED
            booking.cancelled_reason = "The session was cancelled."
            booking.session = session
            seats.record(
                booking,
                BookingEvent.Kind.SESSION_CANCELLED,
                f"Session cancelled{': ' + reason if reason else ''}.",
                actor=actor,
                previous_status=previous[booking.pk],
            )
    _webhook("session.cancelled", session, change="cancelled")
    return session


def session_schedule(session):
    """What delegates' calendars depend on: the days and the venue."""
    return {
        "days": [(day.starts_at.isoformat(), day.ends_at.isoformat()) for day in session.days.all()],
        "venue_id": session.venue_id,
        "dates": _dates_text(session),
        "venue": str(session.venue),
    }


def _dates_text(session):
    return dates_text(session_days(session))


@transaction.atomic
def session_schedule_changed(*, session, previous, actor="staff"):
    """After the days or venue of a session were edited: raise the invite sequence and tell
    everyone booked (updated invites to delegates, a notice to bookers). `previous` is
    session_schedule() taken before the edit. Returns True if anything had changed."""
    session = seats.lock_session(session.pk)
    if session.is_cancelled:
        return False
    prefetch_related_objects([session], "days")  # read once for every email below
    current = session_schedule(session)
    if (current["days"], current["venue_id"]) == (previous["days"], previous["venue_id"]):
        return False
    session.ics_sequence += 1
    session.save(update_fields=["ics_sequence", "updated_at"])
    what = []
    if current["days"] != previous["days"]:
        what.append("moved")
    if current["venue_id"] != previous["venue_id"]:
        what.append("venue changed")
    bookings = session.bookings.exclude(status=BookingStatus.CANCELLED).prefetch_related("delegates")
    with notifications.batch():
        for booking in bookings:
            booking.session = session
            seats.record(
                booking,
                BookingEvent.Kind.SESSION_CHANGED,
                f"Session {' and '.join(what)}: was {previous['dates']} at {previous['venue']}.",
                actor=actor,
                previous_dates=previous["dates"],
                previous_venue=previous["venue"],
                previous_days=previous["days"],
                dates_changed=current["days"] != previous["days"],
                venue_changed=current["venue_id"] != previous["venue_id"],
            )
    _webhook("session.changed", session, change="_and_".join(what).replace(" ", "_"))
    return True
