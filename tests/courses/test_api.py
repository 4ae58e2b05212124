import pytest

from tests.factories import CourseFactory, SectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    nhs = SectorFactory(name="NHS", slug="nhs")
    retail = SectorFactory(name="Retail & Leisure", slug="retail-leisure")
    SectorFactory(name="Old", slug="old", is_active=False)
    deesc = CourseFactory(
        title="De-escalation Skills", slug="de-escalation-skills", sectors=[nhs, retail], delivery_virtual=True
    )
    CourseFactory(title="Conflict Management for Retail", slug="retail", sectors=[retail], price="125.00")
    CourseFactory(title="Draft", slug="draft", is_published=False)
    return {"nhs": nhs, "deesc": deesc}


def test_sector_list_is_paginated_and_hides_inactive(client, catalogue):
    body = client.get("/api/v1/sectors/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [s["slug"] for s in body["results"]] == ["nhs", "retail-leisure"]


def test_sector_detail(client, catalogue):
    body = client.get("/api/v1/sectors/nhs/").json()
    assert body["name"] == "NHS"
    assert body["web_url"] == "/sectors/nhs/"


def test_course_list_and_filters(client, catalogue):
    body = client.get("/api/v1/courses/").json()
    assert body["count"] == 2
    assert {c["slug"] for c in body["results"]} == {"de-escalation-skills", "retail"}
    assert [c["slug"] for c in client.get("/api/v1/courses/?sector=nhs").json()["results"]] == ["de-escalation-skills"]
    assert [c["slug"] for c in client.get("/api/v1/courses/?delivery=virtual").json()["results"]] == [
        "de-escalation-skills"
    ]
    assert [c["slug"] for c in client.get("/api/v1/courses/?search=retail").json()["results"]] == ["retail"]


def test_course_detail_money_is_decimal_strings_in_gbp(client, catalogue):
    body = client.get("/api/v1/courses/retail/").json()
    assert body["price"] == "125.00"
    assert body["vat"] == "25.00"
    assert body["price_including_vat"] == "150.00"
    assert body["currency"] == "GBP"
    assert body["duration"] == "1 day"
    assert body["delivery_formats"] == ["open", "in_house"]
    assert "description" in body


def test_unpublished_and_unknown_course_share_the_error_format(client, catalogue):
    for slug in ["draft", "nope"]:
        response = client.get(f"/api/v1/courses/{slug}/")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": "No Course matches the given query."}


def test_bad_filter_is_a_400_with_field_errors(client, catalogue):
    response = client.get("/api/v1/courses/?delivery=teleport&sector=mars!&search=" + "x" * 101)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"delivery", "sector", "search"}


def test_a_sector_that_does_not_exist_or_is_inactive_is_a_404(client, catalogue):
    for slug in ["mars", "old"]:
        response = client.get(f"/api/v1/courses/?sector={slug}")
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "detail": f"There is no sector '{slug}'."},
        )


def test_unknown_query_parameters_are_refused_on_lists(client, catalogue):
    for url in ["/api/v1/courses/?sectr=nhs", "/api/v1/sectors/?sectr=nhs"]:
        response = client.get(url)
        assert response.status_code == 400
        assert response.json()["errors"] == {"sectr": ["This query parameter is not recognised."]}
    # One course is looked up by its slug whatever the query string.
    assert client.get("/api/v1/courses/retail/?sectr=nhs").status_code == 200


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_write_methods_are_refused(client, catalogue):
    response = client.post("/api/v1/courses/", {"title": "x"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/courses/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"http" not in docs.content.split(b"swagger-ui")[0].lower().replace(b"http-equiv", b"")


def test_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/courses/{slug}/" in out.read_text()
