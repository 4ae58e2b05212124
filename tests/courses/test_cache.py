"""The catalogue pages' cache (core/http_cache.py, courses/cache.py) as visitors see it: a repeat
visit costs no query, yet a booking, a cancellation or a course change shows at once; ETags give
304s; staff and visitors with messages get fresh pages; every visitor gets their own CSRF token.

These tests commit for real (transaction=True): answers are only stored outside a transaction,
and invalidated when one commits.
"""

import re
import time

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client, RequestFactory

from booking.models import CourseSession
from booking.services import booking_cancel
from core import http_cache
from courses.models import Course
from tests.booking.test_api import payload
from tests.factories import CourseFactory, SectorFactory, make_booking, make_session

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def settled():
    """Invalidations from setting up (the flush, settings) written, so the first visit is stored."""
    assert http_cache.wait_for_invalidation()


@pytest.fixture
def course():
    nhs = SectorFactory(name="NHS", slug="nhs")
    return CourseFactory(title="De-escalation Skills", slug="de-escalation", is_featured=True, sectors=[nhs])


def seats_left(response):
    match = re.search(r"<strong>(\d+)</strong> seats? left", response.content.decode())
    return int(match[1]) if match else None


def visit(client, url, **extra):
    """A visit once every invalidation so far has been written (as it is within a millisecond)."""
    http_cache.wait_for_invalidation()
    response = client.get(url, **extra)
    assert response.status_code == 200, response.content[:300]
    return response


def test_a_repeat_visit_is_answered_without_a_database_query(client, course, django_assert_num_queries):
    make_session(course=course, capacity=10)
    first = visit(client, "/courses/de-escalation/")
    with django_assert_num_queries(0):
        again = visit(Client(), "/courses/de-escalation/")
    assert seats_left(again) == seats_left(first) == 10
    assert "De-escalation Skills" in again.content.decode()
    for url, shows in [
        ("/", "De-escalation Skills"),
        ("/courses/", "De-escalation Skills"),
        ("/courses/?sector=nhs", "De-escalation Skills"),
        ("/sectors/", "NHS"),
        ("/sectors/nhs/", "De-escalation Skills"),
    ]:
        visit(client, url)
        with django_assert_num_queries(0):
            assert shows in visit(Client(), url).content.decode()


def test_a_booking_and_its_cancellation_show_at_once(client, course):
    session = make_session(course=course, capacity=10)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 10
    booking = make_booking(session, count=3)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 7
    booking_cancel(booking=booking, by_staff=True)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 10
    # Through the public API too (a booking to confirm by email holds its seats).
    assert (
        client.post("/api/v1/bookings/", payload(session, count=2), content_type="application/json").status_code == 201
    )
    assert seats_left(visit(client, "/courses/de-escalation/")) == 8


def test_a_course_change_shows_at_once_on_every_page(client, course):
    for url in ["/", "/courses/", "/sectors/nhs/", "/courses/de-escalation/"]:
        visit(client, url)
    course.title = "Calm Conversations"
    course.is_featured = True
    course.save()
    assert "Calm Conversations" in visit(client, "/courses/de-escalation/").content.decode()
    assert "Calm Conversations" in visit(client, "/courses/").content.decode()
    assert "Calm Conversations" in visit(client, "/").content.decode()  # featured now
    course.sectors.clear()  # a link, not a row
    assert "Calm Conversations" not in visit(client, "/sectors/nhs/").content.decode()
    course.delete()
    assert "Calm Conversations" not in visit(client, "/courses/").content.decode()


def test_etag_revalidation_answers_304_without_a_body_until_the_page_changes(client, course, django_assert_num_queries):
    session = make_session(course=course, capacity=10)
    first = visit(client, "/courses/de-escalation/")
    etag = first["ETag"]
    assert etag.startswith('W/"')
    assert first["Cache-Control"] == "private, no-cache"
    assert {"Cookie", "Referer"} <= {part.strip() for part in first["Vary"].split(",")}
    with django_assert_num_queries(0):
        unchanged = client.get("/courses/de-escalation/", HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == etag
    make_booking(session, count=1)
    changed = visit(client, "/courses/de-escalation/", HTTP_IF_NONE_MATCH=etag)
    assert seats_left(changed) == 9 and changed["ETag"] != etag


def test_an_etag_is_the_visitors_own(client, course):
    """The body carries the visitor's CSRF token: another visitor's ETag never gets them a 304
    (which would leave them with a page whose token is not theirs)."""
    etag = visit(client, "/courses/de-escalation/")["ETag"]
    other = visit(Client(), "/courses/de-escalation/", HTTP_IF_NONE_MATCH=etag)
    assert other["ETag"] != etag and TOKEN.search(other.content.decode())


def test_every_visitor_gets_their_own_csrf_token_and_can_post_the_footer_form(course):
    visitors = [Client(enforce_csrf_checks=True) for _ in range(2)]
    pages = [visit(visitor, "/courses/de-escalation/") for visitor in visitors]
    tokens = [TOKEN.search(page.content.decode())[1] for page in pages]
    assert tokens[0] != tokens[1]
    assert http_cache.CSRF_PLACEHOLDER not in pages[1].content.decode()
    for visitor, token in zip(visitors, tokens, strict=True):
        response = visitor.post(
            "/newsletter/", {"csrfmiddlewaretoken": token, "from_footer": "1", "email": "reader@example.org"}
        )
        assert response.status_code == 200, response.content[:300]
        assert "reader@example.org" in response.content.decode()
    # A token from someone else's page is refused, as without the cache.
    stranger = Client(enforce_csrf_checks=True)
    visit(stranger, "/")
    refused = stranger.post(
        "/newsletter/", {"csrfmiddlewaretoken": tokens[0], "from_footer": "1", "email": "x@example.org"}
    )
    assert refused.status_code == 403


def test_signed_in_staff_see_the_live_page_not_the_visitors_copy(client, course, settings, django_user_model):
    settings.CATALOGUE_CACHE_SECONDS = 60
    visit(client, "/courses/de-escalation/")
    # A write that sends no signal: visitors keep the stored copy until it expires.
    Course.objects.filter(pk=course.pk).update(title="Renamed in bulk")
    assert "Renamed in bulk" not in visit(client, "/courses/de-escalation/").content.decode()
    staff = Client()
    staff.force_login(django_user_model.objects.create_user("olive", password="x", is_staff=True))
    response = visit(staff, "/courses/de-escalation/")
    assert "Renamed in bulk" in response.content.decode()
    assert "ETag" not in response and response["Cache-Control"] == "private, no-cache"


def test_a_stored_page_lives_only_a_few_seconds_whatever_changes_it(client, course, settings):
    settings.CATALOGUE_CACHE_SECONDS = 1
    session = make_session(course=course, capacity=10)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 10
    CourseSession.objects.filter(pk=session.pk).update(capacity=4)  # no signal
    time.sleep(1.2)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 4


def test_a_booking_checks_seats_live_whatever_a_stored_page_says(client, course, settings):
    settings.CATALOGUE_CACHE_SECONDS = 60
    session = make_session(course=course, capacity=10)
    assert seats_left(visit(client, "/courses/de-escalation/")) == 10
    CourseSession.objects.filter(pk=session.pk).update(capacity=1)  # no signal: the page is stale
    assert seats_left(visit(client, "/courses/de-escalation/")) == 10
    refused = client.post("/api/v1/bookings/", payload(session, count=2), content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_seats"
    form = visit(client, f"/book/{session.pk}/").content.decode()
    assert "1 seat" in form and "10 seats" not in form


def test_messages_are_shown_to_their_visitor_only_and_never_stored(course):
    visit(Client(), "/courses/")
    messaged = Client()
    messaged.cookies["messages"] = CookieStorage(RequestFactory().get("/"))._encode(
        [Message(constants.SUCCESS, "Thanks: you are on the list.")]
    )
    assert "Thanks: you are on the list." in visit(messaged, "/courses/").content.decode()
    assert "Thanks: you are on the list." not in visit(messaged, "/courses/").content.decode()
    assert "Thanks: you are on the list." not in visit(Client(), "/courses/").content.decode()


def test_tracking_parameters_share_the_stored_page_and_keep_the_visitors_source(
    client, course, django_assert_num_queries
):
    visit(client, "/courses/")
    with django_assert_num_queries(0):
        tracked = visit(Client(), "/courses/?utm_source=newsletter&utm_campaign=june")
    html = tracked.content.decode()
    assert "De-escalation Skills" in html
    assert re.search(r'href="/courses/de-escalation/\?src=[^"]+"', html)  # the visit's source, carried
    assert not re.search(r"[?&]src=", visit(Client(), "/courses/").content.decode())  # and nobody else's


def test_filters_have_their_own_stored_pages(client, course):
    CourseFactory(title="Retail Safety", delivery_virtual=True)
    assert "Retail Safety" in visit(client, "/courses/").content.decode()
    nhs_only = visit(client, "/courses/?sector=nhs").content.decode()
    assert "Retail Safety" not in nhs_only and "De-escalation Skills" in nhs_only
    assert "De-escalation Skills" not in visit(client, "/courses/?delivery=virtual").content.decode()


def test_head_is_answered_like_get(client, course):
    visit(client, "/courses/de-escalation/")
    response = client.head("/courses/de-escalation/")
    assert response.status_code == 200 and response.content == b"" and response["ETag"]
