"""The public booking flow and the manage link, through the Django test client."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking import links
from booking.models import Booking, BookingStatus, Delegate
from booking.services import session_cancel
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db


def form_data(count=2, **overrides):
    data = {
        "organisation": "East Coast NHS Trust",
        "organisation_type": "nhs",
        "ods_code": "rgt",
        "contact_name": "Sam Booker",
        "job_title": "Training lead",
        "contact_email": "sam@example.org",
        "contact_phone": "01473 555012",
        "invoice_address": "Finance, 1 Hospital Road, Ipswich IP4 5PD",
        "purchase_order": "",
        "po_to_follow": "on",
        "notes": "",
        "accept_terms": "on",
        "form-TOTAL_FORMS": str(count),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "30",
    }
    for n in range(count):
        data.update(
            {f"form-{n}-name": f"Delegate {n}", f"form-{n}-email": f"d{n}@example.org", f"form-{n}-job_role": "Nurse"}
        )
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def session():
    return make_session(course=CourseFactory(title="De-escalation Skills", price="145.00"), capacity=4)


def test_course_page_lists_sessions_with_seats_and_price(client, session):
    make_booking(session, count=1)
    html = client.get(session.course.get_absolute_url()).content.decode()
    local = timezone.localtime(session.starts_at)
    assert f"{local:%a} {local.day} {local:%B %Y}, 09:30-16:30" in html
    assert "3</strong> seats left" in html
    assert "£145.00" in html
    assert reverse("booking:book", args=[session.pk]) in html


def test_full_session_offers_the_waiting_list(client, session):
    make_booking(session, count=4)
    html = client.get(session.course.get_absolute_url()).content.decode()
    assert "Fully booked:</strong> join the waiting list" in html
    assert "Join waiting list" in html


def test_book_review_confirm(client, session):
    response = client.post(reverse("booking:book", args=[session.pk]), form_data(count=3))
    assert response.status_code == 302
    review = client.get(response["Location"])
    html = review.content.decode()
    assert "Delegate 2" in html
    assert "£435.00" in html  # 3 x 145
    assert "£87.00" in html  # VAT
    assert "£522.00" in html
    assert not Booking.objects.exists()  # nothing is written before confirmation
    confirmed = client.post(response["Location"], follow=True)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.AWAITING_PO
    assert booking.ods_code == "RGT"
    assert booking.delegates.count() == 3
    html = confirmed.content.decode()
    assert booking.reference in html
    assert "Places held: purchase order to follow" in html
    assert links.manage_url(booking) in html


def test_form_errors_are_shown_beside_fields_and_nothing_is_written(client, session):
    data = form_data(
        count=2,
        contact_phone="12345",
        contact_email="not-an-email",
        ods_code="R!",
        accept_terms=None,
        **{"form-1-email": "d0@example.org"},
    )
    response = client.post(reverse("booking:book", args=[session.pk]), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid phone number" in html
    assert "Enter a valid email address." in html
    assert "Enter an NHS ODS code" in html
    assert "Please accept the booking terms to continue." in html
    assert not Booking.objects.exists()


def test_duplicate_delegate_emails_are_refused(client, session):
    data = form_data(count=2, **{"form-1-email": "D0@example.org"})
    html = client.post(reverse("booking:book", args=[session.pk]), data).content.decode()
    assert "Each delegate needs their own email address: d0@example.org" in html


def test_po_or_po_to_follow_is_required(client, session):
    html = client.post(reverse("booking:book", args=[session.pk]), form_data(po_to_follow=None)).content.decode()
    assert "Give a purchase order number, or choose" in html


def test_add_and_remove_delegate_rows_without_javascript(client, session):
    url = reverse("booking:book", args=[session.pk])
    added = client.post(url, {**form_data(count=2), "action": "add"}).content.decode()
    assert 'name="form-TOTAL_FORMS" value="3"' in added
    assert 'value="d1@example.org"' in added
    assert "is-invalid" not in added  # adding a row shows no errors yet
    removed = client.post(url, {**form_data(count=3), "action": "remove-0"}).content.decode()
    assert 'name="form-TOTAL_FORMS" value="2"' in removed
    assert 'value="d0@example.org"' not in removed
    assert 'value="d2@example.org"' in removed


def test_too_many_delegates_says_how_many_are_left(client, session):
    make_booking(session, count=3)
    url = reverse("booking:book", args=[session.pk])
    review_url = client.post(url, form_data(count=2))["Location"]
    html = client.get(review_url).content.decode()
    assert "Only 1 seat left for your 2 delegates" in html
    response = client.post(review_url, follow=True)
    assert "Only 1 seat left on this session" in response.content.decode()
    assert Booking.objects.count() == 1


def test_joining_the_waiting_list(client, session):
    make_booking(session, count=4)
    url = reverse("booking:book", args=[session.pk])
    review_url = client.post(url, form_data(count=2, join_waitlist="on"))["Location"]
    html = client.post(review_url, follow=True).content.decode()
    assert "You are on the waiting list" in html
    assert Booking.objects.filter(status=BookingStatus.WAITLISTED).count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("cancelled", "This session has been cancelled."),
        ("closed", "Booking for this session has closed."),
        ("past", "This session has already started or taken place."),
    ],
)
def test_sessions_that_cannot_be_booked_say_why(client, change, reason):
    if change == "cancelled":
        session = make_session()
        session_cancel(session=session)
    elif change == "closed":
        session = make_session(starts_in_days=2)
        session.booking_closes_at = timezone.now() - timedelta(hours=1)
        session.save()
    else:
        session = make_session(starts_in_days=-3)
    response = client.get(reverse("booking:book", args=[session.pk]))
    assert response.status_code == 410
    assert reason in response.content.decode()
    assert client.post(reverse("booking:book", args=[session.pk]), form_data()).status_code == 410


def test_unknown_session_is_404(client):
    assert client.get(reverse("booking:book", args=[99999])).status_code == 404


# The manage link --------------------------------------------------------------------------------


@pytest.fixture
def booking(session):
    return make_booking(session, count=2, po_to_follow=True)


def manage(booking):
    return reverse("booking:manage", args=[links.manage_token(booking)])


def test_manage_page_shows_booking_and_history(client, booking):
    html = client.get(manage(booking)).content.decode()
    assert booking.reference in html
    assert "Add your purchase order" in html
    assert "Booked 2 places" in html


def test_add_po_confirms(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "PO 778812"}, follow=True)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purchase_order == "PO 778812"
    assert "purchase order number has been added" in response.content.decode()


def test_bad_po_is_explained(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:add_po", args=[token]), {"purchase_order": "<script>"})
    assert response.status_code == 400
    assert "letters, digits" in response.content.decode()


def test_substitute_a_delegate(client, booking):
    token = links.manage_token(booking)
    first = booking.delegates.first()
    url = reverse("booking:substitute", args=[token, first.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"sub-name": "New Person", "sub-email": "new@example.org"}, follow=True)
    assert "has been replaced by New Person" in response.content.decode()
    emails = set(booking.delegates.values_list("email", flat=True))
    assert "new@example.org" in emails
    assert first.email not in emails
    assert booking.delegates.count() == 2


def test_substitute_with_an_email_already_booked_is_refused(client, booking):
    token = links.manage_token(booking)
    first, second = booking.delegates.all()
    response = client.post(
        reverse("booking:substitute", args=[token, first.pk]), {"sub-name": "Twin", "sub-email": second.email}
    )
    assert response.status_code == 400
    assert "Each delegate needs their own email address" in response.content.decode()


def test_add_and_remove_delegates(client, booking):
    token = links.manage_token(booking)
    data = {
        "add-TOTAL_FORMS": "1",
        "add-INITIAL_FORMS": "0",
        "add-0-name": "Third Person",
        "add-0-email": "third@example.org",
    }
    client.post(reverse("booking:add_delegates", args=[token]), data)
    assert booking.delegates.count() == 3
    third = booking.delegates.get(email="third@example.org")
    client.post(reverse("booking:remove_delegate", args=[token, third.pk]))
    assert booking.delegates.count() == 2


def test_adding_more_delegates_than_seats_is_refused(client, booking):
    token = links.manage_token(booking)
    data = {"add-TOTAL_FORMS": "3", "add-INITIAL_FORMS": "0"}
    for n in range(3):
        data.update({f"add-{n}-name": f"Extra {n}", f"add-{n}-email": f"extra{n}@example.org"})
    response = client.post(reverse("booking:add_delegates", args=[token]), data, follow=True)
    assert "Only 2 seats left" in response.content.decode()
    assert booking.delegates.count() == 2


def test_cancel_needs_confirmation(client, booking):
    token = links.manage_token(booking)
    response = client.post(reverse("booking:cancel", args=[token]), {})
    assert response.status_code == 400
    assert "Tick the box to confirm" in response.content.decode()
    client.post(reverse("booking:cancel", args=[token]), {"confirm": "on", "reason": "Rota clash"})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_changes_after_booking_closes_are_refused(client, booking):
    session = booking.session
    session.booking_closes_at = timezone.now() - timedelta(minutes=1)
    session.save()
    token = links.manage_token(booking)
    html = client.get(manage(booking)).content.decode()
    assert "Booking for this session has closed." in html
    assert "Cancel booking" not in html
    response = client.post(reverse("booking:cancel", args=[token]), {"confirm": "on"}, follow=True)
    assert "Changes can no longer be made online" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO


@pytest.mark.parametrize("token", ["nonsense", "ABCDEFGH:forged-signature", "ABCDEFGH"])
def test_bad_manage_links_are_a_friendly_404(client, booking, token):
    response = client.get(reverse("booking:manage", args=[token]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert booking.reference not in html


def test_manage_link_stops_working_after_the_session_ends(client, booking):
    session = booking.session
    session.starts_at = timezone.now() - timedelta(days=2)
    session.ends_at = timezone.now() - timedelta(days=2) + timedelta(hours=7)
    session.booking_closes_at = session.starts_at - timedelta(days=1)
    session.save()
    assert client.get(manage(booking)).status_code == 404


def test_manage_link_of_another_booking_does_not_work_for_this_one(client, booking, session):
    other = make_booking(session, count=1)
    token = links.manage_token(other)
    delegate = booking.delegates.first()
    response = client.post(reverse("booking:remove_delegate", args=[token, delegate.pk]), follow=True)
    assert Delegate.objects.filter(pk=delegate.pk).exists()
    assert "That delegate is not on this booking." in response.content.decode()


def test_reference_is_easy_to_read_aloud(client, booking):
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", booking.reference)


def test_non_uk_phone_numbers_are_refused(client, session):
    html = client.post(reverse("booking:book", args=[session.pk]), form_data(contact_phone="+1 202 555 0100")).content
    assert "Enter a UK phone number" in html.decode()
    ok = client.post(reverse("booking:book", args=[session.pk]), form_data(contact_phone="+44 20 7946 0000"))
    assert ok.status_code == 302


def test_the_favicon(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    from django.contrib.staticfiles import finders

    assert finders.find("favicon.svg").endswith("static/favicon.svg")
