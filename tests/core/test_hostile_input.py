"""Input no form or client of ours sends gets a 4xx with a message, never a 500, and writes
nothing. (Each of these answered 500 or was accepted before.)"""

import json

import pytest
from django.urls import reverse

from booking.models import Booking
from enquiries.models import Lead
from tests.booking.test_api import BOOKINGS, payload
from tests.booking.test_views import form_data
from tests.enquiries.test_views import enquiry_data
from tests.factories import CourseFactory, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return make_session(capacity=5)


def post_json(client, url, body):
    return client.post(url, body if isinstance(body, str) else json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("url", [BOOKINGS, "/api/v1/enquiries/", "/api/v1/callbacks/", "/api/v1/newsletter/"])
def test_deeply_nested_json_is_a_400(client, url):
    for depth in (50, 100_000):
        response = post_json(client, url, "[" * depth + "]" * depth)
        assert response.status_code == 400, (depth, response.content[:200])
        assert "nested" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/courses/a%00/", "/api/v1/sectors/a%00/", "/api/v1/courses/?search=a%00", "/courses/a%00/"]
)
def test_a_nul_character_in_a_url_is_a_400(client, path):
    CourseFactory(slug="a")
    assert client.get(path).status_code == 400


def test_a_nul_character_in_json_or_a_form_is_a_400_and_writes_nothing(client, session):
    response = post_json(client, "/api/v1/enquiries/", {"name": "Jo", "courses": ["a\u0000"]})
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
    assert post_json(client, BOOKINGS, payload(session, organisation="Trust\u0000")).status_code == 400
    form = client.post(reverse("enquiries:enquiry"), enquiry_data(courses=["a\x00"]))
    assert form.status_code == 400
    assert not Lead.objects.exists() and not Booking.objects.exists()


@pytest.mark.parametrize("value", [1.5, "1.5", True, "1e0", [1], {"id": 1}])
def test_a_session_id_must_be_a_whole_number(client, session, value):
    body = {**payload(session), "session": value if value != 1.5 else session.pk + 0.5}
    response = post_json(client, BOOKINGS, body)
    assert response.status_code == 400, response.content
    assert "session" in response.json()["errors"]
    assert not Booking.objects.exists()


def test_a_tampered_delegate_count_in_the_booking_form_is_not_a_500(client, session):
    url = reverse("booking:book", args=[session.pk])
    for action in ("review", "add", "remove-0", "undo"):
        response = client.post(url, {**form_data(count=1), "form-TOTAL_FORMS": "abc", "action": action})
        assert response.status_code in (200, 400), (action, response.status_code)
    assert not Booking.objects.exists()


def test_free_text_has_a_length_limit_on_the_form_and_the_api(client, session):
    huge = "x" * 2_400_000
    response = post_json(client, BOOKINGS, payload(session, invoice_address=huge))
    assert response.status_code == 400
    assert "invoice_address" in response.json()["errors"]
    response = post_json(
        client, BOOKINGS, payload(session, delegates=[{"name": "A", "email": "a@example.org", "adjustments": huge}])
    )
    assert response.status_code == 400
    form = client.post(reverse("booking:book", args=[session.pk]), form_data(count=1, invoice_address=huge))
    assert form.status_code == 200 and "Booking" not in form.headers.get("Location", "")
    assert "500 characters" in form.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.parametrize("digit", ["²", "٣", "①"])
def test_digits_that_are_not_ascii_are_refused_not_a_500(client, session, digit):
    assert post_json(client, BOOKINGS, {**payload(session), "session": digit}).status_code == 400
    url = reverse("booking:book", args=[session.pk])
    for extra in ({"form-TOTAL_FORMS": digit}, {"action": f"remove-{digit}"}, {"action": "undo", "undo-index": digit}):
        response = client.post(url, {**form_data(count=1), **extra})
        assert response.status_code < 500, extra
