"""Webhooks (issue 13): signed notices of booking and session changes, written with the change,
sent to a real HTTP receiver on loopback, retried with backoff, resent from the admin.

Without a broker the delivery task runs in this process when the change commits; the tests with
a real worker are in test_webhooks_worker.py."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from booking import services as booking_services
from partners import delivery
from partners.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from partners.webhooks import signature_header, signature_verify, webhooks_emit
from tests.factories import CourseFactory, make_booking, make_session
from tests.partners.test_api import book, client_for, make_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("webhooks_in_process", "fresh_counts")]

DELIVERIES = "/admin/partners/webhookdelivery/"
ENDPOINTS = "/admin/partners/webhookendpoint/"
ALL_EVENTS = [
    "booking.created",
    "booking.confirmed",
    "booking.changed",
    "booking.cancelled",
    "booking.waitlist_promoted",
    "session.changed",
    "session.cancelled",
    "session.seats_changed",
]


def endpoint(receiver, path, *, partner=None, events=ALL_EVENTS, **fields):
    return WebhookEndpoint.objects.create(
        url=receiver.url + path, partner_key=partner.partner_key if partner else None, events=events, **fields
    )


def body_of(request):
    return json.loads(request["body"])


@pytest.fixture
def session():
    return make_session(course=CourseFactory(price="145.00"), capacity=20)


# Signatures ------------------------------------------------------------------------------------


def test_each_request_is_signed_with_the_endpoints_secret(receiver, session, django_capture_on_commit_callbacks):
    partner = make_key()
    hook = endpoint(receiver, "/hook", partner=partner, events=["booking.created"])
    with django_capture_on_commit_callbacks(execute=True):
        response = book(client_for(partner.key), session)
    assert response.status_code == 201

    [request] = receiver.to("/hook")
    headers, raw = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    event = json.loads(raw)
    assert headers["Webhook-Id"] == event["id"]
    assert event["type"] == "booking.created" and event["change"] == "created"
    assert event["data"]["reference"] == response.json()["reference"]
    assert event["data"]["manage_url"] is None  # the booker's private link is not passed on

    signature = headers["Webhook-Signature"]
    assert signature_verify(hook.secret, signature, raw)
    assert not signature_verify("whsec_someone_else", signature, raw)
    assert not signature_verify(hook.secret, signature, raw.replace(b"created", b"cancelled"))
    timestamp = int(signature.split(",")[0].removeprefix("t="))
    assert not signature_verify(hook.secret, signature, raw, now=timestamp + 301)
    assert signature_verify(hook.secret, signature, raw, now=timestamp + 299)
    assert not signature_verify(hook.secret, "", raw)
    assert not signature_verify(hook.secret, "t=abc,v1=00", raw)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    import hashlib
    import hmac

    body = b'{"id":"1"}'
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature_header("whsec_abc", body, timestamp=1700000000) == f"t=1700000000,v1={expected}"


# What is written, and for whom ---------------------------------------------------------------


def test_a_rolled_back_booking_sends_nothing(receiver, session, django_capture_on_commit_callbacks):
    endpoint(receiver, "/office")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        make_booking(session)
        assert WebhookDelivery.objects.count() == 2  # booking.created and session.seats_changed
        raise RuntimeError("the change fails after the booking")
    assert WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_a_partner_hears_only_of_its_own_bookings_and_the_office_of_all(
    receiver, session, django_capture_on_commit_callbacks
):
    first, second = make_key("Care Jobs Ltd"), make_key("Ward Staffing plc")
    endpoint(receiver, "/first", partner=first)
    endpoint(receiver, "/second", partner=second)
    endpoint(receiver, "/office")
    with django_capture_on_commit_callbacks(execute=True):
        reference = book(client_for(first.key), session).json()["reference"]
        make_booking(session)  # made by the office: no partner key

    assert [body_of(r)["data"]["reference"] for r in receiver.to("/first", "booking.created")] == [reference]
    assert receiver.to("/second", "booking.created") == []
    assert len(receiver.to("/office", "booking.created")) == 2
    # Seats are public: everyone subscribed hears that they moved, once per booking.
    for path in ("/first", "/second", "/office"):
        assert len(receiver.to(path, "session.seats_changed")) == 2


def test_seats_changed_carries_the_seats_remaining_after_the_change(
    receiver, session, django_capture_on_commit_callbacks
):
    endpoint(receiver, "/office", events=["session.seats_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        booking = make_booking(session, count=3)
        booking_services.booking_cancel(booking=booking, by_staff=True, actor="staff")
        booking_services.session_change_capacity(session=session, capacity=25)
    changes = [(body_of(r)["change"], body_of(r)["data"]["seats_remaining"]) for r in receiver.requests]
    assert changes == [("created", 17), ("cancelled", 20), ("capacity_changed", 25)]
    assert body_of(receiver.requests[0])["data"]["id"] == session.pk


def test_a_session_cancelled_is_one_session_event_and_one_booking_event_per_booking(
    receiver, session, django_capture_on_commit_callbacks
):
    partner = make_key()
    endpoint(receiver, "/partner", partner=partner, events=["session.cancelled", "booking.cancelled"])
    endpoint(receiver, "/office", events=["session.cancelled", "booking.cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(partner.key), session)
        make_booking(session)
        make_booking(session)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.session_cancel(session=session, reason="Trainer unwell")

    for path in ("/partner", "/office"):
        [cancelled] = receiver.to(path, "session.cancelled")
        assert body_of(cancelled)["data"]["status"] == "cancelled"
    assert len(receiver.to("/office", "booking.cancelled")) == 3
    [own] = receiver.to("/partner", "booking.cancelled")
    assert body_of(own)["change"] == "session_cancelled"


def test_a_session_moved_is_one_event(receiver, session, django_capture_on_commit_callbacks):
    endpoint(receiver, "/office", events=["session.changed", "booking.changed"])
    make_booking(session, count=2)
    make_booking(session)
    previous = booking_services.session_schedule(session)
    day = session.days.get()
    day.starts_at += timedelta(days=1)
    day.ends_at += timedelta(days=1)
    day.save()
    booking_services.session_sync_span(session)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.session_schedule_changed(session=session, previous=previous)
    [moved] = receiver.requests
    assert (body_of(moved)["type"], body_of(moved)["change"]) == ("session.changed", "moved")


def test_in_house_and_unpublished_sessions_are_the_offices_alone(receiver, django_capture_on_commit_callbacks):
    partner = make_key()
    endpoint(receiver, "/partner", partner=partner)
    endpoint(receiver, "/office")
    hidden = make_session(course=CourseFactory(is_published=False), capacity=5)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.session_change_capacity(session=hidden, capacity=6)
    assert len(receiver.to("/office", "session.seats_changed")) == 1
    assert receiver.to("/partner") == []


def test_the_booking_lifecycle_names_each_change(receiver, session, django_capture_on_commit_callbacks):
    partner = make_key()
    endpoint(receiver, "/partner", partner=partner, events=[e for e in ALL_EVENTS if e.startswith("booking.")])
    with django_capture_on_commit_callbacks(execute=True):
        made = book(client_for(partner.key), session, purchase_order="", po_to_follow=True).json()
        booking = session.bookings.get(reference=made["reference"])
        booking_services.booking_confirm_email(booking=booking)  # -> awaiting_po
        booking_services.booking_add_po(booking=booking, purchase_order="PO-1")  # -> confirmed
        booking_services.booking_add_po(booking=booking, purchase_order="PO-2", by_staff=True)  # a correction
        booking_services.booking_add_delegates(
            booking=booking, delegates=[booking_services.DelegateData(name="Ann Other", email="ann@example.org")]
        )
        booking_services.booking_cancel(booking=booking)

    seen = [(body_of(r)["type"], body_of(r)["change"], body_of(r)["data"]["status"]) for r in receiver.requests]
    assert seen == [
        ("booking.created", "created", "unconfirmed"),
        ("booking.confirmed", "email_confirmed", "awaiting_po"),
        ("booking.confirmed", "po_added", "confirmed"),
        ("booking.changed", "po_added", "confirmed"),
        ("booking.changed", "delegate_added", "confirmed"),
        ("booking.cancelled", "cancelled", "cancelled"),
    ]
    assert len({r["headers"]["Webhook-Id"] for r in receiver.requests}) == 6


def test_a_promotion_from_the_waiting_list(receiver, django_capture_on_commit_callbacks):
    session = make_session(capacity=1)
    endpoint(receiver, "/office", events=["booking.created", "booking.waitlist_promoted"])
    holder = make_booking(session)
    with django_capture_on_commit_callbacks(execute=True):
        waiting = make_booking(session, join_waitlist=True)
        booking_services.booking_cancel(booking=holder, by_staff=True)
    assert [(body_of(r)["type"], body_of(r)["data"]["reference"]) for r in receiver.requests] == [
        ("booking.created", waiting.reference),
        ("booking.waitlist_promoted", waiting.reference),
    ]


def test_inactive_endpoints_and_revoked_keys_get_nothing(receiver, session, django_capture_on_commit_callbacks):
    from partners.services import partner_key_revoke

    partner = make_key()
    endpoint(receiver, "/inactive", active=False)
    endpoint(receiver, "/revoked", partner=partner)
    endpoint(receiver, "/unsubscribed", events=["session.cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        reference = book(client_for(partner.key), session).json()["reference"]
        partner_key_revoke(partner_key=partner.partner_key)
        booking_services.booking_cancel(booking=session.bookings.get(reference=reference), by_staff=True)
    assert [body_of(r)["type"] for r in receiver.requests] == []
    assert WebhookDelivery.objects.filter(endpoint__url__endswith="/revoked").count() == 2  # before revoking
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.FAILED}


# Sending, retrying, giving up ---------------------------------------------------------------


def one_delivery(receiver, django_capture_on_commit_callbacks, **fields):
    hook = endpoint(receiver, "/hook", events=["booking.created"], **fields)
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(make_session())
    return hook, WebhookDelivery.objects.get()


def test_a_failing_receiver_gets_the_event_again_with_backoff_until_it_answers(
    receiver, django_capture_on_commit_callbacks
):
    receiver.fail_first = 2
    hook, row = one_delivery(receiver, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_response_status) == (DeliveryStatus.PENDING, 1, 500)
    first_try = row.last_attempt_at
    assert row.next_attempt_at == first_try + timedelta(minutes=1)

    assert delivery.delivery_send(row.pk, now=first_try + timedelta(seconds=30)).result == "skipped"  # not due
    assert delivery.delivery_send(row.pk, now=first_try + timedelta(seconds=61)).result == "retry"
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.next_attempt_at == first_try + timedelta(seconds=61 + 300)
    assert delivery.delivery_send(row.pk, now=first_try + timedelta(minutes=7)).result == "sent"
    # Once sent, any later copy of the task sends nothing.
    assert delivery.delivery_send(row.pk, now=first_try + timedelta(days=1)).result == "skipped"

    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_response_status, row.last_error) == (DeliveryStatus.SENT, 3, 200, "")
    assert len(receiver.requests) == 3
    assert {r["headers"]["Webhook-Id"] for r in receiver.requests} == {str(row.event_id)}
    assert all(signature_verify(hook.secret, r["headers"]["Webhook-Signature"], r["body"]) for r in receiver.requests)


def test_after_the_last_retry_the_delivery_fails(receiver, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_RETRY_DELAYS = [60, 300]
    receiver.status = 503
    _hook, row = one_delivery(receiver, django_capture_on_commit_callbacks)
    later = timezone.now() + timedelta(minutes=2)
    assert delivery.delivery_send(row.pk, now=later).result == "retry"
    assert delivery.delivery_send(row.pk, now=later + timedelta(minutes=6)).result == "failed"
    assert delivery.delivery_send(row.pk, now=later + timedelta(days=1)).result == "skipped"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.FAILED, 3, None)
    assert row.last_error.startswith("HTTP 503")
    assert len(receiver.requests) == 3


def test_a_redirect_is_not_followed(receiver, django_capture_on_commit_callbacks):
    receiver.status, receiver.location = 301, receiver.url + "/elsewhere"
    _hook, row = one_delivery(receiver, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert [r["path"] for r in receiver.requests] == ["/hook"]
    assert row.status == DeliveryStatus.PENDING and row.last_response_status == 301
    assert "not followed" in row.last_error


def test_an_unreachable_receiver_is_retried_later(django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{port}/hook", events=["booking.created"])
    with django_capture_on_commit_callbacks(execute=True):
        make_booking(make_session())
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.last_response_status) == (DeliveryStatus.PENDING, 1, None)
    assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error


def test_the_sweep_sends_what_was_never_queued_and_nothing_twice(receiver, django_capture_on_commit_callbacks):
    endpoint(receiver, "/hook", events=["booking.created"])
    with django_capture_on_commit_callbacks(execute=False):  # as if the broker had been down
        make_booking(make_session())
    assert receiver.requests == []
    row = WebhookDelivery.objects.get()
    assert delivery.webhook_sweep(now=timezone.now())["requeued"] == 0  # not overdue yet
    assert delivery.webhook_sweep(now=timezone.now() + timedelta(minutes=5))["requeued"] == 1
    assert delivery.webhook_sweep(now=timezone.now() + timedelta(minutes=10))["requeued"] == 0
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT
    assert len(receiver.requests) == 1


def test_the_sweep_removes_finished_deliveries_after_the_keep_period(receiver, django_capture_on_commit_callbacks):
    _hook, row = one_delivery(receiver, django_capture_on_commit_callbacks)
    assert delivery.webhook_sweep(now=timezone.now() + timedelta(days=29))["purged"] == 0
    assert delivery.webhook_sweep(now=timezone.now() + timedelta(days=31))["purged"] == 1
    assert not WebhookDelivery.objects.filter(pk=row.pk).exists()


def test_unknown_event_types_are_refused():
    with pytest.raises(ValueError):
        webhooks_emit("booking.exploded", {})


# The admin ------------------------------------------------------------------------------------


def staff(django_user_model, name, *codenames):
    user = django_user_model.objects.create_user(name, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="partners", codename__in=codenames))
    return user


def test_office_resends_a_failed_delivery_and_view_only_staff_cannot(
    client, django_user_model, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_DELAYS = []  # one attempt, then failed
    receiver.fail_first = 1
    _hook, row = one_delivery(receiver, django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED

    viewer = staff(django_user_model, "vera", "view_webhookdelivery", "view_webhookendpoint")
    client.force_login(viewer)
    page = client.get(f"{DELIVERIES}{row.pk}/change/").content.decode()
    assert "booking.created" in page and "&quot;reference&quot;" in page  # the payload, pretty
    assert 'value="resend"' not in client.get(DELIVERIES).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(DELIVERIES, {"action": "resend", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.status == DeliveryStatus.FAILED and len(receiver.requests) == 1

    office = staff(django_user_model, "olive", "view_webhookdelivery", "change_webhookdelivery")
    client.force_login(office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DELIVERIES, {"action": "resend", "_selected_action": [row.pk]}, follow=True)
    assert "Resending 1 delivery" in response.content.decode()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_sales_and_anonymous_see_no_webhooks(client, django_user_model, receiver, django_capture_on_commit_callbacks):
    one_delivery(receiver, django_capture_on_commit_callbacks)
    assert client.get(DELIVERIES).status_code == 302  # to the sign-in page
    sales = django_user_model.objects.create_user("sam", is_staff=True)
    sales.groups.add(Group.objects.get(name="Sales"))
    client.force_login(sales)
    for page in (DELIVERIES, ENDPOINTS):
        assert client.get(page).status_code == 403


def test_office_registers_an_endpoint_copies_its_secret_tests_and_rolls_it(
    client, django_user_model, receiver, django_capture_on_commit_callbacks
):
    client.force_login(staff(django_user_model, "olive", *[f"{a}_webhookendpoint" for a in ("add", "change", "view")]))
    refused = client.post(f"{ENDPOINTS}add/", {"url": "http://partner.example/hook", "events": ["booking.created"]})
    assert "Use an https:// address" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    client.post(f"{ENDPOINTS}add/", {"url": receiver.url + "/hook", "events": ["booking.created"], "active": "on"})
    hook = WebhookEndpoint.objects.get()
    assert hook.secret.startswith("whsec_") and hook.events == ["booking.created"]
    assert hook.secret in client.get(f"{ENDPOINTS}{hook.pk}/change/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(ENDPOINTS, {"action": "roll_secret", "_selected_action": [hook.pk]})
        client.post(ENDPOINTS, {"action": "send_test", "_selected_action": [hook.pk]})
    old_secret, hook = hook.secret, WebhookEndpoint.objects.get()
    assert hook.secret != old_secret
    [test] = receiver.requests
    assert body_of(test)["type"] == "webhook.test"
    assert signature_verify(hook.secret, test["headers"]["Webhook-Signature"], test["body"])
    assert not signature_verify(old_secret, test["headers"]["Webhook-Signature"], test["body"])


def test_an_in_house_course_cancelled_with_its_booking_sends_one_session_cancelled(
    receiver, django_capture_on_commit_callbacks
):
    from booking.models import SessionStatus
    from tests.booking.in_house_factories import make_in_house

    booking = make_in_house()
    endpoint(receiver, "/office", events=["session.cancelled", "booking.cancelled"])
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, by_staff=True, reason="Budget withdrawn")
    booking.session.refresh_from_db()
    assert booking.session.status == SessionStatus.CANCELLED
    assert sorted(body_of(r)["type"] for r in receiver.requests) == ["booking.cancelled", "session.cancelled"]
