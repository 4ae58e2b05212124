"""First-touch attribution in a real browser: a visit from a LinkedIn post lands on the course
list with UTM parameters, clicks through to a course and its in-house enquiry form, and sends it.
The lead records the first page, not the form; the browser holds no cookie but csrftoken and
nothing in its storage."""

import re

import pytest
from playwright.sync_api import expect

from enquiries.models import Lead

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANDING = "/courses/?utm_source=LinkedIn&utm_medium=social&utm_campaign=nhs-spring"


@pytest.fixture(autouse=True)
def quick_forms(settings):
    settings.LEADS_MIN_SUBMIT_SECONDS = 0
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000


def stored_by_the_site(page):
    cookies = sorted(cookie["name"] for cookie in page.context.cookies())
    storage = page.evaluate("() => [window.localStorage.length, window.sessionStorage.length]")
    return cookies, storage


def test_a_linkedin_visit_through_a_course_page_to_an_enquiry(page, site):
    page.set_viewport_size(DESKTOP)
    page.goto(site + LANDING, referer="https://www.linkedin.com/feed/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")

    # With the mouse, to a course; the address carries the visit's first touch.
    page.get_by_role("link", name="De-escalation Skills", exact=True).click()
    expect(page).to_have_url(re.compile(r"/courses/de-escalation-skills/\?src=[^&]+$"))

    # With the keyboard, to the in-house enquiry form.
    page.get_by_role("link", name="Enquire about in-house training").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("In-house training for your team")
    expect(page).to_have_url(re.compile(r"/enquire/\?course=de-escalation-skills&src="))
    assert stored_by_the_site(page) == (["csrftoken"], [0, 0])

    page.get_by_label("Your name").fill("Jordan Ellis")
    page.get_by_label("Your job title").fill("Head of Tenancy Safety")
    page.get_by_label("Your email").fill("jordan.ellis@example.org")
    page.get_by_label("Your phone number").fill("01473 555013")
    page.get_by_label("Organisation name").fill("Riverside Homes")
    page.get_by_label("Type of organisation").select_option("housing")
    page.get_by_label("Number of staff to train").fill("40")
    page.get_by_label("I agree that you may contact me").check()
    page.get_by_role("button", name="Send enquiry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your enquiry")
    lead = Lead.objects.get()
    assert lead.landing_page == LANDING
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("LinkedIn", "social", "nhs-spring")
    assert lead.referrer == "https://www.linkedin.com/feed/"
    assert lead.channel == "linkedin"
    assert list(lead.courses.values_list("slug", flat=True)) == ["de-escalation-skills"]
