"""A sector programme in a real browser: the NHS sector page with its demo programme is accessible
and fits a phone, and "Ask about this programme" opens the in-house enquiry pre-filled."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from courses.models import Programme
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server, transactional_db):
    """The demo catalogue (with its programmes) on a live server, as tests/e2e/conftest.py's `site`."""
    call_command("load_demo", "--no-user", "--no-sessions", verbosity=0)
    return live_server.url


NARROW = {"width": 320, "height": 700}
NHS_COURSES = [
    "Conflict Resolution",
    "De-escalation Skills",
    "Managing Challenging Behaviour",
    "Breakaway and Personal Safety",
]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE, NARROW], ids=["desktop", "phone", "320"])
def test_sector_page_with_a_programme_is_accessible_and_fits(page, site, viewport):
    page.set_viewport_size(viewport)
    page.goto(site + "/sectors/nhs/")
    programme = page.get_by_role("region", name="A programme for NHS wards")
    expect(programme.get_by_role("listitem")).to_have_count(4)
    expect(programme.get_by_role("link").filter(has_not_text="Ask about")).to_have_text(NHS_COURSES)
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    screenshot(page, f"sector-programme-{viewport['width']}")


def test_ask_about_this_programme_opens_the_prefilled_enquiry(page, site):
    page.set_viewport_size(PHONE)
    page.goto(site + "/sectors/nhs/")
    ask = page.get_by_role("link", name="Ask about this programme")
    expect(ask).to_have_count(1)
    expect(ask).to_have_accessible_name("Ask about this programme: A programme for NHS wards")
    ask.click()
    expect(page).to_have_url(re.compile(r"/enquire/\?programme=\d+$"))
    for title in NHS_COURSES:
        expect(page.get_by_role("checkbox", name=title, exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Lone Worker Safety", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Tell us more (optional)")).to_have_value(
        "We would like to ask about: A programme for NHS wards"
    )
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert Programme.objects.filter(is_published=True).count() == 2
