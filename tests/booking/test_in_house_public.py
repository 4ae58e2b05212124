"""An in-house session is for one organisation: it never appears on the public pages or the
public API, is never offered as another date, and cannot be booked as a public session."""

import pytest
from django.urls import reverse

from booking import selectors, services
from booking.emails import other_dates_placeholders
from booking.models import Booking
from outbox.models import OutboundEmail
from tests.booking.in_house_factories import make_in_house
from tests.factories import CourseFactory, VenueFactory, make_booking, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return CourseFactory(title="De-escalation Skills", slug="de-escalation-skills")


@pytest.fixture
def public(course):
    return make_session(course=course, venue=VenueFactory(town="Colchester", postcode="CO1 1AA"), starts_in_days=20)


@pytest.fixture
def in_house(course):
    return make_in_house(course=course, starts_in_days=25).session


def booking_data(session_id):
    return {
        "session": session_id,
        "organisation": "Someone Else Ltd",
        "organisation_type": "other",
        "contact_name": "Intruder",
        "contact_email": "intruder@example.net",
        "contact_phone": "01473 555012",
        "invoice_address": "1 Road, Ipswich IP1 1AA",
        "purchase_order": "PO-1",
        "accept_terms": True,
        "delegates": [{"name": "Gate Crasher", "email": "gate@example.net"}],
    }


def test_the_course_page_lists_only_the_public_date(client, course, public, in_house):
    html = client.get(course.get_absolute_url()).content.decode()
    assert reverse("booking:book", args=[public.pk]) in html
    assert reverse("booking:book", args=[in_house.pk]) not in html
    assert "Orwell Valley" not in html and "Heath Road" not in html


def test_the_selectors_of_public_lists_leave_in_house_sessions_out(course, public, in_house):
    assert list(selectors.session_list_upcoming()) == [public]
    assert list(selectors.session_list_upcoming(course=course.slug, available=True)) == [public]
    assert list(selectors.session_list_public()) == [public]
    # Staff lists (the admin) read every session.
    assert set(selectors.session_list()) == {public, in_house}


def test_the_public_sessions_api_neither_lists_nor_shows_it(client, public, in_house):
    listed = client.get("/api/v1/sessions/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [public.pk]
    assert client.get(f"/api/v1/sessions/{public.pk}/").status_code == 200
    assert client.get(f"/api/v1/sessions/{in_house.pk}/").status_code == 404


def test_the_booking_api_treats_it_as_no_such_session(client, in_house):
    before = Booking.objects.count()
    response = client.post("/api/v1/bookings/", booking_data(in_house.pk), content_type="application/json")
    assert response.status_code == 400
    assert f"There is no session with id {in_house.pk}." in response.content.decode()
    assert Booking.objects.count() == before


def test_the_booking_pages_are_404(client, in_house):
    assert client.get(reverse("booking:book", args=[in_house.pk])).status_code == 404
    assert client.post(reverse("booking:book", args=[in_house.pk]), {"action": "review"}).status_code == 404
    assert client.get(reverse("booking:review", args=[in_house.pk])).status_code == 404


def test_other_dates_in_emails_never_offer_it(course, public, in_house):
    other = make_session(course=course, starts_in_days=60)
    lines = other_dates_placeholders(other)["other_dates"].splitlines()
    assert len(lines) == 1 and "Colchester" in lines[0]

    # A public booker whose course is cancelled is offered the public date only.
    booking = make_booking(other, count=1)
    services.session_cancel(session=other, reason="Trainer unwell")
    [notice] = OutboundEmail.objects.filter(kind="session_cancelled_booker", to=[booking.contact_email])
    offered = notice.body_text.split("OTHER DATES")[1].split("See all dates")[0]
    assert "Colchester" in offered and "Ipswich" not in offered


def test_the_coordinator_of_a_cancelled_in_house_course_is_offered_no_public_dates(course, public, in_house):
    booking = in_house.bookings.get()
    services.session_cancel(session=in_house, reason="Ward closed")
    [notice] = OutboundEmail.objects.filter(kind="session_cancelled_booker", to=[booking.contact_email])
    assert "We will contact you to agree another date for your in-house course." in notice.body_text
    assert "Colchester" not in notice.body_text and "See all dates and book" not in notice.body_text


def test_there_are_no_sitemaps_to_leak_it(client):
    # The site has no sitemap (nor robots entries listing sessions); if one is added, it must use
    # booking.selectors.session_list_public(), as the pages above do.
    assert client.get("/sitemap.xml").status_code == 404
