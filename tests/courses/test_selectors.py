import pytest

from courses import selectors
from courses.models import Delivery
from tests.factories import CourseFactory, SectorFactory, TestimonialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    nhs = SectorFactory(name="NHS", slug="nhs")
    retail = SectorFactory(name="Retail", slug="retail")
    hidden = SectorFactory(name="Old", slug="old", is_active=False)
    deesc = CourseFactory(title="De-escalation Skills", sectors=[nhs, retail], delivery_virtual=True)
    retail_course = CourseFactory(
        title="Conflict Management for Retail", sectors=[retail], description="Shop floor refusals"
    )
    draft = CourseFactory(title="Draft course", sectors=[nhs], is_published=False)
    old = CourseFactory(title="Old sector course", sectors=[hidden])
    return {"nhs": nhs, "retail": retail, "deesc": deesc, "retail_course": retail_course, "draft": draft, "old": old}


def test_only_published_courses_are_listed(catalogue):
    titles = set(selectors.course_list().values_list("title", flat=True))
    assert "Draft course" not in titles
    assert {"De-escalation Skills", "Conflict Management for Retail"} <= titles


def test_filter_by_sector_without_duplicates(catalogue):
    assert list(selectors.course_list(sector="retail")) == [catalogue["retail_course"], catalogue["deesc"]]
    assert list(selectors.course_list(sector="nhs")) == [catalogue["deesc"]]
    assert list(selectors.course_list(sector="old")) == []


def test_filter_by_delivery(catalogue):
    assert list(selectors.course_list(delivery=Delivery.VIRTUAL)) == [catalogue["deesc"]]


def test_search_matches_every_word_anywhere(catalogue):
    assert list(selectors.course_list(search="shop refusals")) == [catalogue["retail_course"]]
    assert list(selectors.course_list(search="DE-ESCALATION")) == [catalogue["deesc"]]
    assert list(selectors.course_list(search="shop nonsenseword")) == []


def test_sector_detail_lists_published_courses_and_testimonials(catalogue):
    TestimonialFactory(sector=catalogue["nhs"], quote="Great day")
    TestimonialFactory(sector=catalogue["nhs"], quote="Hidden", is_published=False)
    sector = selectors.sector_detail(slug="nhs")
    assert sector.published_courses == [catalogue["deesc"]]
    assert [t.quote for t in sector.published_testimonials] == ["Great day"]
