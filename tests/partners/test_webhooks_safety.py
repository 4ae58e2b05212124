"""Webhooks after review: a partner's secret and bookings stay theirs, receivers must be public
addresses, a waiting booking is never announced as confirmed, and crafted signature headers are
refused rather than crashing the reference check."""

import pytest
from django.core.exceptions import ValidationError

from booking import services as booking_services
from partners import delivery
from partners.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, validate_webhook_url
from partners.webhooks import signature_header, signature_verify
from tests.factories import make_booking, make_session
from tests.partners.test_api import BOOKINGS, book, client_for, make_key, payload
from tests.partners.test_webhooks import ENDPOINTS, body_of, endpoint, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhooks_in_process", "fresh_counts")]


def test_only_staff_who_may_change_an_endpoint_see_its_secret(client, django_user_model, receiver):
    hook = endpoint(receiver, "/hook")
    client.force_login(staff(django_user_model, "viewer", "view_webhookendpoint"))
    page = client.get(f"{ENDPOINTS}{hook.pk}/change/").content.decode()
    assert hook.url in page and hook.secret not in page

    client.force_login(staff(django_user_model, "office", "view_webhookendpoint", "change_webhookendpoint"))
    assert hook.secret in client.get(f"{ENDPOINTS}{hook.pk}/change/").content.decode()


def test_an_endpoints_owner_cannot_be_changed_once_made(client, django_user_model, receiver):
    first, second = make_key("Care Jobs Ltd"), make_key("Other Partner Ltd")
    hook = endpoint(receiver, "/hook", partner=first)
    client.force_login(staff(django_user_model, "office", "view_webhookendpoint", "change_webhookendpoint"))
    client.post(
        f"{ENDPOINTS}{hook.pk}/change/",
        {"partner_key": second.partner_key.pk, "url": hook.url, "events": ["booking.created"], "active": "on"},
    )
    hook.refresh_from_db()
    assert hook.partner_key == first.partner_key


def test_a_booking_delivery_never_goes_to_another_partners_endpoint(
    receiver, django_capture_on_commit_callbacks, eager_celery, settings
):
    first, second = make_key("Care Jobs Ltd"), make_key("Other Partner Ltd")
    hook = endpoint(receiver, "/first", partner=first, events=["booking.created"])
    receiver.fail_first = 1  # the first attempt fails: the row waits for a retry
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(first.key), make_session(capacity=20))
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and len(receiver.requests) == 1

    # Whatever changed the endpoint's owner since (it cannot be done in the admin any more).
    WebhookEndpoint.objects.filter(pk=hook.pk).update(partner_key=second.partner_key)
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=row.created_at)
    assert delivery.delivery_send(row.pk).result == "failed"
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and "Not this partner's booking" in row.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://localhost/hook",
        "https://printer.local/hook",
        "http://partner.example.com/hook",
    ],
)
def test_in_production_a_receiver_must_be_a_public_https_address(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(ValidationError):
        validate_webhook_url(url)
    status, error = delivery.post(url, "{}", "whsec_x", "id", "booking.created")
    assert status is None and "not" in error.lower()


def test_a_public_https_address_is_accepted(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    validate_webhook_url("https://203.0.113.0.nip.example/hooks")  # a name: checked again when sent
    validate_webhook_url("https://8.8.8.8/hooks")


def test_a_waiting_booking_whose_email_is_confirmed_is_changed_not_confirmed(
    receiver, django_capture_on_commit_callbacks
):
    session = make_session(capacity=1)
    make_booking(session)
    endpoint(receiver, "/office", events=["booking.confirmed", "booking.changed"])
    with django_capture_on_commit_callbacks(execute=True):
        waiting = make_booking(session, join_waitlist=True, email_confirmation=True, prefix="w")
        booking_services.booking_confirm_email(booking=waiting)
    waiting.refresh_from_db()
    assert waiting.status == "waitlisted"
    assert [(body_of(r)["type"], body_of(r)["data"]["status"]) for r in receiver.requests] == [
        ("booking.changed", "waitlisted")
    ]


@pytest.mark.parametrize("header", ["t=²,v1=abc", "t=1700000000,v1=é", "t=,v1=", "v1=abc", "t=1e9,v1=abc", ""])
def test_crafted_signature_headers_are_refused_not_a_crash(header):
    assert signature_verify("whsec_x", header, b"{}") is False


def test_a_genuine_header_still_verifies():
    assert signature_verify("whsec_x", signature_header("whsec_x", b"{}"), b"{}") is True


def test_two_partners_sending_the_same_idempotency_key_each_get_their_own_booking():
    session = make_session(capacity=20)
    first, second = make_key("Care Jobs Ltd"), make_key("Other Partner Ltd")
    body = payload(session, contact_email="booker@example.org", delegates=[{"name": "Ann", "email": "ann@example.org"}])
    other = payload(session, contact_email="booker2@example.org", delegates=[{"name": "Bo", "email": "bo@example.org"}])

    def post(key, data):
        return client_for(key).post(BOOKINGS, data, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order-1001")

    one, two = post(first.key, body), post(second.key, other)
    assert (one.status_code, two.status_code) == (201, 201)  # not a 422 for "another body"
    assert one.json()["reference"] != two.json()["reference"]
    # Each partner retrying gets its own answer back.
    assert post(first.key, body).json()["reference"] == one.json()["reference"]
    assert post(second.key, other).json()["reference"] == two.json()["reference"]
