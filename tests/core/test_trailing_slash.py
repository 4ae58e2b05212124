"""A request to an address without its trailing slash is redirected without losing its method
and body, and never answers with a 500 (DEBUG on) or an HTML 301 that turns a POST into a GET."""

import pytest


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_an_api_write_without_the_slash_is_a_json_308_to_the_right_address(client, settings, debug, method):
    settings.DEBUG = debug
    response = getattr(client, method)("/api/v1/bookings?x=1", data="{}", content_type="application/json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/bookings/?x=1"
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "trailing_slash"


@pytest.mark.django_db
def test_an_api_read_without_the_slash_is_a_308_too(client):
    response = client.get("/api/v1/courses")
    assert response.status_code == 308 and response["Location"] == "/api/v1/courses/"
    assert client.get("/api/v1/courses", follow=True).status_code == 200


@pytest.mark.django_db
def test_a_page_read_without_the_slash_keeps_its_301_and_a_form_post_gets_a_308(client):
    assert client.get("/courses").status_code == 301
    assert client.post("/enquire", {"name": "x"}).status_code == 308


@pytest.mark.django_db
def test_an_address_that_does_not_exist_with_a_slash_is_still_a_404(client):
    assert client.post("/api/v1/no-such-thing", data="{}", content_type="application/json").status_code == 404
