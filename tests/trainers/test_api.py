"""PUT /api/v1/sessions/{id}/trainer/: office staff put a trainer on a session through the same
service as the admin; refusals come back field by field in the shared error format."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .conftest import day, make_session_on, make_trainer

pytestmark = pytest.mark.django_db


def url(session_id):
    return reverse("api:session-trainer-assign", args=[session_id])


def make_staff(username="olivia", *, can_change=True, is_staff=True):
    user = get_user_model().objects.create_user(username, email=f"{username}@example.com", is_staff=is_staff)
    if can_change:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="booking", codename="change_coursesession")
        )
    return user


@pytest.fixture
def office():
    client = APIClient()
    client.force_authenticate(make_staff())
    return client


@pytest.fixture
def tuesday(conflict):
    return make_session_on(day(2037, 3, 3), course=conflict)


def put(client, session_id, body):
    return client.put(url(session_id), body, format="json")


def test_the_url():
    assert url(12) == "/api/v1/sessions/12/trainer/"


def test_office_staff_put_a_trainer_on_a_session(office, helen, tuesday):
    response = put(office, tuesday.pk, {"trainer": helen.pk})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "session": tuesday.pk,
        "course": "Conflict Resolution",
        "in_house": False,
        "trainer": {"id": helen.pk, "name": "Helen Ward", "email": "helen.ward@example.com"},
    }
    tuesday.refresh_from_db()
    assert tuesday.trainer == helen


def test_null_takes_the_trainer_off(office, helen, conflict):
    session = make_session_on(day(2037, 3, 3), course=conflict, trainer=helen)
    response = put(office, session.pk, {"trainer": None})
    assert response.status_code == 200
    assert response.json()["trainer"] is None
    session.refresh_from_db()
    assert session.trainer is None


def test_in_house_sessions_are_reachable_for_staff(office, helen, conflict):
    session = make_session_on(day(2037, 3, 3), course=conflict, is_in_house=True)
    response = put(office, session.pk, {"trainer": helen.pk})
    assert response.status_code == 200
    assert response.json()["in_house"] is True


def test_a_clash_is_a_400_on_the_trainer_field_and_changes_nothing(office, helen, conflict, deescalation, ipswich):
    make_session_on(day(2037, 3, 3), course=deescalation, venue=ipswich, trainer=helen)
    other = make_session_on(day(2037, 3, 3), course=conflict)

    response = put(office, other.pk, {"trainer": helen.pk})

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "The request has invalid fields.",
        "errors": {"trainer": ["Helen Ward is already on De-escalation Skills, Ipswich on Tue 3 March 2037."]},
    }
    other.refresh_from_db()
    assert other.trainer is None


def test_every_rule_is_the_services(office, tuesday, conflict):
    stranger = make_trainer("Sam Cole")
    assert put(office, tuesday.pk, {"trainer": stranger.pk}).json()["errors"] == {
        "trainer": ["Sam Cole is not set up to deliver Conflict Resolution."]
    }
    gone = make_trainer("Jo Hart", courses=[conflict], is_active=False)
    assert put(office, tuesday.pk, {"trainer": gone.pk}).json()["errors"] == {
        "trainer": ["Jo Hart is no longer active. Choose another trainer."]
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"trainer": ["This field is required."]}),
        ({"trainer": 999999}, {"trainer": ["No trainer has id 999999. Choose one of the trainers."]}),
        ({"trainer": "Helen"}, {"trainer": ["Give the trainer's id as a whole number, or null."]}),
        ({"trainer": None, "notify": True}, {"notify": ["This field is not recognised."]}),
    ],
)
def test_bad_bodies_are_400_field_by_field(office, tuesday, body, errors):
    response = put(office, tuesday.pk, body)
    assert response.status_code == 400
    assert response.json()["errors"] == errors


def test_an_unknown_session_is_404(office, helen):
    response = put(office, 999999, {"trainer": helen.pk})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_anonymous_is_401_with_the_token_challenge(helen, tuesday):
    response = put(APIClient(), tuesday.pk, {"trainer": helen.pk})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("is_staff", "can_change"),
    [(True, False), (False, True)],
    ids=["staff-without-the-permission", "permission-without-staff"],
)
def test_others_are_403(helen, tuesday, is_staff, can_change):
    client = APIClient()
    client.force_authenticate(make_staff(is_staff=is_staff, can_change=can_change))
    response = put(client, tuesday.pk, {"trainer": helen.pk})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    tuesday.refresh_from_db()
    assert tuesday.trainer is None


def test_sales_users_are_403(sales_user, helen, tuesday):
    client = APIClient()
    client.force_authenticate(sales_user)
    assert put(client, tuesday.pk, {"trainer": helen.pk}).status_code == 403


def test_a_token_works_and_get_is_not_allowed(helen, tuesday):
    token = Token.objects.create(user=make_staff())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(url(tuesday.pk)).status_code == 405
    assert put(client, tuesday.pk, {"trainer": helen.pk}).status_code == 200


def test_a_signed_in_session_needs_its_csrf_token(helen, tuesday):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_staff())
    assert put(client, tuesday.pk, {"trainer": helen.pk}).status_code == 403


def test_the_public_session_endpoints_are_unchanged(client, tuesday):
    root = client.get("/api/v1/").json()
    assert root["sessions"].endswith("/api/v1/sessions/")
    assert client.get(f"/api/v1/sessions/{tuesday.pk}/").status_code == 200


def test_the_schema_documents_the_endpoint():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/sessions/{id}/trainer/"]["put"]
    assert operation["summary"] == "Put a trainer on a session"
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "415", "503"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    trainer = schema["components"]["schemas"][body]["properties"]["trainer"]
    assert trainer["nullable"] is True and trainer["type"] == "integer"
    assert [p["name"] for p in operation["parameters"]] == ["id"]
