import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CourseFactory, SectorFactory, TestimonialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nhs():
    return SectorFactory(name="NHS", slug="nhs", introduction="Why a combined programme works.")


def test_home_shows_sectors_featured_courses_and_testimonials(client, nhs):
    CourseFactory(title="De-escalation Skills", is_featured=True, sectors=[nhs])
    CourseFactory(title="Not featured")
    TestimonialFactory(quote="Fewer incidents on the ward", attribution_role="Emergency department nurse")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "NHS" in html
    assert "De-escalation Skills" in html
    assert "Not featured" not in html
    assert "Fewer incidents on the ward" in html
    assert html.count("<h1") == 1
    assert 'href="#main"' in html  # skip link


def test_sector_page(client, nhs):
    CourseFactory(title="Breakaway", sectors=[nhs])
    CourseFactory(title="Retail only")
    TestimonialFactory(sector=nhs, quote="Staff feel safer")
    response = client.get(reverse("courses:sector_detail", args=["nhs"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Why a combined programme works." in html
    assert "Breakaway" in html
    assert "Retail only" not in html
    assert "Staff feel safer" in html
    assert "Enquire about in-house training" in html


def test_inactive_or_unknown_sector_is_a_styled_404(client):
    SectorFactory(slug="old", is_active=False)
    for slug in ["old", "missing"]:
        response = client.get(f"/sectors/{slug}/")
        assert response.status_code == 404
        assert "Page not found" in response.content.decode()


def test_course_detail_shows_everything(client, nhs):
    related = CourseFactory(title="Physical Intervention Refresher")
    course = CourseFactory(
        title="Physical Intervention",
        duration_days=3,
        price="225.00",
        rrn_certified=True,
        cpd_hours=18,
        certificate_validity_months=36,
        quality_award="Bild ACT certified training",
        sectors=[nhs],
    )
    course.related_courses.add(related)
    html = client.get(course.get_absolute_url()).content.decode()
    for text in [
        "3 days",
        "£225.00",
        "£270.00 including VAT",
        "Certified against the RRN Training Standards",
        "18 hours",
        "36 months",
        "Bild ACT certified training",
        "Physical Intervention Refresher",
        "Upcoming dates",
        "Book a place",
        "Enquire",
        "Recognise warning signs",
        "Front-line staff",
    ]:
        assert text in html, text


def test_unpublished_course_is_404(client):
    course = CourseFactory(is_published=False)
    assert client.get(course.get_absolute_url()).status_code == 404


def test_course_list_filters_and_keeps_them_across_pages(client, nhs):
    for number in range(12):
        CourseFactory(title=f"NHS course {number:02}", sectors=[nhs], delivery_virtual=True)
    CourseFactory(title="Elsewhere", delivery_virtual=True)
    response = client.get("/courses/", {"sector": "nhs", "delivery": "virtual", "search": "course"})
    html = response.content.decode()
    assert "12 courses match your filters" in html
    assert "Elsewhere" not in html
    assert "sector=nhs&amp;delivery=virtual&amp;search=course&amp;page=2" in html
    page2 = client.get("/courses/", {"sector": "nhs", "delivery": "virtual", "search": "course", "page": 2})
    assert "NHS course 11" in page2.content.decode()
    assert "Elsewhere" not in page2.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"sector": "no-such-sector"}, {"delivery": "teleport"}, {"page": "abc"}, {"page": "999"}, {"search": "x" * 500}],
)
def test_course_list_survives_bad_input(client, query):
    CourseFactory()
    response = client.get("/courses/", query)
    assert response.status_code == 200


def test_bad_filter_value_is_explained(client):
    response = client.get("/courses/", {"sector": "no-such-sector"})
    assert "Select a valid choice" in response.content.decode()


def _queries_for(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow_catalogue(sector, count):
    others = SectorFactory.create_batch(2)
    for _ in range(count):
        course = CourseFactory(sectors=[sector, *others], is_featured=True)
        TestimonialFactory(course=course, sector=sector)
        course.related_courses.add(CourseFactory(sectors=[sector]))


@pytest.mark.parametrize("page", ["list", "sector", "detail", "home"])
def test_pages_run_a_constant_number_of_queries(client, nhs, page):
    """Same query count with 2 courses and with 20: nothing is fetched per row."""
    _grow_catalogue(nhs, 2)
    first = CourseFactory(slug="the-course", sectors=[nhs])
    first.related_courses.add(*CourseFactory.create_batch(2))
    url = {"list": "/courses/", "sector": "/sectors/nhs/", "detail": "/courses/the-course/", "home": "/"}[page]
    small = _queries_for(client, url)
    _grow_catalogue(nhs, 20)
    first.related_courses.add(*CourseFactory.create_batch(10, sectors=[nhs]))
    TestimonialFactory.create_batch(5, course=first)
    large = _queries_for(client, url)
    assert small == large
