"""A partner registers, lists and removes its own webhook endpoints with its key; the secret is
shown once; nobody else sees them; the rules are the admin's (public https URL, known events)."""

import json

import pytest
from django.test import Client

from partners.models import WebhookEndpoint
from partners.webhooks import signature_verify
from tests.factories import make_session
from tests.partners.test_api import book, client_for, make_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhooks_in_process", "fresh_counts")]

WEBHOOKS = "/api/v1/webhooks/"


def register(client, **body):
    body = {"url": "https://hooks.carejobs.example/training", "events": ["booking.created"]} | body
    return client.post(WEBHOOKS, json.dumps(body), content_type="application/json")


def test_a_partner_registers_an_endpoint_sees_its_secret_once_and_removes_it():
    partner = make_key()
    client = client_for(partner.key)

    made = register(client, description="LMS")
    assert made.status_code == 201
    answer = made.json()
    assert answer["secret"].startswith("whsec_")
    assert answer["events"] == ["booking.created"] and answer["description"] == "LMS"

    listed = client.get(WEBHOOKS).json()["results"]
    assert [row["id"] for row in listed] == [answer["id"]]
    assert "secret" not in listed[0] and "secret" not in client.get(f"{WEBHOOKS}{answer['id']}/").json()

    assert client.delete(f"{WEBHOOKS}{answer['id']}/").status_code == 204
    assert client.get(WEBHOOKS).json()["results"] == []
    assert not WebhookEndpoint.objects.get(pk=answer["id"]).active  # kept, with its deliveries


def test_another_partner_sees_and_removes_nothing_and_others_are_refused(django_user_model):
    made = register(client_for(make_key().key)).json()
    other = client_for(make_key("Other Partner Ltd").key)
    assert other.get(WEBHOOKS).json()["results"] == []
    assert other.get(f"{WEBHOOKS}{made['id']}/").status_code == 404
    assert other.delete(f"{WEBHOOKS}{made['id']}/").status_code == 404

    anonymous = Client().get(WEBHOOKS)
    assert anonymous.status_code == 401 and anonymous.has_header("WWW-Authenticate")
    staff = django_user_model.objects.create_user("office", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    assert client.get(WEBHOOKS).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://hooks.carejobs.example/x"}, "url"),
        ({"url": "https://10.0.0.5/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["booking.exploded"]}, "events"),
        ({"secret": "mine"}, "secret"),
    ],
)
def test_bad_registrations_are_refused_field_by_field(settings, body, field):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    response = register(client_for(make_key().key), **body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_a_partner_has_a_limit_of_endpoints(settings):
    settings.WEBHOOK_ENDPOINTS_PER_PARTNER = 2
    client = client_for(make_key().key)
    answers = [register(client) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [201, 201, 409]
    assert answers[2].json()["code"] == "too_many_endpoints"


def test_an_endpoint_registered_by_api_receives_the_partners_bookings_signed(
    receiver, django_capture_on_commit_callbacks
):
    partner = make_key()
    client = client_for(partner.key)
    secret = register(client, url=f"{receiver.url}/lms").json()["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        made = book(client, make_session(capacity=20)).json()
    [request] = receiver.requests
    assert json.loads(request["body"])["data"]["reference"] == made["reference"]
    assert signature_verify(secret, request["headers"]["Webhook-Signature"], request["body"])


def test_with_deliveries_off_nothing_is_sent(receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_DELIVERIES_ENABLED = False
    client = client_for(make_key().key)
    register(client, url=f"{receiver.url}/lms")
    with django_capture_on_commit_callbacks(execute=True):
        book(client, make_session(capacity=20))
    assert receiver.requests == []
