"""Booking emails end to end: a real Celery worker, Redis and an SMTP server on loopback.

These need PostgreSQL (the worker shares the test database) and Redis; without them they are
skipped with the reason printed.
"""

import time
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from booking import links
from booking.services import session_create
from outbox import services as outbox
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import CourseFactory, VenueFactory, london, make_booking
from tests.servers import free_port, start_redis

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


def calendar_parts(message):
    """The iMIP text/calendar body parts of a message (one at most, by the rules of iMIP)."""
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def tree(message):
    if message.is_multipart():
        return (message.get_content_type(), [tree(part) for part in message.iter_parts()])
    return message.get_content_type()


def the_event(message):
    [part] = calendar_parts(message)
    [event] = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    return part.get_param("method"), event


def test_a_booking_delivers_confirmation_and_joining_instructions_with_invites(
    require_postgres, start_worker, smtp_server, session_after_clock_change
):
    start_worker(EMAIL_URL=smtp_server.url)
    booking = make_booking(session_after_clock_change, count=2, purchase_order="PO-2027")
    # Confirmation, private link, invoice (it has a PO) and each delegate's joining instructions.
    messages = smtp_server.wait_for(5)
    assert len(messages) == 5, [m["rcpt"] for m in messages]

    to_booker = [m for m in smtp_server.to(booking.contact_email) if not m["Subject"].startswith("Invoice")]
    confirmation, link = sorted(to_booker, key=lambda m: "private link" in m["Subject"])
    assert booking.reference in confirmation["Subject"]
    text = confirmation.get_body(("plain",)).get_content()
    assert "Mon 29 March 2027, 09:30-16:30" in text
    assert "PO-2027" in text
    token = links.manage_token(booking)
    assert token not in confirmation.as_string()  # safe to forward to finance: no manage link
    assert confirmation.get_body(("html",)) is not None
    assert token in link.get_body(("plain",)).get_content()

    for delegate in booking.delegates.all():
        [message] = smtp_server.to(delegate.email)
        assert tree(message) == (
            "multipart/mixed",
            [("multipart/alternative", ["text/plain", "text/html", "text/calendar"]), "application/ics"],
        )
        [part] = calendar_parts(message)
        assert part.get_param("method") == "REQUEST"
        calendar = icalendar.Calendar.from_ical(part.get_content())
        [event] = calendar.walk("VEVENT")
        start = event.decoded("DTSTART")
        assert (start.hour, start.minute) == (9, 30)  # London time, BST
        assert start.utcoffset() == timedelta(hours=1)
        assert event.decoded("DTEND").hour == 16
    assert OutboundEmail.objects.filter(status=EmailStatus.SENT).count() == 5


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
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    try:
        _point_celery_at(broker)
        redis.terminate()
        redis.wait(timeout=10)

        booking = make_booking(session_after_clock_change, count=1)  # the broker is down
        assert booking.pk and booking.status == "confirmed"
        # The hand-over to the broker runs in the background: let it give up first, or on a slow
        # machine its retries may still be going when the broker comes back.
        outbox._publisher.submit(lambda: None).result(timeout=120)
        assert set(OutboundEmail.objects.values_list("status", flat=True)) == {EmailStatus.QUEUED}
        assert smtp_server.messages == []

        redis = start_redis(port)
        start_worker(REDIS_URL=broker, EMAIL_URL=smtp_server.url)
        _point_celery_at(broker)
        result = outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=5))
        assert result["requeued"] == 4  # confirmation, link, joining instructions, invoice
        assert len(smtp_server.wait_for(4)) == 4

        # Another sweep finds nothing to send; nothing arrives twice.
        assert outbox.outbox_sweep(now=timezone.now() + timedelta(minutes=5))["requeued"] == 0
        time.sleep(1)
        assert len(smtp_server.messages) == 4
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
        if OutboundEmail.objects.filter(status=EmailStatus.FAILED).count() == 4:
            break
        time.sleep(0.2)
    rows = list(OutboundEmail.objects.all())
    assert [row.status for row in rows] == [EmailStatus.FAILED] * 4
    assert all(row.attempts == 3 and "451" in row.last_error for row in rows)

    smtp_server.refuse_with = None
    assert outbox.email_resend(emails=rows) == 4
    assert len(smtp_server.wait_for(4)) == 4


def test_through_a_real_worker_invites_are_imip_cancels_say_cancel_sequences_rise_every_day_arrives_and_the_booker_hears(
    require_postgres, start_worker, smtp_server
):
    from booking import services

    start_worker(EMAIL_URL=smtp_server.url)
    session = session_create(
        course=CourseFactory(title="Physical Intervention", price="200.00"),
        venue=VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ"),
        days=[
            (london(2027, 3, 29, 9, 30), london(2027, 3, 29, 16, 30)),
            (london(2027, 3, 30, 9, 30), london(2027, 3, 30, 16, 30)),
            (london(2027, 3, 31, 9, 30), london(2027, 3, 31, 16, 30)),
        ],
        capacity=10,
    )
    booking = make_booking(session, count=2, purchase_order="PO-3DAY")
    pat = booking.delegates.first()
    # Booker: confirmation, private link and invoice; each delegate: one message for each of the 3 days.
    assert len(smtp_server.wait_for(9)) == 9

    # A client that reads one VEVENT a message (Outlook) still gets all three days.
    first = {}
    for message in smtp_server.to(pat.email):
        method, event = the_event(message)
        assert method == "REQUEST"
        first[event.decoded("DTSTART")] = event
    assert sorted(first) == [day.starts_at for day in session.days.order_by("starts_at")]
    day_one = first[min(first)]

    # Removed: a CANCEL for each day, then the booker's notice with the new total and a credit note.
    services.booking_remove_delegate(booking=booking, delegate_id=pat.pk)
    assert len(smtp_server.wait_for(9 + 3 + 2)) == 14
    cancels = [the_event(m) for m in smtp_server.to(pat.email)[3:]]
    assert {method for method, _event in cancels} == {"CANCEL"}
    [cancel_one] = [event for _m, event in cancels if event["UID"] == day_one["UID"]]
    assert cancel_one["SEQUENCE"] > day_one["SEQUENCE"]
    [notice] = [m for m in smtp_server.to(booking.contact_email) if "has changed" in m["Subject"]]
    assert "£240.00" in notice.get_body(("plain",)).get_content()  # 1 x £200 + VAT

    # Added back: a REQUEST with a higher SEQUENCE than the CANCEL, so calendars accept it.
    services.booking_add_delegates(booking=booking, delegates=[services.DelegateData(pat.name, pat.email)])
    # Added back: 3 invites, the booker's notice and an invoice for the added place.
    assert len(smtp_server.wait_for(14 + 3 + 2)) == 19
    again = [the_event(m) for m in smtp_server.to(pat.email)[6:]]
    [request_one] = [event for method, event in again if method == "REQUEST" and event["UID"] == day_one["UID"]]
    assert request_one["SEQUENCE"] > cancel_one["SEQUENCE"]
    notices = [m for m in smtp_server.to(booking.contact_email) if "has changed" in m["Subject"]]
    assert any("£480.00" in m.get_body(("plain",)).get_content() for m in notices)  # 2 x £200 + VAT
    assert OutboundEmail.objects.exclude(status=EmailStatus.SENT).count() == 0
