"""Every seat and booking rule of issue 3, through the real services."""

import re
from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from booking import services
from booking.models import (
    REFERENCE_ALPHABET,
    Booking,
    BookingEvent,
    BookingStatus,
    CourseSession,
    Delegate,
    SessionStatus,
    new_reference,
)
from booking.services import BookingNotChangeable, DelegateData, InsufficientSeats, SessionNotBookable
from core import business_hours
from tests.factories import CourseFactory, VenueFactory, delegates, london, make_booking, make_session

pytestmark = pytest.mark.django_db

Kind = BookingEvent.Kind


def status_of(booking):
    booking.refresh_from_db()
    return booking.status


def written():
    """What a booking writes, to prove a refused one wrote nothing."""
    return Booking.objects.count(), Delegate.objects.count(), BookingEvent.objects.count()


def kinds(booking):
    return list(booking.events.values_list("kind", flat=True))


def session_starting(delta, *, capacity=10, **kwargs):
    """A one-day session starting `delta` from now, through the real service."""
    start = timezone.now() + delta
    return services.session_create(
        course=CourseFactory(),
        venue=VenueFactory(),
        days=[(start, start + timedelta(hours=7))],
        capacity=capacity,
        **kwargs,
    )


def close_booking(session):
    """Booking has closed but the session has not started yet."""
    CourseSession.objects.filter(pk=session.pk).update(booking_closes_at=timezone.now() - timedelta(minutes=5))
    session.refresh_from_db()


def booker(**overrides):
    """Everything booking_create needs besides the session, exactly as given."""
    fields = {
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "contact_name": "Sam Booker",
        "contact_email": "sam.booker@example.org",
        "contact_phone": "01473 555012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "accept_terms": True,
        "delegates": delegates(1, prefix="solo"),
    }
    return {**fields, **overrides}


def person(name):
    return DelegateData(name=name, email=f"{name.lower().replace(' ', '.')}@example.org", job_role="Porter")


# Seats ---------------------------------------------------------------------------------------


def test_seats_taken_counts_delegates_on_confirmed_and_awaiting_po_bookings_only():
    session = make_session(capacity=10)
    make_booking(session, count=2)
    make_booking(session, count=1, po_to_follow=True)
    services.booking_cancel(booking=make_booking(session, count=3))
    waiting = make_booking(session, count=8, join_waitlist=True)

    assert status_of(waiting) == BookingStatus.WAITLISTED
    assert services.seats_taken(session) == 3
    assert services.seats_remaining(session) == 7


def test_a_waitlisted_booking_holds_no_seats():
    session = make_session(capacity=4)
    waiting = make_booking(session, count=5, join_waitlist=True)

    later = make_booking(session, count=4)

    assert status_of(waiting) == BookingStatus.WAITLISTED
    assert later.status == BookingStatus.CONFIRMED
    assert services.seats_remaining(session) == 0


def test_join_waitlist_with_room_gets_a_firm_place():
    session = make_session(capacity=4)
    booking = make_booking(session, count=4, join_waitlist=True)
    assert booking.status == BookingStatus.CONFIRMED


def test_join_the_waiting_list_when_too_few_seats():
    session = make_session(capacity=3)
    make_booking(session, count=2)

    booking = make_booking(session, count=2, po_to_follow=True, join_waitlist=True)

    assert booking.status == BookingStatus.WAITLISTED
    assert booking.po_deadline is None  # holds nothing, so nothing to expire
    assert booking.delegates.count() == 2
    assert kinds(booking) == [Kind.WAITLISTED]
    assert services.seats_taken(session) == 2


@pytest.mark.parametrize(
    ("booked", "asked", "left", "says"),
    [(3, 3, 2, "Only 2 seats left"), (4, 2, 1, "Only 1 seat left"), (5, 1, 0, "fully booked")],
)
def test_too_few_seats_says_how_many_are_left_and_writes_nothing(booked, asked, left, says):
    session = make_session(capacity=5)
    make_booking(session, count=booked)
    before = written()

    with pytest.raises(InsufficientSeats) as refused:
        make_booking(session, count=asked)

    assert refused.value.code == "insufficient_seats"
    assert refused.value.seats_remaining == left
    assert refused.value.extra == {"seats_remaining": left}
    assert says in refused.value.message
    assert "waiting list" in refused.value.message
    assert written() == before


# All or nothing --------------------------------------------------------------------------------


def test_a_booking_with_one_invalid_delegate_is_refused_naming_the_delegate():
    session = make_session(capacity=10)
    rows = delegates(3)
    rows[1].email = "not-an-email"

    with pytest.raises(ValidationError) as refused:
        make_booking(session, delegates=rows)

    about_delegate = {key: value for key, value in refused.value.message_dict.items() if "delegates[1]" in key}
    assert about_delegate
    assert "email" in str(about_delegate)
    assert written() == (0, 0, 0)


def test_a_booking_with_one_invalid_delegate_writes_nothing():
    session = make_session(capacity=10)
    rows = delegates(3)
    rows[1].email = "not-an-email"

    # Exception, not ValidationError: see the BUG above; whatever it raises, nothing may be written.
    with pytest.raises(Exception):  # noqa: B017
        make_booking(session, delegates=rows)

    assert written() == (0, 0, 0)


def test_a_booking_for_more_delegates_than_seats_is_not_partly_made():
    session = make_session(capacity=2)

    with pytest.raises(InsufficientSeats):
        make_booking(session, count=3)

    assert written() == (0, 0, 0)
    assert services.seats_remaining(session) == 2


def test_a_booking_needs_at_least_one_delegate():
    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), delegates=[])
    assert "delegates" in refused.value.message_dict
    assert written() == (0, 0, 0)


def test_terms_must_be_accepted():
    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), accept_terms=False)
    assert "accept_terms" in refused.value.message_dict
    assert written() == (0, 0, 0)


def test_a_failure_after_the_rows_are_written_rolls_the_whole_booking_back(monkeypatch):
    session = make_session(capacity=10)

    def fail(event):
        raise RuntimeError("notification hook failed")

    monkeypatch.setattr("booking.notifications.booking_event", fail)
    with pytest.raises(RuntimeError):
        make_booking(session, count=3)

    assert written() == (0, 0, 0)
    assert services.seats_remaining(session) == 10


# Purchase orders and the PO hold ------------------------------------------------------------------


def test_a_booking_made_with_a_po_is_confirmed_at_once():
    booking = make_booking(make_session(), purchase_order=" PO-77/2026 ")

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purchase_order == "PO-77/2026"
    assert booking.po_to_follow is False
    assert booking.po_deadline is None


def test_po_to_follow_holds_seats_until_close_of_business_within_po_hold_days(settings):
    session = make_session(starts_in_days=30, capacity=5)
    before = timezone.now()
    booking = make_booking(session, count=2, po_to_follow=True)

    assert booking.status == BookingStatus.AWAITING_PO
    assert booking.po_to_follow is True
    local = timezone.localtime(booking.po_deadline)
    assert (local.hour, local.minute) == (17, 0)
    assert business_hours.is_working_day(local.date())
    assert settings.PO_HOLD_DAYS == 7
    # The latest close of business within the 7 days: at most 4 days earlier (Christmas, Easter).
    assert before + timedelta(days=3) < booking.po_deadline <= before + timedelta(days=7)
    assert services.seats_remaining(session) == 3


def at(*args):
    return london(*args)


@pytest.mark.parametrize(
    ("now", "starts", "expected"),
    [
        # Booked at 02:00 on a Wednesday: 7 days on is 02:00, so the day before at 17:00.
        (at(2026, 12, 2, 2, 0), at(2027, 1, 20, 9, 30), at(2026, 12, 8, 17, 0)),
        # 7 days on is Monday 28 December 2026 (a bank holiday), then a weekend, then Christmas Day.
        (at(2026, 12, 21, 10, 0), at(2027, 1, 20, 9, 30), at(2026, 12, 24, 17, 0)),
        # On a Saturday: 7 days on is a Saturday, so Friday 17:00.
        (at(2026, 12, 5, 11, 0), at(2027, 1, 20, 9, 30), at(2026, 12, 11, 17, 0)),
        # Booking closes on Monday 09:30: the close of business before it, on Friday.
        (at(2026, 12, 3, 10, 0), at(2026, 12, 8, 9, 30), at(2026, 12, 4, 17, 0)),
        # Friday evening with booking closing on Monday morning: no working afternoon is left,
        # so the places are held until booking closes.
        (at(2026, 12, 4, 18, 0), at(2026, 12, 8, 9, 30), at(2026, 12, 7, 9, 30)),
        # Five minutes before 17:00 with booking closing tomorrow morning: held until then, not 17:00.
        (at(2026, 12, 2, 16, 55), at(2026, 12, 4, 10, 0), at(2026, 12, 3, 10, 0)),
        # Earlier the same afternoon there is time enough: 17:00 today.
        (at(2026, 12, 2, 12, 0), at(2026, 12, 4, 10, 0), at(2026, 12, 2, 17, 0)),
    ],
    ids=["night", "christmas", "weekend", "booking-close", "nothing-left", "minutes-to-close", "afternoon"],
)
def test_the_po_deadline_is_close_of_business_on_a_working_day(now, starts, expected):
    session = CourseSession(starts_at=starts, booking_closes_at=starts - timedelta(hours=24))
    assert services.seats.po_deadline(session, now) == expected


def test_po_hold_never_runs_past_booking_close():
    session = make_session(starts_in_days=3)
    assert session.booking_closes_at < timezone.now() + timedelta(days=7)

    booking = make_booking(session, po_to_follow=True)

    assert timezone.now() < booking.po_deadline <= session.booking_closes_at


def test_po_hold_days_is_configurable(settings):
    settings.PO_HOLD_DAYS = 3
    before = timezone.now()
    booking = make_booking(make_session(starts_in_days=30), po_to_follow=True)
    assert booking.po_deadline <= before + timedelta(days=3)
    assert timezone.localtime(booking.po_deadline).hour == 17


def test_time_left_is_never_rounded_up():
    from booking.emails import time_left_text

    assert time_left_text(timedelta(days=2, hours=23, minutes=59)) == "2 days"
    assert time_left_text(timedelta(days=1)) == "1 day"
    assert time_left_text(timedelta(hours=23, minutes=59)) == "23 hours"
    assert time_left_text(timedelta(minutes=61)) == "1 hour"
    assert time_left_text(timedelta(minutes=59, seconds=59)) == "59 minutes"
    assert time_left_text(timedelta(seconds=-5)) == "0 minutes"


def test_a_po_and_po_to_follow_together_are_refused():
    # make_booking blanks the PO when po_to_follow is set, so call the service with both.
    with pytest.raises(ValidationError) as refused:
        services.booking_create(session=make_session(), **booker(purchase_order="PO-1", po_to_follow=True))
    assert "po_to_follow" in refused.value.message_dict
    assert written() == (0, 0, 0)


def test_neither_a_po_nor_po_to_follow_is_refused():
    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), purchase_order="   ", po_to_follow=False)
    assert "purchase_order" in refused.value.message_dict
    assert written() == (0, 0, 0)


def test_adding_the_po_confirms_the_booking_and_keeps_its_seats():
    session = make_session(capacity=4)
    booking = make_booking(session, count=2, po_to_follow=True)

    services.booking_add_po(booking=booking, purchase_order=" 4500012345 ")

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purchase_order == "4500012345"
    assert booking.po_to_follow is False
    assert booking.po_deadline is None
    assert kinds(booking) == [Kind.CREATED, Kind.PO_ADDED]
    assert services.seats_remaining(session) == 2


def test_a_blank_po_is_refused_and_the_hold_stays():
    booking = make_booking(make_session(), po_to_follow=True)
    with pytest.raises(ValidationError):
        services.booking_add_po(booking=booking, purchase_order="  ")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO
    assert booking.po_deadline is not None
    assert kinds(booking) == [Kind.CREATED]


def test_a_po_hold_is_released_only_after_its_deadline():
    session = make_session(capacity=4)
    booking = make_booking(session, count=2, po_to_follow=True)
    deadline = booking.po_deadline

    assert services.po_holds_release_expired(now=deadline - timedelta(seconds=1)) == 0
    assert services.po_holds_release_expired(now=deadline) == 0
    assert status_of(booking) == BookingStatus.AWAITING_PO

    assert services.po_holds_release_expired(now=deadline + timedelta(seconds=1)) == 1

    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert "purchase order" in booking.cancelled_reason
    assert kinds(booking) == [Kind.CREATED, Kind.PO_EXPIRED]
    assert booking.events.last().actor == "system"
    assert services.seats_remaining(session) == 4


def test_releasing_expired_holds_twice_releases_once():
    booking = make_booking(make_session(), po_to_follow=True)
    Booking.objects.filter(pk=booking.pk).update(po_deadline=timezone.now() - timedelta(minutes=1))

    assert services.po_holds_release_expired() == 1
    assert services.po_holds_release_expired() == 0
    assert kinds(booking) == [Kind.CREATED, Kind.PO_EXPIRED]


def test_expiry_leaves_confirmed_bookings_and_holds_with_time_left_alone():
    session = make_session(capacity=10)
    confirmed = make_booking(session)
    fresh = make_booking(session, po_to_follow=True)
    paid_late = make_booking(session, po_to_follow=True)
    services.booking_add_po(booking=paid_late, purchase_order="PO-LATE")
    Booking.objects.filter(pk=paid_late.pk).update(po_deadline=timezone.now() - timedelta(days=1))

    assert services.po_holds_release_expired() == 0
    assert status_of(confirmed) == BookingStatus.CONFIRMED
    assert status_of(fresh) == BookingStatus.AWAITING_PO
    assert status_of(paid_late) == BookingStatus.CONFIRMED


# Waiting list: order and fit ------------------------------------------------------------------------


def test_waiting_bookings_are_promoted_oldest_first():
    session = make_session(capacity=2)
    full = make_booking(session, count=2)
    first_in_line = make_booking(session, count=2, join_waitlist=True)
    second_in_line = make_booking(session, count=2, join_waitlist=True)
    # The order is the time of joining, not the row id.
    Booking.objects.filter(pk=second_in_line.pk).update(created_at=first_in_line.created_at - timedelta(minutes=5))

    services.booking_cancel(booking=full)

    assert status_of(second_in_line) == BookingStatus.CONFIRMED
    assert status_of(first_in_line) == BookingStatus.WAITLISTED


def test_a_big_waiting_booking_that_does_not_fit_is_skipped_for_a_smaller_later_one():
    session = make_session(capacity=4)
    make_booking(session, count=2)
    leaving = make_booking(session, count=2)
    big = make_booking(session, count=3, join_waitlist=True)
    small = make_booking(session, count=2, join_waitlist=True)

    services.booking_cancel(booking=leaving)

    assert status_of(big) == BookingStatus.WAITLISTED
    assert status_of(small) == BookingStatus.CONFIRMED
    assert services.seats_remaining(session) == 0


def test_promotion_fills_the_freed_seats_with_every_booking_that_fits_in_order():
    session = make_session(capacity=4)
    full = make_booking(session, count=4)
    three = make_booking(session, count=3, join_waitlist=True)
    two = make_booking(session, count=2, join_waitlist=True)
    one = make_booking(session, count=1, join_waitlist=True)

    services.booking_cancel(booking=full)

    assert [status_of(b) for b in (three, two, one)] == [
        BookingStatus.CONFIRMED,
        BookingStatus.WAITLISTED,
        BookingStatus.CONFIRMED,
    ]
    assert services.seats_taken(session) == 4


def test_a_promoted_booking_with_po_to_follow_gets_a_po_hold_and_one_with_a_po_is_confirmed():
    session = make_session(capacity=3)
    full = make_booking(session, count=3)
    with_po = make_booking(session, count=1, join_waitlist=True)
    po_later = make_booking(session, count=1, po_to_follow=True, join_waitlist=True)

    services.booking_cancel(booking=full)

    with_po.refresh_from_db()
    po_later.refresh_from_db()
    assert (with_po.status, with_po.po_deadline) == (BookingStatus.CONFIRMED, None)
    assert po_later.status == BookingStatus.AWAITING_PO
    assert timezone.now() < po_later.po_deadline <= session.booking_closes_at
    for booking in (with_po, po_later):
        event = booking.events.get(kind=Kind.PROMOTED)
        assert event.actor == "system"
        assert event.data == {"status": booking.status}


# Promotion: each trigger, and not when it doesn't fit ----------------------------------------------


def test_cancelling_a_booking_promotes_the_waiting_list():
    session = make_session(capacity=2)
    booking = make_booking(session, count=2)
    waiting = make_booking(session, count=2, join_waitlist=True)

    services.booking_cancel(booking=booking)

    assert status_of(waiting) == BookingStatus.CONFIRMED
    assert kinds(waiting) == [Kind.WAITLISTED, Kind.PROMOTED]


def test_removing_a_delegate_promotes_the_waiting_list():
    session = make_session(capacity=3)
    booking = make_booking(session, count=3)
    waiting = make_booking(session, count=1, join_waitlist=True)

    services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)

    assert status_of(waiting) == BookingStatus.CONFIRMED
    assert services.seats_taken(session) == 3


def test_more_capacity_promotes_the_waiting_list_once_it_fits():
    session = make_session(capacity=2)
    make_booking(session, count=2)
    waiting = make_booking(session, count=2, join_waitlist=True)

    services.session_change_capacity(session=session, capacity=3, actor="staff:olivia")
    assert status_of(waiting) == BookingStatus.WAITLISTED

    services.session_change_capacity(session=session, capacity=4, actor="staff:olivia")
    assert status_of(waiting) == BookingStatus.CONFIRMED
    assert waiting.events.get(kind=Kind.PROMOTED).actor == "staff:olivia"


def test_an_expired_po_hold_promotes_the_waiting_list():
    session = make_session(capacity=3)
    hold = make_booking(session, count=3, po_to_follow=True)
    waiting = make_booking(session, count=2, join_waitlist=True)
    Booking.objects.filter(pk=hold.pk).update(po_deadline=timezone.now() - timedelta(minutes=1))

    assert services.po_holds_release_expired() == 1

    assert status_of(hold) == BookingStatus.CANCELLED
    assert status_of(waiting) == BookingStatus.CONFIRMED


def test_freed_seats_that_are_too_few_promote_nobody():
    session = make_session(capacity=3)
    one = make_booking(session, count=1)
    make_booking(session, count=2)
    waiting = make_booking(session, count=2, join_waitlist=True)

    services.booking_cancel(booking=one)

    assert status_of(waiting) == BookingStatus.WAITLISTED
    assert kinds(waiting) == [Kind.WAITLISTED]
    assert services.seats_remaining(session) == 1


def test_cancelling_a_waitlisted_booking_frees_no_seats_and_promotes_nobody_else():
    session = make_session(capacity=2)
    make_booking(session, count=2)
    waiting = make_booking(session, count=1, join_waitlist=True)
    behind = make_booking(session, count=1, join_waitlist=True)

    services.booking_cancel(booking=waiting)

    assert status_of(behind) == BookingStatus.WAITLISTED
    assert services.seats_remaining(session) == 0


def test_a_waiting_booking_that_shrinks_to_fit_the_free_seats_is_promoted():
    session = make_session(capacity=4)
    make_booking(session, count=2)
    waiting = make_booking(session, count=3, join_waitlist=True)

    services.booking_remove_delegate(booking=waiting, delegate_id=waiting.delegates.first().pk)

    assert status_of(waiting) == BookingStatus.CONFIRMED


def test_a_po_hold_capped_at_booking_close_still_passes_its_seats_to_the_waiting_list():
    session = make_session(starts_in_days=3, capacity=2)
    hold = make_booking(session, count=2, po_to_follow=True)
    waiting = make_booking(session, count=2, join_waitlist=True)
    assert hold.po_deadline <= session.booking_closes_at

    # The periodic task runs just after the deadline, which is the moment booking closes.
    CourseSession.objects.filter(pk=session.pk).update(booking_closes_at=timezone.now() - timedelta(minutes=1))
    Booking.objects.filter(pk=hold.pk).update(po_deadline=timezone.now() - timedelta(minutes=1))
    assert services.po_holds_release_expired() == 1

    assert status_of(waiting) in (BookingStatus.CONFIRMED, BookingStatus.AWAITING_PO)


# Booking close, past and cancelled sessions ----------------------------------------------------------


def test_booking_closes_24_hours_before_the_start_by_default():
    session = make_session(starts_in_days=10)
    assert session.booking_closes_at == session.starts_at - timedelta(hours=24)


def test_an_explicit_booking_close_is_kept():
    closes = timezone.now() + timedelta(days=5)
    session = make_session(starts_in_days=10, booking_closes_at=closes)
    session.refresh_from_db()
    assert session.booking_closes_at == closes


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: session_starting(timedelta(hours=12)), "session_closed"),
        (lambda: session_starting(timedelta(days=-2)), "session_past"),
        (lambda: session_starting(timedelta(hours=-1)), "session_past"),
    ],
    ids=["closed-12h-before-start", "past", "started"],
)
def test_closed_and_past_sessions_cannot_be_booked_even_on_the_waiting_list(make, code):
    session = make()

    for join_waitlist in (False, True):
        with pytest.raises(SessionNotBookable) as refused:
            make_booking(session, join_waitlist=join_waitlist)
        assert refused.value.code == code

    assert written() == (0, 0, 0)


def test_a_session_that_closes_in_a_minute_can_still_be_booked():
    session = session_starting(timedelta(hours=24, minutes=1))
    assert make_booking(session).status == BookingStatus.CONFIRMED


def test_a_cancelled_session_cannot_be_booked():
    session = make_session()
    services.session_cancel(session=session, reason="Trainer unwell")

    with pytest.raises(SessionNotBookable) as refused:
        make_booking(session)

    assert refused.value.code == "session_cancelled"
    assert "cancelled" in refused.value.message
    assert written() == (0, 0, 0)


# Cancelling a session -----------------------------------------------------------------------------


def test_cancelling_a_session_cancels_every_active_booking_and_records_why():
    session = make_session(capacity=3)
    confirmed = make_booking(session, count=2)
    awaiting = make_booking(session, count=1, po_to_follow=True)
    waiting = make_booking(session, count=2, join_waitlist=True)
    earlier = make_booking(session, count=1, join_waitlist=True)
    services.booking_cancel(booking=earlier, reason="Changed our plans")

    services.session_cancel(session=session, reason="Venue flooded", actor="staff:olivia")

    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert session.cancelled_reason == "Venue flooded"
    for booking, previous in ((confirmed, "confirmed"), (awaiting, "awaiting_po"), (waiting, "waitlisted")):
        assert status_of(booking) == BookingStatus.CANCELLED
        event = booking.events.get(kind=Kind.SESSION_CANCELLED)
        assert event.actor == "staff:olivia"
        assert event.data == {"previous_status": previous}
        assert "Venue flooded" in event.description
    earlier.refresh_from_db()
    assert earlier.cancelled_reason == "Changed our plans"
    assert not earlier.events.filter(kind=Kind.SESSION_CANCELLED).exists()
    assert services.seats_taken(session) == 0


def test_cancelling_a_session_twice_changes_nothing_the_second_time():
    session = make_session()
    booking = make_booking(session)
    services.session_cancel(session=session, reason="Venue flooded")
    events = BookingEvent.objects.count()

    services.session_cancel(session=session, reason="Another reason")

    session.refresh_from_db()
    assert session.cancelled_reason == "Venue flooded"
    assert BookingEvent.objects.count() == events
    assert status_of(booking) == BookingStatus.CANCELLED


# Booker changes: close, staff, last delegate, seats, duplicates ----------------------------------------


CHANGES = {
    "add": lambda booking, **kw: services.booking_add_delegates(
        booking=booking, delegates=[person("New Starter")], **kw
    ),
    "remove": lambda booking, **kw: services.booking_remove_delegate(
        booking=booking, delegate_id=booking.delegates.first().pk, **kw
    ),
    "substitute": lambda booking, **kw: services.booking_substitute_delegate(
        booking=booking, delegate_id=booking.delegates.first().pk, replacement=person("Stand In"), **kw
    ),
    "cancel": lambda booking, **kw: services.booking_cancel(booking=booking, **kw),
}


@pytest.mark.parametrize("change", CHANGES)
def test_booker_changes_are_refused_after_booking_closes(change):
    session = make_session(capacity=10)
    booking = make_booking(session, count=2)
    close_booking(session)
    before = written()

    with pytest.raises(BookingNotChangeable) as refused:
        CHANGES[change](booking)

    assert refused.value.code == "session_closed"
    assert "call us" in refused.value.message
    assert written() == before
    assert status_of(booking) == BookingStatus.CONFIRMED


@pytest.mark.parametrize("change", CHANGES)
def test_staff_may_still_change_a_booking_after_booking_closes(change):
    session = make_session(capacity=10)
    booking = make_booking(session, count=2)
    close_booking(session)

    CHANGES[change](booking, by_staff=True, actor="staff:olivia")

    assert booking.events.last().actor == "staff:olivia"


@pytest.mark.parametrize("change", CHANGES)
def test_a_cancelled_booking_cannot_be_changed_even_by_staff(change):
    booking = make_booking(make_session(), count=2)
    services.booking_cancel(booking=booking)

    with pytest.raises(BookingNotChangeable) as refused:
        CHANGES[change](booking, by_staff=True)

    assert refused.value.code == "booking_cancelled"


def test_removing_the_last_delegate_is_refused():
    booking = make_booking(make_session(), count=1)

    with pytest.raises(BookingNotChangeable) as refused:
        services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.get().pk)

    assert refused.value.code == "last_delegate"
    assert booking.delegates.count() == 1
    assert status_of(booking) == BookingStatus.CONFIRMED


def test_a_delegate_from_another_booking_cannot_be_removed():
    session = make_session()
    booking = make_booking(session, count=2)
    other = make_booking(session, count=2)

    with pytest.raises(ValidationError):
        services.booking_remove_delegate(booking=booking, delegate_id=other.delegates.first().pk)

    assert other.delegates.count() == 2


def test_adding_delegates_is_limited_by_the_seats_left():
    session = make_session(capacity=4)
    booking = make_booking(session, count=2)
    make_booking(session, count=1)

    with pytest.raises(InsufficientSeats) as refused:
        services.booking_add_delegates(booking=booking, delegates=[person("Ann Able"), person("Ben Baker")])
    assert refused.value.seats_remaining == 1
    assert booking.delegates.count() == 2

    services.booking_add_delegates(booking=booking, delegates=[person("Ann Able")], actor="booker")

    assert booking.delegates.count() == 3
    assert services.seats_remaining(session) == 0
    event = booking.events.get(kind=Kind.DELEGATE_ADDED)
    assert event.data == {"emails": ["ann.able@example.org"]}


def test_adding_delegates_is_one_change_in_the_history_naming_each_of_them():
    booking = make_booking(make_session(), count=1)
    services.booking_add_delegates(booking=booking, delegates=[person("Ann Able"), person("Ben Baker")])
    assert kinds(booking) == [Kind.CREATED, Kind.DELEGATE_ADDED]
    event = booking.events.get(kind=Kind.DELEGATE_ADDED)
    assert "Ann Able" in event.description and "Ben Baker" in event.description
    assert len(event.data["emails"]) == 2


def test_a_waiting_booking_may_add_delegates_beyond_the_seats_left():
    session = make_session(capacity=2)
    make_booking(session, count=2)
    waiting = make_booking(session, count=1, join_waitlist=True)

    services.booking_add_delegates(booking=waiting, delegates=[person("Ann Able"), person("Ben Baker")])

    assert waiting.delegates.count() == 3
    assert status_of(waiting) == BookingStatus.WAITLISTED


def test_the_same_email_twice_in_one_booking_is_refused_whatever_its_case():
    rows = delegates(2)
    rows[1].email = rows[0].email.upper()

    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), delegates=rows)

    assert "delegates" in refused.value.message_dict
    assert written() == (0, 0, 0)


def test_an_email_already_booked_on_the_session_is_refused_whatever_its_case():
    session = make_session()
    make_booking(session, delegates=[DelegateData(name="Alex Smith", email="Alex.Smith@Example.org")])
    before = written()

    with pytest.raises(ValidationError) as refused:
        make_booking(session, delegates=[DelegateData(name="Alex Smith", email=" alex.smith@EXAMPLE.ORG ")])

    assert "alex.smith@example.org" in refused.value.message_dict["delegates"][0]
    assert written() == before


def test_an_email_on_the_waiting_list_counts_as_booked():
    session = make_session(capacity=1)
    make_booking(session, count=1)
    make_booking(session, delegates=[person("Alex Smith")], join_waitlist=True)

    with pytest.raises(ValidationError):
        make_booking(session, delegates=[person("Alex Smith")], join_waitlist=True)


def test_adding_or_substituting_an_email_already_on_the_session_is_refused():
    session = make_session()
    make_booking(session, delegates=[person("Alex Smith")])
    booking = make_booking(session, count=2)

    with pytest.raises(ValidationError):
        services.booking_add_delegates(
            booking=booking, delegates=[DelegateData(name="Alex", email="ALEX.SMITH@example.org")]
        )
    with pytest.raises(ValidationError):
        services.booking_substitute_delegate(
            booking=booking, delegate_id=booking.delegates.first().pk, replacement=person("Alex Smith")
        )
    with pytest.raises(ValidationError):
        services.booking_add_delegates(booking=booking, delegates=[person("Jo Bloggs"), person("Jo Bloggs")])

    assert booking.delegates.count() == 2
    assert kinds(booking) == [Kind.CREATED]


def test_the_same_email_may_book_another_session():
    make_booking(make_session(), delegates=[person("Alex Smith")])
    booking = make_booking(make_session(), delegates=[person("Alex Smith")])
    assert booking.status == BookingStatus.CONFIRMED


def test_the_same_email_may_book_again_once_the_first_booking_is_cancelled():
    session = make_session()
    first = make_booking(session, delegates=[person("Alex Smith")])
    services.booking_cancel(booking=first)

    again = make_booking(session, delegates=[person("Alex Smith")])

    assert again.status == BookingStatus.CONFIRMED


def test_substituting_a_delegate_keeps_the_seat_and_records_who_replaced_whom():
    session = make_session(capacity=2)
    booking = make_booking(session, delegates=[person("Alex Smith"), person("Bo Brown")])
    alex = booking.delegates.get(email="alex.smith@example.org")

    services.booking_substitute_delegate(
        booking=booking,
        delegate_id=alex.pk,
        replacement=DelegateData(name="Cat Cole", email="cat.cole@example.org", adjustments="Hearing loop"),
    )

    assert services.seats_taken(session) == 2  # a full session: a substitution needs no extra seat
    assert sorted(booking.delegates.values_list("name", flat=True)) == ["Bo Brown", "Cat Cole"]
    alex.refresh_from_db()
    assert (alex.email, alex.adjustments) == ("cat.cole@example.org", "Hearing loop")
    event = booking.events.get(kind=Kind.DELEGATE_SUBSTITUTED)
    assert event.data["old"] == {"name": "Alex Smith", "email": "alex.smith@example.org"}
    assert event.data["new"] == {"name": "Cat Cole", "email": "cat.cole@example.org"}
    assert "Alex Smith" in event.description and "Cat Cole" in event.description
    # The person replaced no longer has a place, so they may be booked again elsewhere on the session.
    services.session_change_capacity(session=session, capacity=3)
    assert make_booking(session, delegates=[person("Alex Smith")]).status == BookingStatus.CONFIRMED


def test_a_delegate_may_be_substituted_by_themselves_with_a_corrected_name():
    booking = make_booking(make_session(), delegates=[person("Alex Smith")])
    delegate = booking.delegates.get()

    services.booking_substitute_delegate(
        booking=booking,
        delegate_id=delegate.pk,
        replacement=DelegateData(name="Alexandra Smith", email="Alex.Smith@example.org"),
    )

    delegate.refresh_from_db()
    assert delegate.name == "Alexandra Smith"


# History --------------------------------------------------------------------------------------------


def test_every_change_is_recorded_with_its_time_and_actor():
    session = make_session(capacity=3)
    start = timezone.now()
    booking = make_booking(session, count=1, po_to_follow=True, actor="booker")
    services.booking_add_delegates(booking=booking, delegates=[person("Ann Able")], actor="booker")
    services.booking_substitute_delegate(
        booking=booking, delegate_id=booking.delegates.first().pk, replacement=person("Ben Baker"), actor="booker"
    )
    services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk, actor="staff:olivia")
    services.booking_add_po(booking=booking, purchase_order="PO-9", actor="booker")
    services.booking_cancel(booking=booking, reason="Budget cut", actor="staff:olivia", by_staff=True)
    end = timezone.now()

    events = list(booking.events.all())
    assert [(e.kind, e.actor) for e in events] == [
        (Kind.CREATED, "booker"),
        (Kind.DELEGATE_ADDED, "booker"),
        (Kind.DELEGATE_SUBSTITUTED, "booker"),
        (Kind.DELEGATE_REMOVED, "staff:olivia"),
        (Kind.PO_ADDED, "booker"),
        (Kind.CANCELLED, "staff:olivia"),
    ]
    times = [e.created_at for e in events]
    assert times == sorted(times)
    assert all(start <= t <= end for t in times)
    assert all(e.description for e in events)
    assert events[-1].data == {"previous_status": "confirmed"}
    assert "Budget cut" in events[-1].description


# Capacity -------------------------------------------------------------------------------------------


def test_capacity_cannot_go_below_the_seats_taken():
    session = make_session(capacity=5)
    make_booking(session, count=2)
    make_booking(session, count=1, po_to_follow=True)
    make_booking(make_session(capacity=5), count=5)  # other sessions do not count

    with pytest.raises(ValidationError) as refused:
        services.session_change_capacity(session=session, capacity=2)

    assert "3 seats" in refused.value.message_dict["capacity"][0]
    session.refresh_from_db()
    assert session.capacity == 5
    services.session_change_capacity(session=session, capacity=3)
    session.refresh_from_db()
    assert session.capacity == 3


def test_waiting_delegates_do_not_stop_the_capacity_going_down():
    session = make_session(capacity=3)
    make_booking(session, count=2)
    make_booking(session, count=4, join_waitlist=True)

    services.session_change_capacity(session=session, capacity=2)

    session.refresh_from_db()
    assert session.capacity == 2


def test_capacity_must_be_at_least_one():
    session = make_session(capacity=3)
    with pytest.raises(ValidationError):
        services.session_change_capacity(session=session, capacity=0)


# Organisation details -------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "stored"), [("RGT", "RGT"), ("RGT01", "RGT01"), (" rgt01 ", "RGT01"), ("", "")])
def test_valid_ods_codes_are_accepted(given, stored):
    booking = make_booking(make_session(), ods_code=given)
    booking.refresh_from_db()
    assert booking.ods_code == stored


@pytest.mark.parametrize("given", ["R!", "TOOLONGODS1", "RG", "RGT 01"])
def test_invalid_ods_codes_are_refused(given):
    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), ods_code=given)
    assert "ods_code" in refused.value.message_dict
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("01473 555012", "+441473555012"),
        ("+44 20 7946 0000", "+442079460000"),
        ("020 7946 0000", "+442079460000"),
        ("07911 123456", "+447911123456"),
    ],
)
def test_uk_phone_numbers_are_accepted_and_stored_in_international_form(given, stored):
    booking = make_booking(make_session(), contact_phone=given)
    booking.refresh_from_db()
    assert str(booking.contact_phone) == stored


@pytest.mark.parametrize("given", ["12345", "01473", "not a number", "+44 1473 55"])
def test_invalid_phone_numbers_are_refused(given):
    with pytest.raises(ValidationError) as refused:
        make_booking(make_session(), contact_phone=given)
    assert "contact_phone" in refused.value.message_dict
    assert written() == (0, 0, 0)


# References -----------------------------------------------------------------------------------------


def test_references_are_eight_characters_easy_to_read_over_the_phone():
    assert not set("0O1I") & set(REFERENCE_ALPHABET)
    pattern = re.compile(rf"^[{REFERENCE_ALPHABET}]{{8}}$")
    assert all(pattern.match(new_reference()) for _ in range(2000))

    session = make_session(capacity=20)
    references = [make_booking(session).reference for _ in range(10)]
    assert all(pattern.match(reference) for reference in references)
    assert len(set(references)) == 10


def test_two_bookings_can_never_share_a_reference():
    session = make_session()
    first, second = make_booking(session), make_booking(session)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=second.pk).update(reference=first.reference)


# Multi-day sessions and time zones -----------------------------------------------------------------


def test_a_multi_day_session_spans_its_first_start_to_its_last_end():
    days = [
        (london(2027, 5, 12), london(2027, 5, 12, 16, 30)),
        (london(2027, 5, 10), london(2027, 5, 10, 16, 30)),  # given out of order
        (london(2027, 5, 11), london(2027, 5, 11, 16, 30)),
    ]
    session = services.session_create(course=CourseFactory(), venue=VenueFactory(), days=days, capacity=12)
    session.refresh_from_db()

    assert session.starts_at == london(2027, 5, 10)
    assert session.ends_at == london(2027, 5, 12, 16, 30)
    assert [timezone.localtime(day.starts_at).date().day for day in session.days.all()] == [10, 11, 12]
    assert session.booking_closes_at == london(2027, 5, 9)


def test_a_session_across_the_march_clock_change_keeps_local_times():
    days = [
        (london(2027, 3, 26), london(2027, 3, 26, 16, 30)),  # Friday, GMT
        (london(2027, 3, 29), london(2027, 3, 29, 16, 30)),  # Monday, BST (clocks went forward on the 28th)
    ]
    session = services.session_create(course=CourseFactory(), venue=VenueFactory(), days=days, capacity=12)
    session.refresh_from_db()

    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    assert (start.hour, start.minute, start.utcoffset()) == (9, 30, timedelta(0))
    assert (end.hour, end.minute, end.utcoffset()) == (16, 30, timedelta(hours=1))
    assert str(start.tzinfo) == "Europe/London"
    local_days = [(timezone.localtime(d.starts_at), timezone.localtime(d.ends_at)) for d in session.days.all()]
    assert [(s.strftime("%Y-%m-%d %H:%M"), e.strftime("%H:%M")) for s, e in local_days] == [
        ("2027-03-26 09:30", "16:30"),
        ("2027-03-29 09:30", "16:30"),
    ]
    # The same wall clock is a different UTC instant either side of the change.
    assert [s.astimezone(UTC).hour for s, _ in local_days] == [9, 8]


def test_a_session_needs_a_day_and_each_day_must_end_after_it_starts():
    with pytest.raises(ValidationError):
        services.session_create(course=CourseFactory(), venue=VenueFactory(), days=[], capacity=5)
    with pytest.raises(ValidationError):
        services.session_create(
            course=CourseFactory(),
            venue=VenueFactory(),
            days=[(london(2027, 5, 10, 16, 30), london(2027, 5, 10, 9, 30))],
            capacity=5,
        )
    assert CourseSession.objects.count() == 0


# Prices ---------------------------------------------------------------------------------------------


def test_the_session_price_defaults_from_the_course_and_each_booking_keeps_its_price():
    course = CourseFactory(price=Decimal("145.00"))
    session = make_session(course=course)
    special = make_session(course=course, price=Decimal("120.00"))
    assert session.price == Decimal("145.00")
    assert special.price == Decimal("120.00")

    booking = make_booking(session, count=2)
    CourseSession.objects.filter(pk=session.pk).update(price=Decimal("199.00"))
    booking.refresh_from_db()

    assert booking.price_per_delegate == Decimal("145.00")
    assert make_booking(session).price_per_delegate == Decimal("199.00")


def test_totals_are_net_vat_at_20_percent_and_gross_in_pounds_and_pence():
    booking = make_booking(make_session(course=CourseFactory(price=Decimal("145.00"))), count=3)

    totals = booking.totals()

    assert totals == {
        "delegates": 3,
        "net": Decimal("435.00"),
        "vat": Decimal("87.00"),
        "gross": Decimal("522.00"),
    }
    assert all(isinstance(totals[key], Decimal) for key in ("net", "vat", "gross"))


def test_vat_is_rounded_to_the_penny():
    booking = make_booking(make_session(price=Decimal("99.99")), count=1)
    assert booking.totals() == {
        "delegates": 1,
        "net": Decimal("99.99"),
        "vat": Decimal("20.00"),
        "gross": Decimal("119.99"),
    }


def test_totals_follow_the_delegates():
    booking = make_booking(make_session(price=Decimal("100.00")), count=2)
    services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.first().pk)
    booking = Booking.objects.get(pk=booking.pk)
    assert booking.totals()["gross"] == Decimal("120.00")


def test_a_booking_for_many_delegates_with_long_names_keeps_a_readable_history():
    session = make_session(capacity=60)
    rows = [
        services.DelegateData(name=f"Delegate With A Rather Long Name Number {n}", email=f"long{n}@example.org")
        for n in range(50)
    ]
    booking = make_booking(session, delegates=rows)
    event = booking.events.get()
    assert len(event.description) <= 500
    assert event.description.startswith("Booked 50 places: Delegate With A Rather Long Name Number 0")
