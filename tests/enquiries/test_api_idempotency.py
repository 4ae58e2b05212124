"""Contract tests for Idempotency-Key on enquiries and callbacks: a retry gets the first answer
(status, body, Idempotent-Replayed) and creates, emails and counts nothing more; another body
with the same key is a 422; keys are per client (partner key, else client address); and, on
PostgreSQL, simultaneous retries with one key make one lead."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from core import idempotency
from core.models import IdempotencyKey
from enquiries import services
from enquiries.models import Lead
from outbox.models import OutboundEmail

from .api_support import CALLBACKS, ENQUIRIES, errors_of, partner_client

REUSED = {
    "code": "idempotency_key_reused",
    "detail": "This Idempotency-Key was already used for a different request. Send a new key with a new request.",
}


@pytest.fixture(autouse=True)
def fresh_rate_limit(settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 100
    cache.clear()
    yield
    cache.clear()


def enquiry(**overrides):
    return {
        "name": "Alex Morgan",
        "organisation": "Riverside Housing",
        "email": "alex@example.org",
        "consent": True,
    } | overrides


def callback(**overrides):
    return {"name": "Jo Patel", "phone": "07911 123456", "consent": True} | overrides


def send(client, url, body, key=None, **extra):
    headers = {"Idempotency-Key": key} if key is not None else {}
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers, **extra)


def written():
    return Lead.objects.count(), OutboundEmail.objects.count(), IdempotencyKey.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "body"), [(ENQUIRIES, enquiry()), (CALLBACKS, callback())])
def test_a_retry_gets_the_first_answer_and_creates_and_sends_nothing_more(client, url, body):
    first = send(client, url, body, key="3f0c2a9e-retry")
    after_first = written()

    again = send(client, url, body, key="3f0c2a9e-retry")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert written() == after_first
    assert after_first[0] == 1  # one lead; its acknowledgement (if any) was queued once


@pytest.mark.django_db
def test_the_same_body_in_another_key_order_and_spacing_is_the_same_request(client):
    first = send(client, ENQUIRIES, enquiry(), key="k-order")

    again = send(client, ENQUIRIES, json.dumps(dict(reversed(list(enquiry().items()))), indent=2), key="k-order")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Lead.objects.count() == 1


@pytest.mark.django_db
def test_a_replay_is_not_counted_against_the_rate_limit(client, settings):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1
    assert send(client, ENQUIRIES, enquiry(), key="k-limit").status_code == 201

    assert send(client, ENQUIRIES, enquiry(), key="k-limit").status_code == 201  # the replay
    assert send(client, ENQUIRIES, enquiry(name="Another"), key="k-new").status_code == 429
    assert Lead.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "body", "other_url", "other_body"),
    [
        (ENQUIRIES, enquiry(), ENQUIRIES, enquiry(name="Sam Other")),
        (CALLBACKS, callback(), CALLBACKS, callback(topic="Prices")),
        (ENQUIRIES, enquiry(), CALLBACKS, callback()),  # one key, two endpoints
    ],
)
def test_the_same_key_with_another_request_is_a_422_and_creates_nothing(client, url, body, other_url, other_body):
    send(client, url, body, key="k-reused")
    before = written()

    response = send(client, other_url, other_body, key="k-reused")

    assert response.status_code == 422
    assert response.json() == REUSED
    assert written() == before


@pytest.mark.django_db
def test_a_refused_request_does_not_use_up_its_key(client):
    refused = send(client, ENQUIRIES, enquiry(email="not-an-address"), key="k-fix")
    assert errors_of(refused) == {"email": ["Enter a valid email address."]}
    assert written() == (0, 0, 0)

    fixed = send(client, ENQUIRIES, enquiry(), key="k-fix")

    assert fixed.status_code == 201
    assert not fixed.has_header("Idempotent-Replayed")
    assert Lead.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_a_retry_is_a_second_lead(client):
    assert send(client, ENQUIRIES, enquiry()).status_code == 201
    assert send(client, ENQUIRIES, enquiry()).status_code == 201
    assert Lead.objects.count() == 2
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "caf\u00e9"])
def test_a_malformed_key_is_a_400_and_creates_nothing(client, key):
    response = send(client, ENQUIRIES, enquiry(), key=key)

    assert errors_of(response) == {"Idempotency-Key": ["Use 1 to 255 visible ASCII characters, for example a UUID."]}
    assert written() == (0, 0, 0)


# Per client --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_keys_are_per_client_address(client):
    mine = send(client, ENQUIRIES, enquiry(), key="k-shared", REMOTE_ADDR="198.51.100.7")

    theirs = send(client, ENQUIRIES, enquiry(), key="k-shared", REMOTE_ADDR="203.0.113.9")

    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["reference"] != mine.json()["reference"]
    assert not theirs.has_header("Idempotent-Replayed")
    # Another address cannot use the key up either: the first client still gets its answer.
    assert send(client, ENQUIRIES, enquiry(), key="k-shared", REMOTE_ADDR="198.51.100.7").json() == mine.json()
    assert Lead.objects.count() == 2


@pytest.mark.django_db
def test_keys_are_per_partner_key_not_per_address():
    first, first_key = partner_client()
    second, _ = partner_client()
    anonymous = Client()

    answers = [send(caller, ENQUIRIES, enquiry(), key="k-partner") for caller in (first, second, anonymous)]

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert len({answer.json()["reference"] for answer in answers}) == 3
    replay = send(first, ENQUIRIES, enquiry(), key="k-partner")
    assert replay.json() == answers[0].json()
    assert replay["Idempotent-Replayed"] == "true"
    assert Lead.objects.get(reference=answers[0].json()["reference"]).partner_key == first_key.partner_key


@pytest.mark.django_db
def test_a_clients_stored_key_is_its_own_and_never_a_key_as_sent():
    # A key as sent (key_from: visible ASCII, no spaces) is never a client's stored key, which has
    # a prefix holding a space: keys stored before keys were per client cannot be replayed to anyone.
    request = RequestFactory().post("/", headers={"Idempotency-Key": "same-key"}, REMOTE_ADDR="198.51.100.7")
    stored = idempotency.client_key(request)

    assert stored.startswith(idempotency.SCOPED_PREFIX)
    assert not idempotency.KEY_PATTERN.fullmatch(stored)
    assert idempotency.key_from(request) == "same-key"
    other = RequestFactory().post("/", headers={"Idempotency-Key": "same-key"}, REMOTE_ADDR="198.51.100.8")
    assert idempotency.client_key(other) != stored


# PostgreSQL: simultaneous retries ----------------------------------------------------------------

REQUESTS = 6
WINDOW = 0.3  # seconds the first request holds its transaction open after making the lead


@pytest.fixture
def enquiries_url(require_postgres, transactional_db, request, settings, monkeypatch):
    # Asked for only once PostgreSQL is known to be there, so a skipped run starts no server.
    live_server = request.getfixturevalue("live_server")
    real_submit = services.enquiry_submit

    def submit_then_pause(**kwargs):
        lead = real_submit(**kwargs)
        time.sleep(WINDOW)
        return lead

    monkeypatch.setattr(services, "enquiry_submit", submit_then_pause)
    return live_server.url + ENQUIRIES


def fire(url, body, *, key=None):
    """POST the body REQUESTS times at once, each from its own thread: [(status, json, replayed)]."""
    barrier = threading.Barrier(REQUESTS)
    results = [None] * REQUESTS

    def one(index):
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
        barrier.wait(timeout=10)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
                results[index] = (response.status, json.loads(response.read()), response.headers["Idempotent-Replayed"])
        except urllib.error.HTTPError as exc:
            results[index] = (exc.code, json.loads(exc.read() or b"null"), None)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return results


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_with_one_key_make_one_lead_and_all_get_its_answer(enquiries_url):
    results = fire(enquiries_url, enquiry(), key="k-simultaneous")

    assert {status for status, _, _ in results} == {201}, results
    assert len({json.dumps(body, sort_keys=True) for _, body, _ in results}) == 1
    assert sorted(replayed or "" for _, _, replayed in results) == [""] + ["true"] * (REQUESTS - 1)
    assert Lead.objects.count() == 1


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_control_simultaneous_requests_without_a_key_make_a_lead_each(enquiries_url):
    results = fire(enquiries_url, enquiry())

    assert [status for status, _, _ in results] == [201] * REQUESTS
    assert Lead.objects.count() == REQUESTS
