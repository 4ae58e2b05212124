"""Webhooks with real Celery workers on Redis and PostgreSQL: each event reaches the receiver once,
however many copies of its task the sweep, a retry or a second worker runs; a failed attempt is
tried again and then delivered."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from partners import delivery
from partners.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from partners.tasks import deliver_webhook
from partners.webhooks import signature_verify, webhooks_emit
from tests.factories import CourseFactory, make_session
from tests.partners.test_api import book, client_for, make_key

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def services_up(require_postgres, require_redis):
    from django.core.cache import cache

    cache.clear()  # the per-key booking counts outlive a test in Redis
    redis_client().delete(*QUEUES)  # copies left by an earlier run would muddle the counts
    yield
    cache.clear()


def wait_until(check, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    pytest.fail(f"gave up waiting for {what}")


QUEUES = ["webhooks", "barrier", "barrier-a", "barrier-b"]


def redis_client():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def queue_length(name):
    return redis_client().llen(name)


def marker(endpoint, queue):
    """A delivery queued on one worker's own queue, after everything else it holds: when the
    receiver has it, that worker has run every task it took before."""
    row = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type="webhook.test",
        body=json.dumps({"type": "webhook.test", "marker": queue}),
        next_attempt_at=timezone.now(),
    )
    deliver_webhook.apply_async(args=[row.pk], queue=queue)
    return row


def test_a_booking_made_with_a_key_is_delivered_once_even_after_the_sweep(services_up, start_worker, receiver):
    start_worker(queues="webhooks,barrier")
    partner = make_key()
    hook = WebhookEndpoint.objects.create(
        url=receiver.url + "/hook", partner_key=partner.partner_key, events=["booking.created"]
    )
    session = make_session(course=CourseFactory(price="145.00"), capacity=20)

    response = book(client_for(partner.key), session)
    assert response.status_code == 201
    wait_until(lambda: len(receiver.requests) == 1, "the booking.created request")
    row = WebhookDelivery.objects.get()
    wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.SENT, "the delivery marked sent")

    # Every way a copy could come again: the sweep long after, and the task queued by hand.
    assert delivery.webhook_sweep(now=timezone.now() + timedelta(hours=1))["requeued"] == 0
    for _ in range(3):
        deliver_webhook.delay(row.pk)
    marker(hook, "barrier")
    wait_until(lambda: any(b"marker" in r["body"] for r in receiver.requests), "the marker")

    created = [r for r in receiver.requests if json.loads(r["body"])["type"] == "booking.created"]
    assert len(created) == 1
    event = json.loads(created[0]["body"])
    assert event["data"]["reference"] == response.json()["reference"]
    assert signature_verify(hook.secret, created[0]["headers"]["Webhook-Signature"], created[0]["body"])
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 1)


def test_two_workers_racing_for_one_event_deliver_it_once(services_up, start_worker, receiver):
    start_worker(queues="webhooks,barrier-a")
    start_worker(queues="webhooks,barrier-b")
    receiver.delay = 1  # a slow receiver: copies arrive while the first request is in flight
    hook = WebhookEndpoint.objects.create(url=receiver.url + "/hook", events=["session.cancelled"])
    session = make_session()
    with transaction.atomic():
        event_id = webhooks_emit("session.cancelled", {"id": session.pk}, session=session, change="cancelled")
    row = WebhookDelivery.objects.get(event_id=event_id)
    for _ in range(6):
        deliver_webhook.delay(row.pk)
    delivery.webhook_sweep(now=timezone.now() + timedelta(hours=1))

    wait_until(lambda: WebhookDelivery.objects.get(pk=row.pk).status == DeliveryStatus.SENT, "the delivery sent")
    wait_until(lambda: queue_length("webhooks") == 0, "the workers to take every copy")
    marker(hook, "barrier-a")
    marker(hook, "barrier-b")
    wait_until(lambda: sum(b"marker" in r["body"] for r in receiver.requests) == 2, "both markers")

    assert [r["headers"]["Webhook-Id"] for r in receiver.requests if b"marker" not in r["body"]] == [str(event_id)]
    row.refresh_from_db()
    assert row.attempts == 1


def test_a_failed_attempt_is_retried_by_the_worker_and_delivered(services_up, start_worker, receiver):
    start_worker(queues="webhooks")
    receiver.fail_first = 1
    hook = WebhookEndpoint.objects.create(url=receiver.url + "/hook", events=["session.seats_changed"])
    session = make_session()
    with transaction.atomic():
        webhooks_emit("session.seats_changed", {"id": session.pk}, session=session, change="capacity_changed")

    wait_until(lambda: WebhookDelivery.objects.get().attempts == 1, "the first attempt")
    row = WebhookDelivery.objects.get()
    assert (row.status, row.last_response_status) == (DeliveryStatus.PENDING, 500)
    assert row.next_attempt_at == row.last_attempt_at + timedelta(minutes=1)

    # A minute and more on: the retry is due, and the sweep hands it to the worker.
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert delivery.webhook_sweep()["requeued"] == 1
    wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.SENT, "the retry delivered")

    row.refresh_from_db()
    assert (row.attempts, row.last_response_status, row.last_error) == (2, 200, "")
    assert len(receiver.requests) == 2
    assert len({r["headers"]["Webhook-Id"] for r in receiver.requests}) == 1
    assert all(signature_verify(hook.secret, r["headers"]["Webhook-Signature"], r["body"]) for r in receiver.requests)


def _point_celery_at(url):
    """Make this process publish to another broker (Celery caches its connection pools)."""
    from config.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


def test_broker_down_when_booking_then_the_sweep_delivers_once(services_up, start_worker, receiver):
    from config.celery import app
    from tests.servers import free_port, start_redis

    partner = make_key()
    WebhookEndpoint.objects.create(
        url=receiver.url + "/hook", partner_key=partner.partner_key, events=["booking.created"]
    )
    session = make_session(capacity=5)
    original, port = app.conf.broker_url, free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port)
    try:
        _point_celery_at(broker)
        redis.terminate()
        redis.wait(timeout=10)

        assert book(client_for(partner.key), session).status_code == 201  # the broker is down
        # The hand-over runs in the background: let it give up before the broker comes back.
        delivery._publisher.submit(lambda: None).result(timeout=120)
        assert list(WebhookDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.PENDING]
        assert receiver.requests == []

        redis = start_redis(port)
        start_worker(queues="webhooks", REDIS_URL=broker)
        _point_celery_at(broker)
        assert delivery.webhook_sweep(now=timezone.now() + timedelta(minutes=5))["requeued"] == 1
        wait_until(lambda: WebhookDelivery.objects.get().status == DeliveryStatus.SENT, "the sweep's delivery")
        assert delivery.webhook_sweep(now=timezone.now() + timedelta(minutes=5))["requeued"] == 0
        assert len(receiver.requests) == 1
    finally:
        _point_celery_at(original)
        redis.terminate()
        redis.wait(timeout=10)
