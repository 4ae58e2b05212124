"""A bad day for Redis: stopped, or hung (SIGSTOP: it accepts connections and never answers).
Leads are never lost, nothing answers 5xx, and /healthz/ answers within a second.

Uses a private redis-server on a free port (never the shared one); skipped without redis-server.
"""

import shutil
import signal
import time

import pytest
from django.urls import reverse

from enquiries.models import Lead
from tests.enquiries.test_views import callback_data, enquiry_data
from tests.servers import free_port, start_redis

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def private_redis(settings):
    """A redis-server of our own, used as this test's cache; the test may stop or freeze it."""
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    port = free_port()
    process = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    process.url = url
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def stop(process):
    process.terminate()
    process.wait(timeout=10)


def freeze(process):
    process.send_signal(signal.SIGSTOP)


@pytest.mark.parametrize("fault", [stop, freeze], ids=["stopped", "hung"])
def test_enquiries_and_callbacks_are_kept_when_redis_fails(client, private_redis, fault):
    fault(private_redis)
    started = time.monotonic()
    enquiry = client.post(reverse("enquiries:enquiry"), enquiry_data())
    callback = client.post(reverse("enquiries:callback"), callback_data())
    api = client.post("/api/v1/enquiries/", _api_enquiry(), content_type="application/json")
    elapsed = time.monotonic() - started
    assert enquiry.status_code == 302, enquiry.content[:500]
    assert callback.status_code == 302, callback.content[:500]
    assert api.status_code == 201, api.content[:500]
    assert Lead.objects.count() == 3
    assert elapsed < 6  # each cache call gives up after half a second


def test_healthz_answers_within_a_second_when_redis_hangs(client, private_redis):
    freeze(private_redis)
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == {"status": "down"}  # no error text for the public


def _api_enquiry():
    data = enquiry_data()
    return {
        "name": data["name"],
        "email": data["email"],
        "phone": data["phone"],
        "organisation": data["organisation"],
        "organisation_type": data["organisation_type"],
        "staff_count": 40,
        "message": "Training for our front desk staff.",
        "consent": True,
    }


@pytest.fixture
def broker_on(private_redis, require_redis):
    """Celery in this process publishes to the private Redis (the test may freeze it)."""
    from config.celery import app

    def point(url):
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    point(private_redis.url)
    yield private_redis
    point(original)


@pytest.mark.django_db(transaction=True)  # commits for real, so the emails are queued on commit as in production
def test_a_booking_and_a_lead_answer_within_a_second_when_redis_hangs(client, broker_on):
    from booking.models import Booking
    from outbox.models import EmailStatus, OutboundEmail
    from tests.booking.test_api import payload
    from tests.factories import make_session

    session = make_session(capacity=5)
    freeze(broker_on)
    started = time.monotonic()
    booking = client.post("/api/v1/bookings/", payload(session, count=1), content_type="application/json")
    booked_in = time.monotonic() - started
    started = time.monotonic()
    lead = client.post(reverse("enquiries:enquiry"), enquiry_data())
    lead_in = time.monotonic() - started
    assert booking.status_code == 201, booking.content[:300]
    assert lead.status_code == 302
    assert booked_in < 1, f"the booking took {booked_in:.1f} s"
    assert lead_in < 1.5, f"the lead took {lead_in:.1f} s"  # its rate-limit count gives up after 0.5 s
    assert Booking.objects.count() == 1 and Lead.objects.count() == 1
    # The emails wait in the outbox for the sweep; nothing is lost.
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.QUEUED}
