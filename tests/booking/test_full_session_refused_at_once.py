"""A rush for the last seats: once a session is full, a booking for it is refused at once, not
after queueing for the session's lock behind the bookings that filled it."""

import threading

import pytest
from django.db import connections, transaction

from booking import services
from booking.services.seats import InsufficientSeats
from tests.factories import make_booking, make_session

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _hold_the_session_lock(session_id, locked, release):
    try:
        with transaction.atomic():
            services.seats.lock_session(session_id)
            locked.set()
            release.wait(timeout=30)
    finally:
        connections.close_all()


@pytest.mark.parametrize("full", [True, False], ids=["full: refused at once", "seats left: waits its turn"])
def test_a_booking_for_a_full_session_does_not_wait_for_the_lock(require_postgres, settings, full):
    # Were a booking to queue for the lock, it would fail with a lock timeout after 1 s instead.
    settings.BOOKING_LOCK_TIMEOUT_MS = 1000
    session = make_session(capacity=2)
    if full:
        make_booking(session, count=2)
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_the_session_lock, args=(session.pk, locked, release))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        if full:
            with pytest.raises(InsufficientSeats) as refused:
                make_booking(session, count=1, prefix="late")
            assert refused.value.seats_remaining == 0
        else:
            with pytest.raises(Exception, match="lock timeout"):
                make_booking(session, count=1, prefix="late")
    finally:
        release.set()
        holder.join(timeout=30)
