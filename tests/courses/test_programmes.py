"""Sector programmes: ordered courses for a sector, shown on its page, and the in-house enquiry
pre-filled from "Ask about this programme"."""

import html as html_entities
import re
import time

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from core import spam
from courses import selectors
from courses.models import Programme, ProgrammeCourse
from enquiries.models import Lead
from tests.factories import CourseFactory, SectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def nhs():
    return SectorFactory(name="NHS", slug="nhs")


@pytest.fixture
def programme(nhs):
    programme = Programme.objects.create(sector=nhs, title="A programme for NHS wards", is_published=True)
    # Added out of order: the page follows `position`, not the order rows were made.
    for position, title, why, days in [
        (3, "Managing Challenging Behaviour", "Respond to the cause of behaviour.", "1"),
        (1, "Conflict Resolution", "The shared basics for the whole ward.", "0.5"),
        (4, "Breakaway and Personal Safety", "Get away safely when words fail.", "1"),
        (2, "De-escalation Skills", "Calm an angry patient before harm is done.", "1"),
    ]:
        course = CourseFactory(title=title, duration_days=days, sectors=[nhs])
        ProgrammeCourse.objects.create(programme=programme, course=course, position=position, why=why)
    return programme


TITLES_IN_ORDER = [
    "Conflict Resolution",
    "De-escalation Skills",
    "Managing Challenging Behaviour",
    "Breakaway and Personal Safety",
]


def test_programme_lists_its_published_courses_in_order_and_hides_unpublished(programme, nhs):
    Programme.objects.create(sector=nhs, title="A draft programme", is_published=False)
    hidden = CourseFactory(title="Not yet published", is_published=False)
    ProgrammeCourse.objects.create(programme=programme, course=hidden, position=0, why="Draft")
    [shown] = selectors.sector_detail(slug="nhs").published_programmes
    assert shown == programme
    assert [line.course.title for line in shown.published_lines] == TITLES_IN_ORDER


def test_a_course_is_in_a_programme_once(programme):
    line = programme.lines.first()
    duplicate = ProgrammeCourse(programme=programme, course=line.course, position=9, why="Again")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "This course is already in the programme." in str(error.value)


def test_sector_page_shows_the_programme_in_order_with_links_durations_reasons_and_the_ask_link(client, programme):
    page = client.get(reverse("courses:sector_detail", args=["nhs"])).content.decode()
    start = page.index('id="programme-')
    section = page[start : page.index("</section>", start)]
    assert "A programme for NHS wards" in section
    assert re.findall(r'<a href="/courses/[^"]+/">([^<]+)</a>', section) == TITLES_IN_ORDER
    assert "(half day)" in section and "The shared basics for the whole ward." in section
    assert f'href="/enquire/?programme={programme.pk}"' in section
    assert "Ask about this programme" in section


def test_sector_page_without_a_published_programme_shows_none(client, programme):
    Programme.objects.update(is_published=False)
    page = client.get(reverse("courses:sector_detail", args=["nhs"])).content.decode()
    assert "Ask about this programme" not in page
    assert "A programme for NHS wards" not in page


def checked_course_ids(page):
    return {int(pk) for pk in re.findall(r'<input[^>]*name="courses" value="(\d+)"[^>]*checked', page)}


def test_ask_about_this_programme_prefills_the_enquiry_and_it_submits_through_the_service(
    client, settings, programme, nhs
):
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000
    other = CourseFactory(title="Lone Worker Safety")
    page = client.get(f"/enquire/?programme={programme.pk}").content.decode()
    expected = {line.course_id for line in programme.lines.all()}
    assert checked_course_ids(page) == expected and other.pk not in checked_course_ids(page)
    assert "We would like to ask about: A programme for NHS wards</textarea>" in page
    assert re.search(rf'<option value="{nhs.pk}" selected>', page)
    # The browser sends back what was pre-filled, plus the person's details.
    data = {
        "name": "Priya Shah",
        "organisation": "East Coast NHS Trust",
        "email": "priya.shah@example.org",
        "courses": sorted(expected),
        "sector": nhs.pk,
        "message": html_entities.unescape(re.search(r"<textarea[^>]*>\s*([^<]*)</textarea>", page).group(1)),
        "consent": "on",
        "website": "",
        "rendered_at": signing.dumps(time.time() - 60, salt=spam.TIMESTAMP_SALT),
    }
    response = client.post("/enquire/", data)
    assert response.status_code == 302
    lead = Lead.objects.get()
    assert {course.pk for course in lead.courses.all()} == expected
    assert lead.message == "We would like to ask about: A programme for NHS wards"
    assert lead.sector == nhs


@pytest.mark.parametrize("value", ["", "abc", "99999", "9" * 30, "-1"])
def test_unknown_or_odd_programme_ids_prefill_nothing(client, value):
    response = client.get("/enquire/", {"programme": value})
    assert response.status_code == 200
    assert checked_course_ids(response.content.decode()) == set()


def test_unpublished_programme_prefills_nothing(client, programme):
    Programme.objects.update(is_published=False)
    page = client.get(f"/enquire/?programme={programme.pk}").content.decode()
    assert checked_course_ids(page) == set()
    assert "We would like to ask about" not in page


def test_programme_admin_for_staff_lists_searches_and_shows_the_ordered_inline(admin_client, client, programme):
    changelist = admin_client.get(reverse("admin:courses_programme_changelist"), {"q": "breakaway"})
    assert changelist.status_code == 200
    assert "A programme for NHS wards" in changelist.content.decode()
    change = admin_client.get(reverse("admin:courses_programme_change", args=[programme.pk])).content.decode()
    whys = [change.index(line.why) for line in programme.lines.all()]
    assert whys == sorted(whys)
    assert "View on site" in change
    # Not for the public.
    assert client.get(reverse("admin:courses_programme_changelist")).status_code == 302


def test_demo_loads_the_programmes_once(settings):
    call_command("load_demo", "--no-user", "--no-sessions")
    call_command("load_demo", "--no-user", "--no-sessions")
    nhs = Programme.objects.get(sector__slug="nhs")
    assert [line.course.slug for line in nhs.lines.all()] == [
        "conflict-resolution",
        "de-escalation-skills",
        "managing-challenging-behaviour",
        "breakaway-and-personal-safety",
    ]
    assert all(line.why for line in ProgrammeCourse.objects.all())
    assert Programme.objects.filter(sector__slug="retail-leisure", is_published=True).count() == 1
    assert Programme.objects.count() == 2
