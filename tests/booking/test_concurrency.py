"""Simultaneous booking requests against a live server on PostgreSQL.

Each request runs in its own server thread with its own database connection, as in production.
Both tests widen the race window the same way (a pause after counting seats), so the control
test, with the session lock removed, shows the oversell the lock prevents.
"""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from booking import services
from booking.models import SEAT_HOLDING, Booking, CourseSession, Delegate
from core.models import IdempotencyKey
from tests.factories import make_session

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SEATS = 5
REQUESTS = 20
WINDOW = 0.2  # seconds between counting the seats and writing the booking


@pytest.fixture
def bookings_url(require_postgres, transactional_db, request):
    # Asked for only once PostgreSQL is known to be there, so a skipped run starts no server.
    live_server = request.getfixturevalue("live_server")
    return live_server.url + "/api/v1/bookings/"


@pytest.fixture
def wide_window(monkeypatch, settings):
    real_seats_taken = services.seats.seats_taken

    def seats_taken_then_pause(session):
        taken = real_seats_taken(session)
        time.sleep(WINDOW)
        return taken

    monkeypatch.setattr(services.seats, "seats_taken", seats_taken_then_pause)
    # The requests queue behind the lock for about REQUESTS * WINDOW; let them wait that long.
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000


def body(session, n):
    return {
        "session": session.pk,
        "organisation": f"Trust {n}",
        "organisation_type": "nhs",
        "contact_name": "Sam Booker",
        "contact_email": f"booker{n}@example.org",
        "contact_phone": "01473 555 012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "purchase_order": f"PO-{n}",
        "delegates": [{"name": f"Delegate {n}", "email": f"delegate{n}@example.org"}],
        "accept_terms": True,
    }


def fire(url, bodies, *, key=None):
    """POST every body at once from its own thread; returns [(status, json, replayed)] in the same order."""
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)

    def send(index, data):
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        request = urllib.request.Request(url, data=json.dumps(data).encode(), headers=headers, method="POST")
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                replayed = response.headers.get("Idempotent-Replayed") == "true"
                results[index] = (response.status, json.loads(response.read()), replayed)
        except urllib.error.HTTPError as exc:
            results[index] = (exc.code, json.loads(exc.read() or b"null"), False)
        except Exception as exc:  # reported by the assertion below
            results[index] = (None, repr(exc), False)

    threads = [threading.Thread(target=send, args=(index, data)) for index, data in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(result is not None and result[0] is not None for result in results), results
    return results


def seats_taken_in_db(session):
    return Delegate.objects.filter(booking__session=session, booking__status__in=SEAT_HOLDING).count()


def test_simultaneous_bookings_never_oversell(bookings_url, wide_window):
    session = make_session(capacity=SEATS)
    started = time.monotonic()

    results = fire(bookings_url, [body(session, n) for n in range(REQUESTS)])

    booked = [answer for status, answer, _replayed in results if status == 201]
    refused = [answer for status, answer, _replayed in results if status == 409]
    assert len(booked) == SEATS, results
    assert {answer["status"] for answer in booked} == {"unconfirmed"}  # held until the emails are confirmed
    assert len(refused) == REQUESTS - SEATS, results
    assert {(answer["code"], answer["seats_remaining"]) for answer in refused} == {("insufficient_seats", 0)}
    assert seats_taken_in_db(session) == SEATS
    assert Booking.objects.filter(session=session).count() == SEATS
    # Proof that they really queued: each held the lock for the whole window.
    assert time.monotonic() - started >= REQUESTS * WINDOW


def test_control_without_the_lock_the_same_race_oversells(bookings_url, wide_window, monkeypatch):
    def unlocked(session_id):
        return CourseSession.objects.select_related("course", "venue").get(pk=session_id)

    monkeypatch.setattr(services.seats, "lock_session", unlocked)
    session = make_session(capacity=SEATS)

    results = fire(bookings_url, [body(session, n) for n in range(REQUESTS)])

    booked = [answer for status, answer, _replayed in results if status == 201]
    assert len(booked) > SEATS, results
    taken = seats_taken_in_db(session)
    assert taken > SEATS, f"{taken} seats taken of {SEATS}"


def test_simultaneous_retries_with_one_idempotency_key_book_once(bookings_url, wide_window):
    session = make_session(capacity=SEATS)

    results = fire(bookings_url, [body(session, 0)] * 10, key="same-key-0001")

    assert {status for status, _answer, _replayed in results} == {201}, results
    assert len({answer["reference"] for _status, answer, _replayed in results}) == 1
    # One did the work; the others waited on the key and replayed its answer.
    assert sum(replayed for _status, _answer, replayed in results) == 9
    assert Booking.objects.filter(session=session).count() == 1
    assert IdempotencyKey.objects.count() == 1
