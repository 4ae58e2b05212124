"""More of a client's staff registering at once than an in-house course has places, as real
requests to a live server on PostgreSQL (each in its own server thread and connection).

As in test_concurrency.py, a pause after counting the seats widens the race window; the control
test takes the locks away and the same race overfills the course.
"""

import http.cookiejar
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.urls import reverse

from booking import links, services
from booking.models import SEAT_HOLDING, Booking, CourseSession, Delegate
from tests.booking.in_house_factories import make_in_house

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PLACES = 4
PEOPLE = 14
WINDOW = 0.1  # seconds between counting the seats and acting on the count


@pytest.fixture
def live_url(require_postgres, transactional_db, request):
    # Asked for only once PostgreSQL is known to be there, so a skipped run starts no server.
    return request.getfixturevalue("live_server").url


@pytest.fixture
def wide_window(monkeypatch, settings):
    real_seats_taken = services.seats.seats_taken

    def seats_taken_then_pause(session):
        taken = real_seats_taken(session)
        time.sleep(WINDOW)
        return taken

    monkeypatch.setattr(services.seats, "seats_taken", seats_taken_then_pause)
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000


def register_all_at_once(url, count):
    """Each person opens the page (its form and CSRF cookie), then all press Register together.
    Returns each answer's (status, page text)."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def person(n):
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect,
        )
        try:
            page = opener.open(url, timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "name": f"Staff Member {n}",
                    "email": f"staff{n}@example.org",
                    "job_role": "Staff Nurse",
                }
            ).encode()
            request = urllib.request.Request(url, data=data, headers={"Referer": url}, method="POST")
            barrier.wait(timeout=20)
            try:
                with opener.open(request, timeout=60) as response:
                    results[n] = (response.status, response.read().decode())
            except urllib.error.HTTPError as exc:
                results[n] = (exc.code, exc.read().decode())
        except Exception as exc:  # reported by the assertion below
            results[n] = (None, repr(exc))

    threads = [threading.Thread(target=person, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None and result[0] is not None for result in results), results
    return results


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 302 to the success page is the answer itself."""

    def redirect_request(self, *args, **kwargs):
        return None


def registered(booking):
    return Delegate.objects.filter(booking=booking, booking__status__in=SEAT_HOLDING).count()


def test_simultaneous_registrations_fill_the_course_exactly(live_url, wide_window):
    booking = make_in_house(capacity=PLACES)
    url = live_url + reverse("booking:register", args=[links.registration_token(booking.session)])
    started = time.monotonic()

    results = register_all_at_once(url, PEOPLE)

    statuses = [status for status, _page in results]
    assert statuses.count(302) == PLACES, statuses
    assert statuses.count(409) == PEOPLE - PLACES, statuses
    refused = [page for status, page in results if status == 409]
    assert all(f"all {PLACES} places are taken. Ask Priya Shah" in page for page in refused)
    assert registered(booking) == PLACES
    assert Booking.objects.filter(session=booking.session).count() == 1
    # Proof that they really queued behind the lock: each held it for its window.
    assert time.monotonic() - started >= PLACES * WINDOW


def test_control_without_the_locks_the_same_race_overfills_the_course(live_url, wide_window, monkeypatch):
    def unlocked_session(session_id):
        return CourseSession.objects.select_related("course", "venue").get(pk=session_id)

    def unlocked_booking(booking):
        booking = Booking.objects.get(pk=booking.pk)
        booking.session = unlocked_session(booking.session_id)
        return booking

    monkeypatch.setattr(services.seats, "lock_session", unlocked_session)
    monkeypatch.setattr(services.seats, "lock_booking", unlocked_booking)
    booking = make_in_house(capacity=PLACES)
    url = live_url + reverse("booking:register", args=[links.registration_token(booking.session)])

    register_all_at_once(url, PEOPLE)

    assert registered(booking) > PLACES, f"{registered(booking)} registered for {PLACES} places"
