"""core/http_cache.py: what is never stored, and a bad day for Redis.

The views below are this module's own (pytest.mark.urls); the Redis tests use the real catalogue
pages against a private redis-server that they stop or freeze (never the shared one).
"""

import logging
import re
import signal
import time

import pytest
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.template import RequestContext, Template, engines
from django.template.response import TemplateResponse
from django.test import Client
from django.urls import path

from core import http_cache
from tests.core.test_redis_faults import freeze, private_redis, stop  # noqa: F401 (fixture)
from tests.factories import CourseFactory, make_booking, make_session

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
renders = []


@http_cache.cached_page
def real_token(request):
    """Renders the visitor's real token (not a TemplateResponse): must never be stored."""
    renders.append("real_token")
    return HttpResponse(Template("<form>{% csrf_token %}</form>").render(RequestContext(request)))


@http_cache.cached_page
def sets_cookie(request):
    renders.append("sets_cookie")
    response = HttpResponse("<p>Hello</p>")
    response.set_cookie("seen", "1")
    return response


@http_cache.cached_page
def placeholder(request):
    renders.append("placeholder")
    return TemplateResponse(request, engines["django"].from_string("<form>{% csrf_token %}</form>"), {})


urlpatterns = [
    path("real-token/", real_token),
    path("sets-cookie/", sets_cookie),
    path("placeholder/", placeholder),
]


@pytest.fixture(autouse=True)
def settled():
    renders.clear()
    assert http_cache.wait_for_invalidation()


@pytest.mark.urls(__name__)
def test_a_page_rendered_with_a_real_csrf_token_is_never_reused():
    tokens = [TOKEN.search(Client().get("/real-token/").content.decode())[1] for _ in range(2)]
    assert renders == ["real_token", "real_token"] and tokens[0] != tokens[1]


@pytest.mark.urls(__name__)
def test_a_response_that_sets_a_cookie_is_never_reused():
    for _ in range(2):
        assert Client().get("/sets-cookie/").cookies["seen"].value == "1"
    assert renders == ["sets_cookie", "sets_cookie"]


@pytest.mark.urls(__name__)
def test_a_placeholder_page_is_rendered_once_and_each_visitor_gets_their_token():
    pages = [Client().get("/placeholder/") for _ in range(3)]
    assert renders == ["placeholder"]
    tokens = {TOKEN.search(page.content.decode())[1] for page in pages}
    assert len(tokens) == 3 and all("csrftoken" in page.cookies for page in pages)


def test_inside_a_transaction_a_page_shows_its_writes_and_stores_nothing(client):
    course = CourseFactory(title="Breakaway", slug="breakaway")
    http_cache.wait_for_invalidation()
    assert "Breakaway" in client.get("/courses/breakaway/").content.decode()
    with transaction.atomic():
        course.title = "Breakaway Plus"
        course.save()
        assert "Breakaway Plus" in client.get("/courses/breakaway/").content.decode()
        transaction.set_rollback(True)
    http_cache.wait_for_invalidation()
    assert "Breakaway Plus" not in client.get("/courses/breakaway/").content.decode()


# A bad day for Redis -----------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.parametrize("fault", [stop, freeze], ids=["stopped", "hung"])
def test_pages_and_the_sessions_api_are_served_when_redis_fails(client, require_redis, request, fault, caplog):
    redis_server = request.getfixturevalue("private_redis")
    session = make_session(course=CourseFactory(title="Breakaway", slug="breakaway"), capacity=10)
    http_cache.wait_for_invalidation()
    assert client.get("/courses/breakaway/").status_code == 200  # stored in the private Redis
    fault(redis_server)
    caplog.set_level(logging.WARNING, logger="core.http_cache")
    for _ in range(3):
        page = client.get("/courses/breakaway/")
        assert page.status_code == 200 and "<strong>10</strong> seats left" in page.content.decode()
        api = client.get(f"/api/v1/sessions/{session.pk}/")
        assert api.status_code == 200 and api.json()["seats_remaining"] == 10
    # One failed call; after it the cache is left alone, so a hung Redis does not slow every request.
    assert len([r for r in caplog.records if r.name == "core.http_cache"]) == 1


@pytest.mark.services
def test_a_booking_while_redis_hangs_shows_once_redis_is_back(client, require_redis, request):
    redis_server = request.getfixturevalue("private_redis")
    session = make_session(course=CourseFactory(slug="breakaway"), capacity=10)
    http_cache.wait_for_invalidation()
    assert "<strong>10</strong> seats left" in client.get("/courses/breakaway/").content.decode()
    freeze(redis_server)
    make_booking(session, count=2)
    assert "<strong>8</strong> seats left" in client.get("/courses/breakaway/").content.decode()
    http_cache.wait_for_invalidation()  # it could not be written
    redis_server.send_signal(signal.SIGCONT)
    # The copy stored before the booking is still in Redis, under the version still current.
    assert "<strong>8</strong> seats left" in client.get("/courses/breakaway/").content.decode()


def test_a_change_committed_by_another_process_shows_within_a_quarter_second(client, settings):
    """Each process keeps copies of the answers and asks the cache for the current version at most
    every VERSION_CHECK_SECONDS: another process's invalidation (a new version) shows by then."""
    settings.CATALOGUE_CACHE_SECONDS = 60
    course = CourseFactory(title="Breakaway", slug="breakaway")
    http_cache.wait_for_invalidation()
    for _ in range(2):  # stored, then held in this process
        assert "Breakaway" in client.get("/courses/breakaway/").content.decode()
    type(course).objects.filter(pk=course.pk).update(title="Breakaway Plus")  # as another process would
    cache.set(http_cache.VERSION_KEY, "set-by-another-process", timeout=None)
    time.sleep(http_cache.VERSION_CHECK_SECONDS + 0.05)
    assert "Breakaway Plus" in client.get("/courses/breakaway/").content.decode()
