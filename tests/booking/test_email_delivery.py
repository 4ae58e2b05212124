"""Booking emails end to end: a real Celery worker, Redis and an SMTP server on loopback.

These need PostgreSQL (the worker shares the test database) and Redis; without them they are
skipped with the reason printed.
"""

import socket
import subprocess
import time
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from booking.services import session_create
from outbox import services as outbox
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import CourseFactory, VenueFactory, london, make_booking

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def session_after_clock_change():
    """A session on Monday 29 March 2027, the day after British Summer Time starts."""
    return session_create(
        course=CourseFactory(title="De-escalation Skills", price="145.00"),
        venue=VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ"),
        days=[(london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30))],
        capacity=10,
    )


def attachments(message):
    return [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]


def test_a_booking_delivers_confirmation_and_joining_instructions_with_invites(
    require_postgres, start_worker, smtp_server, session_after_clock_change
):
    start_worker(EMAIL_URL=smtp_server.url)
    booking = make_booking(session_after_clock_change, count=2, purchase_order="PO-2027")
    messages = smtp_server.wait_for(3)
    assert len(messages) == 3, [m["rcpt"] for m in messages]

    [confirmation] = smtp_server.to(booking.contact_email)
    assert booking.reference in confirmation["Subject"]
    text = confirmation.get_body(("plain",)).get_content()
    assert "Mon 29 March 2027, 09:30-16:30" in text
    assert "PO-2027" in text
    assert confirmation.get_body(("html",)) is not None

    for delegate in booking.delegates.all():
        [message] = smtp_server.to(delegate.email)
        [part] = attachments(message)
        assert part.get_param("method") == "REQUEST"
        calendar = icalendar.Calendar.from_ical(part.get_content())
        [event] = calendar.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (9, 30)  # London time, BST
        assert start.utcoffset() == timedelta(hours=1)
        assert event.decoded("DTEND").hour == 16
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 3


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_redis(port):
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("private redis-server did not start")


def _point_celery_at(url):
    """Make this process publish to another broker (Celery caches its connection pools)."""
    from config.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_broker_down_at_booking_time_then_the_sweep_delivers_exactly_once(
    require_postgres, require_redis, start_worker, smtp_server, session_after_clock_change, settings
):
    from config.celery import app

    original = app.conf.broker_url
    port = _free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = _start_redis(port)
    try:
        _point_celery_at(broker)
        redis.terminate()
        redis.wait(timeout=10)

        booking = make_booking(session_after_clock_change, count=1)  # the broker is down
        assert booking.pk and booking.status == "confirmed"
        assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.QUEUED}
        assert smtp_server.messages == []

        redis = _start_redis(port)
        start_worker(REDIS_URL=broker, EMAIL_URL=smtp_server.url)
        _point_celery_at(broker)
        result = outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["requeued"] == 2
        assert len(smtp_server.wait_for(2)) == 2

        # Another sweep finds nothing to send; nothing arrives twice.
        assert outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=5))["requeued"] == 0
        time.sleep(1)
        assert len(smtp_server.messages) == 2
        assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    finally:
        _point_celery_at(original)
        redis.terminate()
        redis.wait(timeout=10)


def test_smtp_refusing_is_retried_by_the_worker_until_it_fails(
    require_postgres, start_worker, smtp_server, session_after_clock_change
):
    smtp_server.refuse_with = "451 4.3.0 Try again later"
    start_worker(EMAIL_URL=smtp_server.url, EMAIL_RETRY_BASE_SECONDS="0.2", EMAIL_MAX_ATTEMPTS="3")
    make_booking(session_after_clock_change, count=1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if OutboundEmail.objects.filter(status=EmailStatus.FAILED).count() == 2:
            break
        time.sleep(0.2)
    rows = list(OutboundEmail.objects.all())
    assert [row.status for row in rows] == [EmailStatus.FAILED] * 2
    assert all(row.attempts == 3 and "451" in row.last_error for row in rows)

    smtp_server.refuse_with = None
    assert outbox.email_resend(emails=rows) == 2
    assert len(smtp_server.wait_for(2)) == 2
