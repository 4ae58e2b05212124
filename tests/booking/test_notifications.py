"""Who gets which email for each booking event, as outbox rows (sending is tested in tests/outbox)."""

import math
from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import links, notifications, reminders, services
from booking.models import BookingStatus
from outbox.models import OutboundEmail
from tests.factories import VenueFactory, delegates, make_booking, make_session

pytestmark = pytest.mark.django_db


def sent(kind=None, to=None):
    rows = OutboundEmail.objects.order_by("pk")
    if kind:
        rows = rows.filter(kind=kind)
    if to:
        rows = rows.filter(recipients__icontains=to)
    return list(rows)


def ics(row):
    [attachment] = row.attachments
    return icalendar.Calendar.from_ical(attachment["content"])


def test_a_booking_confirms_to_the_booker_and_invites_each_delegate():
    session = make_session(capacity=5)
    booking = make_booking(session, count=2, purchase_order="PO-4411")
    [confirmation] = sent("booking_confirmation")
    assert confirmation.to == [booking.contact_email]
    assert booking.reference in confirmation.subject
    for text in ["PO-4411", "£290.00", "£58.00", "£348.00", "forward"]:
        assert text in confirmation.body_text, text
    token = links.manage_token(booking)
    assert token not in confirmation.body_text + confirmation.body_html  # safe to forward to finance
    [link] = sent("booking_manage_link")
    assert link.to == [booking.contact_email]
    assert token in link.body_text and token in link.body_html
    invites = sent("joining_instructions")
    assert sorted(row.to[0] for row in invites) == sorted(d.email for d in booking.delegates.all())
    calendar = ics(invites[0])
    assert calendar["METHOD"] == "REQUEST"


def test_waiting_list_and_promotion_emails():
    session = make_session(capacity=2)
    first = make_booking(session, count=2)
    waiting = make_booking(session, count=1, join_waitlist=True)
    assert [row.to for row in sent("waitlist_joined")] == [[waiting.contact_email]]
    assert not sent("joining_instructions", to=waiting.delegates.get().email)
    services.booking_cancel(booking=first)
    assert len(sent("waitlist_promoted")) == 1
    assert len(sent("joining_instructions", to=waiting.delegates.get().email)) == 1
    cancels = sent("delegate_cancelled")
    assert sorted(row.to[0] for row in cancels) == sorted(d.email for d in first.delegates.all())
    assert all(ics(row)["METHOD"] == "CANCEL" for row in cancels)


def test_substitution_cancels_the_old_invite_and_invites_the_new_person():
    session = make_session()
    booking = make_booking(session, count=2)
    old = booking.delegates.first()
    services.booking_substitute_delegate(
        booking=booking,
        delegate_id=old.pk,
        replacement=services.DelegateData(name="New Person", email="new.person@example.org"),
    )
    assert sent("delegate_cancelled") == []  # one wording a case: passed on, not cancelled
    [cancel] = sent("delegate_substituted")
    assert cancel.to == [old.email]
    assert ics(cancel)["METHOD"] == "CANCEL"
    assert "colleague" in cancel.subject
    [invite] = sent("joining_instructions", to="new.person@example.org")
    old_uids = {str(e["UID"]) for e in ics(cancel).walk("VEVENT")}
    new_uids = {str(e["UID"]) for e in ics(invite).walk("VEVENT")}
    assert old_uids.isdisjoint(new_uids)  # a different person has a different calendar entry


def test_session_moved_sends_updated_invites_with_the_same_uid_and_a_higher_sequence():
    session = make_session(capacity=5)
    booking = make_booking(session, count=2)
    [first_invite, _] = sent("joining_instructions")
    previous = services.session_schedule(session)
    day = session.days.get()
    day.starts_at += timedelta(days=7)
    day.ends_at += timedelta(days=7)
    day.save()
    services.session_sync_span(session)
    assert services.session_schedule_changed(session=session, previous=previous, actor="staff:test")
    updates = sent("session_changed")
    assert len(updates) == 2
    update = next(row for row in updates if row.to == first_invite.to)
    before, after = ics(first_invite).walk("VEVENT")[0], ics(update).walk("VEVENT")[0]
    assert before["UID"] == after["UID"]
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
    assert after.decoded("DTSTART") - before.decoded("DTSTART") == timedelta(days=7)
    [notice] = sent("session_changed_booker")
    assert notice.to == [booking.contact_email]
    # Nothing changed: no emails.
    assert not services.session_schedule_changed(session=session, previous=services.session_schedule(session))


def test_venue_change_is_a_change_too():
    session = make_session()
    make_booking(session, count=1)
    previous = services.session_schedule(session)
    session.venue = VenueFactory(name="New Venue", town="Manchester", postcode="M1 1AA")
    session.save()
    assert services.session_schedule_changed(session=session, previous=previous)
    [update] = sent("session_changed")
    assert "Manchester" in str(ics(update).walk("VEVENT")[0]["LOCATION"])


def test_cancelling_a_session_of_200_delegates_writes_its_emails_in_one_insert():
    session = make_session(capacity=200)
    for n in range(10):
        services.booking_create(
            session=session,
            organisation=f"Trust {n}",
            organisation_type="nhs",
            contact_name="Booker",
            contact_email=f"booker{n}@example.org",
            contact_phone="01473 555012",
            invoice_address="1 Road",
            delegates=delegates(20, prefix=f"t{n}-d"),
            accept_terms=True,
            purchase_order=f"PO-{n}",
        )
    OutboundEmail.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        services.session_cancel(session=session, reason="Trainer unwell")
    inserts = [
        q for q in queries.captured_queries if q["sql"].startswith("INSERT") and '"outbox_outboundemail"' in q["sql"]
    ]
    # One bulk insert (SQLite splits it into batches by its parameter limit; PostgreSQL does not).
    fields = [f for f in OutboundEmail._meta.concrete_fields if not f.primary_key]
    # 200 delegates, 10 bookers, and 10 credit notes (each booking was invoiced: it had a PO).
    per_batch = min(500, connection.ops.bulk_batch_size(fields, [None] * 220))
    assert len(inserts) == math.ceil(220 / per_batch)
    assert len(sent("session_cancelled")) == 200
    assert len(sent("session_cancelled_booker")) == 10
    assert len(sent("credit_note_issued")) == 10
    assert all(ics(row)["METHOD"] == "CANCEL" for row in sent("session_cancelled"))
    assert "Trainer unwell" in sent("session_cancelled_booker")[0].body_text


def test_reminders_go_once_three_days_before():
    session = make_session(starts_in_days=3)
    booking = make_booking(session, count=2)
    make_booking(make_session(starts_in_days=4), count=1)
    assert reminders.delegate_reminders_queue() == 2
    assert reminders.delegate_reminders_queue() == 0
    assert sorted(row.to[0] for row in sent("delegate_reminder")) == sorted(d.email for d in booking.delegates.all())


def test_po_chasing_three_days_and_one_day_before_then_release_notice():
    session = make_session(starts_in_days=30)
    booking = make_booking(session, count=1, po_to_follow=True)
    deadline = booking.po_deadline
    assert reminders.po_reminders_queue(now=deadline - timedelta(days=5)) == 0
    assert reminders.po_reminders_queue(now=deadline - timedelta(days=2, hours=23)) == 1
    assert reminders.po_reminders_queue(now=deadline - timedelta(days=2)) == 0  # once
    assert reminders.po_reminders_queue(now=deadline - timedelta(hours=20)) == 1
    first, second = sent("po_reminder")
    assert "Time left: 2 days" in first.body_text  # 2 days 23 hours: never rounded up
    assert "Time left: 20 hours" in second.body_text
    services.po_holds_release_expired(now=deadline + timedelta(minutes=1))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert len(sent("po_released")) == 1
    assert len(sent("delegate_cancelled")) == 1


def test_adding_the_po_sends_a_fresh_confirmation():
    booking = make_booking(make_session(), count=1, po_to_follow=True)
    services.booking_add_po(booking=booking, purchase_order="PO-9")
    confirmations = sent("booking_confirmation")
    assert len(confirmations) == 2
    assert "PO-9" in confirmations[-1].body_text


def test_demo_data_sends_nothing():
    with notifications.suppressed():
        make_booking(make_session(), count=2)
    assert OutboundEmail.objects.count() == 0


def test_times_in_emails_are_uk_local():
    session = make_session()
    make_booking(session, count=1)
    local = timezone.localtime(session.starts_at)
    [confirmation] = sent("booking_confirmation")
    assert f"{local:%a} {local.day} {local:%B %Y}, 09:30-16:30" in confirmation.body_text


def _cancel_queries(delegates_per_booking):
    session = make_session(capacity=100)
    for n in range(2):
        make_booking(session, count=delegates_per_booking, prefix=f"q{delegates_per_booking}-{n}-")
    with CaptureQueriesContext(connection) as queries:
        services.session_cancel(session=session)
    return len(queries.captured_queries)


def test_cancelling_a_session_reads_days_and_wording_once_however_many_delegates():
    # The session row stays locked while its emails are written: no queries per delegate. (Few
    # enough delegates that SQLite writes the emails in one batch either way.)
    assert _cancel_queries(2) == _cancel_queries(12)


def test_a_session_that_loses_a_day_cancels_that_days_calendar_entry_in_its_own_email():
    session = make_session(days=3, capacity=5)
    booking = make_booking(session, count=1)
    email = booking.delegates.get().email
    invites = sent("joining_instructions") + sent("calendar_day")
    original_uids = [str(e["UID"]) for row in invites for e in ics(row).walk("VEVENT")]
    assert len(original_uids) == 3

    previous = services.session_schedule(session)
    session.days.order_by("starts_at").last().delete()
    services.session_sync_span(session)
    assert services.session_schedule_changed(session=session, previous=previous)

    [update] = sent("session_changed", to=email)
    assert ics(update)["METHOD"] == "REQUEST"
    [day_two] = [
        row for row in sent("calendar_day", to=email) if row.created_at > update.created_at or row.pk > update.pk
    ]
    assert [str(e["UID"]) for row in (update, day_two) for e in ics(row).walk("VEVENT")] == original_uids[:2]
    [cancel_row] = sent("calendar_day_cancelled", to=email)
    cancel = ics(cancel_row)
    assert cancel["METHOD"] == "CANCEL"
    [dropped] = cancel.walk("VEVENT")
    assert str(dropped["UID"]) == original_uids[2]
    assert int(dropped["SEQUENCE"]) == 2
    assert "day 3 of 3" in cancel_row.subject


def test_the_change_notice_says_what_changed_and_only_that():
    session = make_session(capacity=5)
    booking = make_booking(session, count=1)
    previous = services.session_schedule(session)
    day = session.days.get()
    day.starts_at += timedelta(days=1)
    day.ends_at += timedelta(days=1)
    day.save()
    services.session_sync_span(session)
    services.session_schedule_changed(session=session, previous=previous)
    [notice] = sent("session_changed", to=booking.delegates.get().email)
    assert "The dates or times have changed; the venue is the same." in notice.body_text
    assert previous["dates"] in notice.body_text
    assert previous["venue"] not in notice.body_text.split("BEFORE THE CHANGE")[-1]
