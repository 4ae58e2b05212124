"""Partner API keys (issue 13): `Authorization: Bearer <key>`.

A valid key makes bookings and leads attributed to it, lists and changes its own bookings, and is
limited per key; a malformed, unknown or revoked key is a 401 with WWW-Authenticate everywhere."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from booking.models import Booking, BookingEvent, BookingStatus
from enquiries.models import Lead
from partners import services
from partners.models import PartnerKey
from tests.booking.test_api import payload
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"
COURSES = "/api/v1/courses/"
BEARER = 'Bearer realm="api"'


@pytest.fixture(autouse=True)
def _fresh_counts():
    # The per-key counts live in the cache and would outlive a test (keys' ids are reused).
    cache.clear()
    yield
    cache.clear()


def make_key(organisation="Care Jobs Ltd", **limits):
    return services.partner_key_create(organisation=organisation, contact_email="api@carejobs.example", **limits)


def client_for(key):
    return Client(headers={"Authorization": f"Bearer {key}"})


def book(client, session, **overrides):
    """A booking whose people (booker and delegates) are new each time: a session refuses a delegate twice."""
    book.count = getattr(book, "count", 0) + 1
    people = {
        "contact_email": f"booker{book.count}@example.org",
        "delegates": [
            {"name": f"Person {book.count}", "email": f"person{book.count}@example.org", "job_role": "Nurse"}
        ],
    }
    return client.post(BOOKINGS, payload(session, **(people | overrides)), content_type="application/json")


@pytest.fixture
def session():
    return make_session(course=CourseFactory(price="145.00"), capacity=20)


@pytest.fixture
def partner():
    return make_key()


@pytest.fixture
def partner_client(partner):
    return client_for(partner.key)


# The key --------------------------------------------------------------------------------------


def test_only_a_hash_of_the_key_is_stored():
    new = make_key()
    row = PartnerKey.objects.get()
    assert row.prefix == new.key[:8]
    assert new.key not in {str(value) for value in row.__dict__.values()}
    assert len(new.key) >= 40
    assert services.partner_key_find(new.key) == row
    assert services.partner_key_find(new.key[:-1] + ("A" if new.key[-1] != "A" else "B")) is None


def test_a_valid_key_is_accepted_and_its_use_recorded(partner, partner_client):
    assert partner.partner_key.last_used_at is None
    assert partner_client.get(COURSES).status_code == 200
    partner.partner_key.refresh_from_db()
    assert partner.partner_key.last_used_at is not None


def unusable_keys():
    revoked = make_key("Gone Ltd")
    services.partner_key_revoke(partner_key=revoked.partner_key)
    return {
        "revoked": f"Bearer {revoked.key}",
        "unknown": f"Bearer {'x' * 43}",
        "wrong secret for a real prefix": f"Bearer {revoked.key[:8]}{'y' * 35}",
        "two words": "Bearer abc def",
        "no key": "Bearer",
        "a bad DRF token": "Token 0123456789abcdef",
    }


@pytest.mark.parametrize("path", [COURSES, "/api/v1/sessions/"])
def test_bad_credentials_are_401_with_www_authenticate_on_public_reads(path):
    for label, header in unusable_keys().items():
        response = Client(headers={"Authorization": header}).get(path)
        assert response.status_code == 401, label
        assert response["WWW-Authenticate"] == BEARER, label
        assert response.json()["code"] == "authentication_failed", label


def test_bad_credentials_are_401_on_making_a_booking_and_a_lead_and_nothing_is_made(session):
    for label, header in unusable_keys().items():
        client = Client(headers={"Authorization": header})
        response = book(client, session)
        assert (response.status_code, response["WWW-Authenticate"]) == (401, BEARER), label
        if header.startswith("Bearer"):  # the lead endpoints read partner keys only
            response = client.post(
                "/api/v1/enquiries/",
                {"name": "A", "organisation": "B", "email": "a@example.org", "consent": True},
                content_type="application/json",
            )
            assert (response.status_code, response["WWW-Authenticate"]) == (401, BEARER), label
    assert not Booking.objects.exists()
    assert not Lead.objects.exists()


def test_a_booking_token_valid_for_no_booking_is_a_401_and_another_bookings_token_a_404(session):
    from booking.links import manage_token

    booking = make_booking(session)
    other = make_booking(session, prefix="o")
    response = Client(headers={"Authorization": "Booking nonsense"}).get(f"{BOOKINGS}{booking.reference}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", Booking realm="api"'
    # Real credentials for another booking: the same 404 as a reference that does not exist.
    client = Client(headers={"Authorization": f"Booking {manage_token(other)}"})
    assert client.get(f"{BOOKINGS}{booking.reference}/").status_code == 404
    assert client.get(f"{BOOKINGS}NOSUCH1/").status_code == 404


def test_a_valid_drf_token_still_works(django_user_model, session):
    user = django_user_model.objects.create_user("office", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_booking"))
    booking = make_booking(session)
    client = Client(headers={"Authorization": f"Token {Token.objects.create(user=user).key}"})
    assert client.get(f"{BOOKINGS}{booking.reference}/").status_code == 200


# Bookings made with a key -----------------------------------------------------------------------


def test_a_booking_made_with_a_key_is_attributed_to_it_and_keeps_the_email_step(partner, partner_client, session):
    response = book(partner_client, session)
    assert response.status_code == 201, response.content
    booking = Booking.objects.get(reference=response.json()["reference"])
    assert booking.partner_key == partner.partner_key
    assert booking.status == BookingStatus.UNCONFIRMED
    event = booking.events.get(kind=BookingEvent.Kind.CREATED)
    assert event.actor == f"partner:{partner.partner_key.prefix} (API)"


def test_a_key_lists_its_own_bookings_only(partner, partner_client, session):
    mine = [book(partner_client, session).json()["reference"] for _ in range(2)]
    other = make_key("Other Agency")
    theirs = book(client_for(other.key), session).json()["reference"]
    make_booking(session)  # made on the site

    body = partner_client.get(BOOKINGS).json()
    assert body["count"] == 2
    assert [row["reference"] for row in body["results"]] == mine[::-1]
    assert [row["reference"] for row in client_for(other.key).get(BOOKINGS).json()["results"]] == [theirs]


def test_the_list_filters_by_status_session_and_modified_since(partner, partner_client, session):
    other_session = make_session(course=CourseFactory(), capacity=20)
    first = book(partner_client, session).json()["reference"]
    second = book(partner_client, other_session).json()["reference"]
    Booking.objects.filter(reference=first).update(
        status=BookingStatus.CONFIRMED, updated_at=timezone.now() - timedelta(days=2)
    )

    def references(**query):
        response = partner_client.get(BOOKINGS, query)
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert references(status="confirmed") == [first]
    assert references(status="unconfirmed") == [second]
    assert references(session=other_session.pk) == [second]
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert references(modified_since=since) == [second]
    assert references(modified_since=(timezone.now() - timedelta(days=3)).isoformat()) == [second, first]


def test_bad_filters_are_400_with_field_errors(partner_client):
    response = partner_client.get(BOOKINGS, {"status": "lost", "session": "abc", "modified_since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"status", "session", "modified_since"}


def test_the_list_without_a_key_is_401_and_staff_see_every_booking(client, django_user_model, session):
    response = client.get(BOOKINGS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == BEARER

    make_booking(session)
    sales = django_user_model.objects.create_user("sally", is_staff=True)
    client.force_login(sales)
    assert client.get(BOOKINGS).status_code == 403
    sales.user_permissions.add(Permission.objects.get(codename="view_booking"))
    client.force_login(django_user_model.objects.get(pk=sales.pk))
    body = client.get(BOOKINGS).json()
    assert body["count"] == 1
    assert body["results"][0]["manage_url"] is None  # may read, not act as the booker


def test_the_partner_reads_and_changes_its_booking_and_another_key_gets_404(partner, partner_client, session):
    reference = book(partner_client, session, purchase_order="", po_to_follow=True).json()["reference"]
    booking = Booking.objects.get(reference=reference)
    Booking.objects.filter(pk=booking.pk).update(email_confirmed_at=timezone.now(), status=BookingStatus.AWAITING_PO)

    assert partner_client.get(f"{BOOKINGS}{reference}/").json()["reference"] == reference
    response = partner_client.patch(
        f"{BOOKINGS}{reference}/", {"purchase_order": "PO-77"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert booking.events.filter(actor=partner.partner_key.actor).count() == 2  # made, then the PO

    stranger = client_for(make_key("Other Agency").key)
    assert stranger.get(f"{BOOKINGS}{reference}/").status_code == 404
    response = stranger.post(f"{BOOKINGS}{reference}/cancel/", {"reason": "x"}, content_type="application/json")
    assert response.status_code == 404
    site_booking = make_booking(session)
    assert partner_client.get(f"{BOOKINGS}{site_booking.reference}/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# Limits per key -------------------------------------------------------------------------------


def test_bookings_are_limited_per_key_not_per_address(settings, session):
    settings.BOOKINGS_RATE_LIMIT_PER_HOUR = 1  # the address's limit does not apply to a key
    limited = make_key(bookings_per_hour=2)
    client = client_for(limited.key)
    for _ in range(2):
        assert book(client, session).status_code == 201
    response = book(client, session)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Booking.objects.count() == 2
    # Another key from the same address has its own count.
    assert book(client_for(make_key("Other").key), session).status_code == 201


def test_leads_are_attributed_and_limited_per_key(settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1
    new = make_key(leads_per_hour=2)
    client = client_for(new.key)
    enquiry = {"name": "Alex", "organisation": "Riverside", "email": "alex@example.org", "consent": True}
    callback = {"name": "Jo Patel", "phone": "07911 123456", "consent": True}
    assert client.post("/api/v1/enquiries/", enquiry, content_type="application/json").status_code == 201
    assert client.post("/api/v1/callbacks/", callback, content_type="application/json").status_code == 201
    response = client.post("/api/v1/enquiries/", enquiry, content_type="application/json")
    assert response.status_code == 429
    assert "Retry-After" in response
    assert list(Lead.objects.values_list("partner_key", flat=True)) == [new.partner_key.pk] * 2
    # Without a key, the address's own limit.
    anonymous = Client()
    assert anonymous.post("/api/v1/enquiries/", enquiry, content_type="application/json").status_code == 201
    assert anonymous.post("/api/v1/enquiries/", enquiry, content_type="application/json").status_code == 429
    assert Lead.objects.filter(partner_key=None).count() == 1


def test_a_revoked_key_stops_working_at_once(partner, partner_client, session):
    assert book(partner_client, session).status_code == 201
    services.partner_key_revoke(partner_key=partner.partner_key)
    assert partner_client.get(BOOKINGS).status_code == 401
    assert book(partner_client, session).status_code == 401
