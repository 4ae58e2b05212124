"""The periodic task that frees the seats of "PO to follow" bookings past their deadline."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from booking.models import Booking, BookingEvent, BookingStatus
from booking.tasks import release_expired_po_holds
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def expire(booking):
    Booking.objects.filter(pk=booking.pk).update(po_deadline=timezone.now() - timedelta(minutes=1))


def status_of(booking):
    booking.refresh_from_db()
    return booking.status


def test_the_task_is_scheduled_by_beat():
    assert release_expired_po_holds.name == "booking.tasks.release_expired_po_holds"
    assert release_expired_po_holds.name in {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def test_the_task_releases_expired_holds_and_promotes_the_waiting_list():
    session = make_session(capacity=3)
    hold = make_booking(session, count=3, po_to_follow=True)
    waiting = make_booking(session, count=3, join_waitlist=True)
    expire(hold)

    result = release_expired_po_holds.apply()

    assert result.successful()
    assert result.get() == 1
    assert status_of(hold) == BookingStatus.CANCELLED
    assert status_of(waiting) == BookingStatus.CONFIRMED
    assert hold.events.filter(kind=BookingEvent.Kind.PO_EXPIRED).count() == 1


def test_running_the_task_twice_releases_once():
    hold = make_booking(make_session(), po_to_follow=True)
    expire(hold)

    assert release_expired_po_holds() == 1
    assert release_expired_po_holds.apply().get() == 0
    assert hold.events.filter(kind=BookingEvent.Kind.PO_EXPIRED).count() == 1


def test_the_task_leaves_holds_before_their_deadline_and_bookings_with_a_po():
    session = make_session(capacity=5)
    hold = make_booking(session, count=2, po_to_follow=True)
    confirmed = make_booking(session, count=1)
    waiting = make_booking(session, count=3, join_waitlist=True)

    assert release_expired_po_holds.apply().get() == 0

    assert status_of(hold) == BookingStatus.AWAITING_PO
    assert status_of(confirmed) == BookingStatus.CONFIRMED
    assert status_of(waiting) == BookingStatus.WAITLISTED


def test_one_release_does_not_stop_the_others():
    holds = [make_booking(make_session(capacity=2), count=2, po_to_follow=True) for _ in range(3)]
    for hold in holds:
        expire(hold)

    assert release_expired_po_holds.apply().get() == 3
    assert [status_of(hold) for hold in holds] == [BookingStatus.CANCELLED] * 3
