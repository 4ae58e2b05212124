"""GET /api/v1/sessions/{id}/delegates/: who is booked on a session, for office staff."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from booking import services
from booking.models import CourseSession
from partners.services import partner_key_create
from records.services.attendance import attendance_mark
from tests.factories import make_booking, make_session

pytestmark = pytest.mark.django_db


def url(session, query=""):
    return f"/api/v1/sessions/{getattr(session, 'pk', session)}/delegates/{query}"


def office(django_user_model, *codenames, is_staff=True, username="office"):
    user = django_user_model.objects.create_user(username, password="x", is_staff=is_staff)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="booking", codename__in=codenames))
    return user


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(office(django_user_model, "view_booking"))
    return client


@pytest.fixture
def session():
    return make_session(capacity=10, days=2)


def test_staff_see_the_delegates_holding_places_by_name_with_their_booking(staff_client, session):
    confirmed = make_booking(session, count=2, prefix="conf", organisation="Stour Valley College")
    awaiting = make_booking(session, count=1, prefix="po", po_to_follow=True)
    cancelled = make_booking(session, count=1, prefix="gone")
    services.booking_cancel(booking=cancelled, reason="", actor="booker")
    waitlisted = make_booking(session, count=9, prefix="wait", join_waitlist=True)
    assert waitlisted.status == "waitlisted"
    confirmed.delegates.filter(email="conf1@example.org").update(name="Amy Adams", adjustments="Hearing loop, please.")

    response = staff_client.get(url(session))

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert [(row["name"], row["booking_reference"], row["booking_status"]) for row in body["results"]] == [
        ("Amy Adams", confirmed.reference, "confirmed"),
        ("Delegate 0", confirmed.reference, "confirmed"),
        ("Delegate 0", awaiting.reference, "awaiting_po"),
    ]
    amy = body["results"][0]
    assert amy == {
        "id": confirmed.delegates.get(email="conf1@example.org").pk,
        "name": "Amy Adams",
        "email": "conf1@example.org",
        "job_role": "Nurse",
        "adjustments": "Hearing loop, please.",
        "booking_reference": confirmed.reference,
        "booking_status": "confirmed",
        "organisation": "Stour Valley College",
        "attendance": [],
    }
    assert "no-store" in response["Cache-Control"]


def test_attendance_marks_come_with_each_delegate_once_taken(staff_client, session):
    booking = make_booking(session, count=2)
    # The course ran yesterday and today: attendance can be taken for its first day.
    starts = timezone.now() - timedelta(days=1)
    CourseSession.objects.filter(pk=session.pk).update(starts_at=starts, booking_closes_at=starts - timedelta(days=1))
    first, second = session.days.order_by("starts_at")
    first.starts_at, first.ends_at = starts, starts + timedelta(hours=7)
    first.save()
    ann, bob = booking.delegates.order_by("name", "pk")
    attendance_mark(session=session, day=first, marks={ann.pk: "attended", bob.pk: "absent"}, actor="trainer")

    rows = staff_client.get(url(session)).json()["results"]

    day = timezone.localdate(starts).isoformat()
    assert [row["attendance"] for row in rows] == [
        [{"date": day, "status": "attended"}],
        [{"date": day, "status": "absent"}],
    ]


def test_in_house_sessions_are_listed_too(staff_client):
    from booking.services import in_house_register
    from tests.booking.in_house_factories import make_in_house

    host = make_in_house()
    in_house_register(session=host.session, name="Rita Reyes", email="rita@example.org", job_role="Ward sister")

    names = [row["name"] for row in staff_client.get(url(host.session)).json()["results"]]

    assert "Rita Reyes" in names


def test_the_same_queries_however_many_delegates(staff_client, session):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(url(session)).status_code == 200
        return len(captured)

    make_booking(session, count=1)
    one = queries()
    make_booking(session, count=4, prefix="more")
    make_booking(session, count=3, prefix="po", po_to_follow=True)

    assert queries() == one


def test_pages_and_unknown_query_parameters(staff_client, session):
    make_booking(session, count=3)

    page = staff_client.get(url(session, "?page_size=2&page=2")).json()
    unknown = staff_client.get(url(session, "?status=confirmed"))

    assert (page["count"], len(page["results"]), page["next"]) == (3, 1, None)
    assert unknown.status_code == 400
    assert unknown.json()["errors"] == {"status": ["This query parameter is not recognised."]}
    assert staff_client.get(url(session, "?page=3")).status_code == 404


def test_an_unknown_session_is_a_404(staff_client):
    response = staff_client.get(url(999999))

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_staff_api_token_works(client, django_user_model, session):
    make_booking(session, count=1)
    token = Token.objects.create(user=office(django_user_model, "change_booking"))

    response = client.get(url(session), headers={"Authorization": f"Token {token.key}"})

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_anyone_else_is_refused(client, django_user_model, session):
    make_booking(session, count=1)
    key = partner_key_create(organisation="Partner", contact_email="p@example.org").key

    anonymous = client.get(url(session))
    with_key = client.get(url(session), headers={"Authorization": f"Bearer {key}"})
    client.force_login(office(django_user_model, username="sales"))  # staff, but may not view bookings
    no_permission = client.get(url(session))
    client.force_login(office(django_user_model, "view_booking", is_staff=False, username="outsider"))
    not_staff = client.get(url(session))

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert [with_key.status_code, no_permission.status_code, not_staff.status_code] == [403, 403, 403]
    assert "Delegate 0" not in (with_key.content + no_permission.content + not_staff.content).decode()


def test_the_schema_documents_the_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/sessions/{id}/delegates/"]["get"]

    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}
    assert {} not in operation["security"]
    assert [p["name"] for p in operation["parameters"]] == ["id", "page", "page_size"]
    row = schema["components"]["schemas"]["SessionDelegate"]
    assert set(row["required"]) == set(row["properties"])
