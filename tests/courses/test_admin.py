import pytest
from django.urls import reverse

from courses.models import Course
from tests.factories import CourseFactory, SectorFactory, TestimonialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    sector = SectorFactory(name="NHS")
    course = CourseFactory(title="De-escalation Skills", sectors=[sector])
    TestimonialFactory(course=course, quote="Calmer wards")
    return course


@pytest.mark.parametrize(
    "url_name",
    ["admin:courses_course_changelist", "admin:courses_sector_changelist", "admin:courses_testimonial_changelist"],
)
def test_admin_lists_open_for_staff(admin_client, course, url_name):
    response = admin_client.get(reverse(url_name), {"q": "De-escalation"})
    assert response.status_code == 200


def test_course_admin_page_has_inline_testimonials_and_view_on_site(admin_client, course):
    html = admin_client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert "Calmer wards" in html
    assert "View on site" in html
    assert "prepopulated" in html  # the slug follows the title as it is typed


def test_admin_refuses_an_open_course_without_price(admin_client):
    sector = SectorFactory()
    response = admin_client.post(
        reverse("admin:courses_course_add"),
        {
            "title": "New course",
            "slug": "new-course",
            "summary": "s",
            "description": "d",
            "duration_days": "1",
            "delivery_open": "on",
            "sectors": [sector.pk],
            "display_order": 0,
            "testimonials-TOTAL_FORMS": 0,
            "testimonials-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "An open course needs a price per delegate." in response.content.decode()
    assert not Course.objects.filter(slug="new-course").exists()


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(reverse("admin:courses_course_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
