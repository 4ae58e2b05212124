"""The sessions API answered from the cache (core.http_cache.CachedReadMixin on SessionViewSet):
a repeat read costs no query, seat counts move at once when a booking commits, ETags give 304s,
and signed-in or token-carrying clients read live.

Committed for real (transaction=True): answers are stored only outside a transaction.
"""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from booking.models import CourseSession
from booking.services import booking_cancel
from core import http_cache
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def settled():
    assert http_cache.wait_for_invalidation()


@pytest.fixture
def session():
    return make_session(course=CourseFactory(slug="breakaway"), capacity=10)


def read(client, url, **extra):
    http_cache.wait_for_invalidation()
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:300]
    return response


def seats(response):
    body = response.json()
    return [row["seats_remaining"] for row in body["results"]] if "results" in body else body["seats_remaining"]


def test_a_repeat_read_costs_no_query_and_a_booking_shows_at_once(client, session, django_assert_num_queries):
    first = read(client, "/api/v1/sessions/")
    assert seats(first) == [10]
    assert first["Cache-Control"] == "public, no-cache" and first["ETag"].startswith('W/"')
    assert "Accept" in first["Vary"]
    with django_assert_num_queries(0):
        again = read(Client(), "/api/v1/sessions/")
    assert again.content == first.content and again["ETag"] == first["ETag"]
    make_booking(session, count=4)
    after = read(client, "/api/v1/sessions/")
    assert seats(after) == [6] and after["ETag"] != first["ETag"]


def test_one_session_and_its_cancelled_booking(client, session, django_assert_num_queries):
    url = f"/api/v1/sessions/{session.pk}/"
    booking = make_booking(session, count=2)
    assert seats(read(client, url)) == 8
    with django_assert_num_queries(0):
        assert seats(read(Client(), url)) == 8
    booking_cancel(booking=booking, by_staff=True)
    assert seats(read(client, url)) == 10


def test_if_none_match_answers_304_without_a_body(client, session, django_assert_num_queries):
    etag = read(client, "/api/v1/sessions/")["ETag"]
    with django_assert_num_queries(0):
        unchanged = Client().get("/api/v1/sessions/", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged["ETag"] == etag
    make_booking(session, count=1)
    changed = Client().get("/api/v1/sessions/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and seats(changed) == [9]


def test_signed_in_staff_and_token_clients_read_live(client, session, settings, django_user_model):
    settings.CATALOGUE_CACHE_SECONDS = 60
    read(client, "/api/v1/sessions/")
    CourseSession.objects.filter(pk=session.pk).update(capacity=3)  # no signal: the stored answer is stale
    assert seats(read(client, "/api/v1/sessions/")) == [10]
    staff = Client()
    staff.force_login(django_user_model.objects.create_user("olive", password="x", is_staff=True))
    live = read(staff, "/api/v1/sessions/")
    assert seats(live) == [3] and "ETag" not in live
    token = Token.objects.create(user=django_user_model.objects.create_user("integrator", password="x"))
    assert seats(read(Client(), "/api/v1/sessions/", HTTP_AUTHORIZATION=f"Token {token.key}")) == [3]


def test_filters_formats_and_hosts_have_their_own_answers(client, session):
    make_session(course=CourseFactory(slug="de-escalation"), capacity=5)
    assert len(read(client, "/api/v1/sessions/").json()["results"]) == 2
    assert [row["course"]["slug"] for row in read(client, "/api/v1/sessions/?course=breakaway").json()["results"]] == [
        "breakaway"
    ]
    indented = read(client, "/api/v1/sessions/", HTTP_ACCEPT="application/json; indent=4")
    assert indented.content.startswith(b'{\n    "')
    # Pagination links are absolute: each host gets its own.
    for host in ["localhost", "127.0.0.1"]:
        assert (
            read(client, "/api/v1/sessions/?page_size=1", HTTP_HOST=host).json()["next"].startswith(f"http://{host}/")
        )
