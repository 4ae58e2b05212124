"""Seats must be earned: an anonymous request with made-up delegates and "PO to follow" used to
hold a whole course for a week and email 21 addresses of the sender's choosing."""

from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone

from booking import services
from booking.models import Booking, BookingStatus
from outbox.models import OutboundEmail
from tests.booking.test_api import BOOKINGS, delegate, payload
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def post(client, body, address="203.0.113.9"):
    return client.post(BOOKINGS, body, content_type="application/json", REMOTE_ADDR=address)


def hoard(session, count, **overrides):
    return payload(
        session,
        count=count,
        purchase_order="",
        po_to_follow=True,
        delegates=[delegate(n, email=f"victim{n}@example.net") for n in range(count)],
        **overrides,
    )


def test_a_hoarding_request_holds_nothing_for_long_and_emails_only_the_booker(client, settings):
    settings.BOOKING_UNCONFIRMED_SEATS_MAX = 30
    session = make_session(capacity=20)
    response = post(client, hoard(session, 20))
    assert response.status_code == 201, response.content
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.UNCONFIRMED
    # One email, to the booker's address, with the link to confirm; none to the 20 "delegates".
    assert list(OutboundEmail.objects.values_list("kind", "to")) == [
        ("booking_email_confirm", ["sam.booker@example.org"])
    ]
    # The seats go back after BOOKING_CONFIRM_MINUTES, not after a week.
    assert booking.confirm_by <= timezone.now() + timedelta(minutes=settings.BOOKING_CONFIRM_MINUTES)
    services.unconfirmed_bookings_release(now=booking.confirm_by + timedelta(seconds=1))
    assert services.seats_remaining(session) == 20
    assert OutboundEmail.objects.count() == 1  # a lapse sends nothing either


def test_one_booker_or_organisation_holds_at_most_the_cap_unconfirmed(client, settings):
    settings.BOOKING_UNCONFIRMED_SEATS_MAX = 12
    first, second = make_session(capacity=20), make_session(capacity=20)
    assert post(client, hoard(first, 10)).status_code == 201
    by_email = post(client, hoard(second, 3, organisation="Another name"))
    assert by_email.status_code == 409
    assert by_email.json()["code"] == "too_many_unconfirmed"
    by_organisation = post(client, hoard(second, 3, contact_email="other.person@example.org"))
    assert by_organisation.json()["code"] == "too_many_unconfirmed"
    assert post(client, hoard(second, 2)).status_code == 201  # within the cap
    assert services.seats_remaining(second) == 18


def test_confirming_frees_the_cap_for_the_next_booking(client, settings):
    settings.BOOKING_UNCONFIRMED_SEATS_MAX = 4
    first, second = make_session(capacity=20), make_session(capacity=20)
    post(client, hoard(first, 4))
    assert post(client, hoard(second, 2)).status_code == 409
    services.booking_confirm_email(booking=Booking.objects.get())
    assert post(client, hoard(second, 2)).status_code == 201


def test_bookings_are_limited_per_client_address_with_retry_after(client, settings):
    settings.BOOKINGS_RATE_LIMIT_PER_HOUR = 3
    session = make_session(capacity=30)
    address = f"2001:db8:{uuid4().hex[:4]}::1"
    answers = [
        post(client, payload(session, count=1, contact_email=f"b{n}@example.org", organisation=f"Org {n}",
                             delegates=[delegate(n)]), address)
        for n in range(4)
    ]  # fmt: skip
    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert Booking.objects.count() == 3
    # Another address is not affected.
    other = payload(session, count=1, contact_email="x@example.org", organisation="X", delegates=[delegate(9)])
    assert post(client, other, f"2001:db8:{uuid4().hex[:4]}::1").status_code == 201


def test_a_waiting_booking_is_promoted_only_once_its_email_is_confirmed():
    session = make_session(capacity=2)
    full = make_booking(session, count=2)
    waiting = services.booking_create(
        session=session,
        organisation="Waiting Trust",
        organisation_type="nhs",
        contact_name="Wes Waiter",
        contact_email="wes@example.org",
        contact_phone="01473 555 012",
        invoice_address="1 Road",
        delegates=[services.DelegateData("Pat", "pat.w@example.org")],
        accept_terms=True,
        purchase_order="PO-W",
        join_waitlist=True,
        email_confirmation=True,
    )
    assert waiting.status == BookingStatus.WAITLISTED
    services.booking_cancel(booking=full)  # two seats free
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.WAITLISTED  # not promoted: the address is unproven
    services.booking_confirm_email(booking=waiting)
    waiting.refresh_from_db()
    assert waiting.status == BookingStatus.CONFIRMED
    kinds = list(waiting.emails.values_list("kind", flat=True))
    assert kinds.count("booking_email_confirm") == 1
    assert "joining_instructions" in kinds


def test_confirming_twice_sends_everything_once(client):
    session = make_session(capacity=5)
    post(client, payload(session, count=2))
    booking = Booking.objects.get()
    services.booking_confirm_email(booking=booking)
    services.booking_confirm_email(booking=booking)
    assert booking.emails.filter(kind="booking_confirmation").count() == 1
    assert booking.emails.filter(kind="joining_instructions").count() == 2


def test_delegates_of_an_unconfirmed_booking_get_no_reminder(client):
    from booking import reminders

    session = make_session(starts_in_days=3, capacity=5)
    post(client, payload(session, count=2))
    assert reminders.delegate_reminders_queue() == 0
    services.booking_confirm_email(booking=Booking.objects.get())
    assert reminders.delegate_reminders_queue() == 2


def test_one_large_booking_may_wait_for_confirmation_whatever_the_cap(client, settings):
    settings.BOOKING_UNCONFIRMED_SEATS_MAX = 12
    session = make_session(capacity=30)
    response = post(client, hoard(session, 20))
    assert response.status_code == 201, response.content  # a genuine group of 20
    assert post(client, hoard(make_session(capacity=5), 1)).json()["code"] == "too_many_unconfirmed"


def test_the_confirm_email_repeats_nothing_the_sender_typed(client):
    session = make_session(capacity=5)
    spam = "Click https://evil.example/ to claim your prize"
    body = payload(session, count=1, contact_name=spam, organisation=spam, delegates=[delegate(0, name=spam)])
    assert post(client, body).status_code == 201
    email = OutboundEmail.objects.get(kind="booking_email_confirm")
    assert spam not in email.subject + email.body_text + email.body_html
    assert "Delegates: 1" in email.body_text


def test_a_new_link_asked_for_before_confirming_comes_with_a_fresh_confirm_link(client):
    from django.urls import reverse

    from booking import links

    session = make_session(capacity=5)
    post(client, payload(session, count=1))
    booking = Booking.objects.get()
    old = links.confirm_token(booking)
    client.post(reverse("booking:new_link"), {"reference": booking.reference, "email": booking.contact_email})
    booking.refresh_from_db()
    emails = list(OutboundEmail.objects.filter(kind="booking_email_confirm").order_by("pk"))
    assert len(emails) == 2
    assert links.confirm_token(booking) in emails[1].body_text and old not in emails[1].body_text
    assert client.get(reverse("booking:confirm_email", args=[old])).status_code == 404
    assert client.get(reverse("booking:confirm_email", args=[links.confirm_token(booking)])).status_code == 200


def test_the_page_after_submitting_never_carries_the_manage_link(client):
    from django.urls import reverse

    from booking import links
    from tests.booking.test_views import form_data

    session = make_session(capacity=5)
    review = client.post(reverse("booking:book", args=[session.pk]), form_data(count=1))["Location"]
    page = client.post(review, follow=True)
    booking = Booking.objects.get()
    assert "Check your email to confirm your booking" in page.content.decode()
    assert links.manage_token(booking) not in page.content.decode()
    assert links.manage_token(booking) not in page.redirect_chain[-1][0]
    services.booking_confirm_email(booking=booking)
    again = client.get(page.redirect_chain[-1][0]).content.decode()
    assert "Your booking is confirmed" in again and links.manage_token(booking) not in again
