"""Calendar invites as a delegate's mail client receives them: iMIP meeting requests (RFC 6047)
with one METHOD and one VEVENT a message, a SEQUENCE that never goes backwards, every day of a
multi-day course; and the booker told of every change with the new total.

Sent in this process to an SMTP server on loopback (tests/booking/test_email_delivery.py does
the same through a real Celery worker)."""

from datetime import timedelta

import icalendar
import pytest

from booking import services
from booking.models import CalendarInvite
from outbox.models import OutboundEmail
from tests.factories import delegates, make_booking, make_session

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def tree(message):
    """The MIME tree as nested (content type, [children]) with leaves as content types."""
    if message.is_multipart():
        return (message.get_content_type(), [tree(part) for part in message.iter_parts()])
    return message.get_content_type()


def calendar_part(message):
    """The text/calendar body part, and the calendar it holds (exactly one of each)."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return part, icalendar.Calendar.from_ical(part.get_content())


def the_event(message):
    _part, calendar = calendar_part(message)
    [event] = calendar.walk("VEVENT")  # Outlook reads one VEVENT a message
    return event


def received(smtp_server, address, subject_contains=""):
    return [m for m in smtp_server.to(address) if subject_contains in m["Subject"]]


def test_joining_instructions_are_an_imip_meeting_request_with_the_file_attached(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(make_session(), count=1)
    delegate = booking.delegates.get()
    [message] = received(smtp_server, delegate.email, "Joining instructions")
    assert tree(message) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/html", "text/calendar"]), "application/ics"],
    )
    part, calendar = calendar_part(message)
    assert part.get_param("method") == "REQUEST"
    assert part.get_content_charset() == "utf-8"
    assert part.get_content_disposition() is None  # a body part, not an attachment
    assert calendar["METHOD"] == "REQUEST"
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "invite.ics"
    assert icalendar.Calendar.from_ical(attachment.get_content())["METHOD"] == "REQUEST"


def test_a_cancelled_place_carries_method_cancel(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(make_session(), count=2)
    leaving = booking.delegates.first()
    invited = the_event(received(smtp_server, leaving.email, "Joining instructions")[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_remove_delegate(booking=booking, delegate_id=leaving.pk)
    [message] = received(smtp_server, leaving.email, "cancelled")
    part, calendar = calendar_part(message)
    assert part.get_param("method") == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert event["UID"] == invited["UID"]
    assert event["SEQUENCE"] > invited["SEQUENCE"]


def test_removed_then_added_back_gets_a_strictly_higher_sequence_every_time(
    smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(make_session(), count=2, prefix="seq")
    pat = booking.delegates.first()
    seen = [the_event(received(smtp_server, pat.email)[-1])]
    for _round in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_remove_delegate(booking=booking, delegate_id=booking.delegates.get(email=pat.email).pk)
        seen.append(the_event(received(smtp_server, pat.email)[-1]))
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_add_delegates(booking=booking, delegates=[services.DelegateData(pat.name, pat.email)])
        seen.append(the_event(received(smtp_server, pat.email)[-1]))
    assert len({str(event["UID"]) for event in seen}) == 1
    sequences = [event["SEQUENCE"] for event in seen]
    assert sequences == sorted(set(sequences)), sequences  # strictly rising: REQUEST, CANCEL, REQUEST, ...
    assert [str(e["STATUS"]) for e in seen] == ["CONFIRMED", "CANCELLED", "CONFIRMED", "CANCELLED", "CONFIRMED"]


def test_a_three_day_course_brings_every_day_one_event_a_message(smtp_server, django_capture_on_commit_callbacks):
    session = make_session(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(session, count=1)
    delegate = booking.delegates.get()
    messages = smtp_server.to(delegate.email)
    assert len(messages) == 3
    # A client that reads only the first VEVENT of each message still gets all three days.
    starts = sorted(the_event(message).decoded("DTSTART") for message in messages)
    assert starts == [day.starts_at for day in session.days.order_by("starts_at")]
    assert len({str(the_event(message)["UID"]) for message in messages}) == 3
    subjects = sorted(message["Subject"] for message in messages)
    assert sum("Joining instructions" in subject for subject in subjects) == 1
    assert sum("day 2 of 3" in subject for subject in subjects) == 1
    assert sum("day 3 of 3" in subject for subject in subjects) == 1
    for message in messages:
        assert calendar_part(message)[0].get_param("method") == "REQUEST"
    [joining] = [m for m in messages if "Joining instructions" in m["Subject"]]
    text = joining.get_body(("plain",)).get_content()
    assert "The invite in this email is for day 1 of 3. Days 2 and 3 each come in a short email" in text


def test_a_session_that_loses_a_day_cancels_it_in_its_own_email(smtp_server, django_capture_on_commit_callbacks):
    session = make_session(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(session, count=1)
    delegate = booking.delegates.get()
    third = the_event(received(smtp_server, delegate.email, "day 3 of 3")[0])
    previous = services.session_schedule(session)
    session.days.order_by("starts_at").last().delete()
    services.session_sync_span(session)
    smtp_server.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.session_schedule_changed(session=session, previous=previous)
    methods = {}
    for message in smtp_server.to(delegate.email):
        part, calendar = calendar_part(message)
        assert {calendar["METHOD"]} == {part.get_param("method")}  # one METHOD a message
        for event in calendar.walk("VEVENT"):
            methods[str(event["UID"])] = (calendar["METHOD"], event["SEQUENCE"])
    assert len(methods) == 3
    assert methods[str(third["UID"])][0] == "CANCEL"
    assert methods[str(third["UID"])][1] > third["SEQUENCE"]
    assert sorted(method for method, _seq in methods.values()) == ["CANCEL", "REQUEST", "REQUEST"]


def test_sequences_are_numbered_in_one_read_and_one_write_however_many_delegates(
    django_assert_max_num_queries,
):
    session = make_session(capacity=60)
    booking = make_booking(session, count=40)
    assert CalendarInvite.objects.count() == 40
    # Moving the session re-invites all 40: the numbering must not cost a query per delegate.
    previous = services.session_schedule(session)
    day = session.days.get()
    day.starts_at += timedelta(hours=1)
    day.ends_at += timedelta(hours=1)
    day.save()
    services.session_sync_span(session)
    with django_assert_max_num_queries(40):
        services.session_schedule_changed(session=session, previous=previous)
    assert set(CalendarInvite.objects.values_list("sequence", flat=True)) == {2}
    assert booking.emails.filter(kind="session_changed").count() == 40


def test_the_booker_gets_the_new_list_and_total_after_each_delegate_change(
    smtp_server, django_capture_on_commit_callbacks
):
    session = make_session(capacity=10)
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(session, count=2, purchase_order="PO-77")
    price = booking.price_per_delegate

    def latest_notice():
        [message] = [m for m in smtp_server.to(booking.contact_email) if "has changed" in m["Subject"]][-1:]
        return message.get_body(("plain",)).get_content()

    def gross(count):
        net = price * count
        return f"£{net * 6 / 5:,.2f}"

    with django_capture_on_commit_callbacks(execute=True):
        services.booking_add_delegates(booking=booking, delegates=delegates(2, prefix="added"))
    text = latest_notice()
    assert "added0@example.org" in text and "added1@example.org" in text
    assert gross(4) in text

    first = booking.delegates.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_remove_delegate(booking=booking, delegate_id=first.pk, actor="staff:office", by_staff=True)
    text = latest_notice()
    assert first.email not in text.split("Removed")[0]  # not in the new list
    assert gross(3) in text

    second = booking.delegates.first()
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_substitute_delegate(
            booking=booking,
            delegate_id=second.pk,
            replacement=services.DelegateData("Kit Colleague", "kit.colleague@example.org"),
        )
    text = latest_notice()
    assert "kit.colleague@example.org" in text
    assert gross(3) in text
    notices = OutboundEmail.objects.filter(kind="booking_changed", to=[booking.contact_email])
    assert notices.count() == 3  # one a change, even when two delegates were added at once
