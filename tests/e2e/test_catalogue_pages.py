"""The public catalogue in a real browser: a booker's path, accessibility, and screenshots."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_booker_finds_a_course_from_their_sector(page, site):
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Training that keeps your staff safe")
    page.get_by_role("link", name="NHS", exact=True).click()
    expect(page).to_have_url(re.compile(r"/sectors/nhs/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("NHS")
    page.get_by_role("link", name="De-escalation Skills").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("De-escalation Skills")
    expect(page.get_by_text("£145.00")).to_be_visible()
    expect(page.get_by_role("link", name="Book a place")).to_be_visible()


def test_course_list_filters_by_keyboard_alone(page, site):
    page.set_viewport_size(DESKTOP)
    page.goto(site + "/courses/")
    # First Tab reaches the skip link, which moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_label("Search courses").focus()
    page.keyboard.type("breakaway")
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 course match your filters")).to_be_visible()
    expect(page.get_by_role("link", name="Breakaway and Personal Safety")).to_be_visible()
    page.get_by_label("Sector").select_option("transport")
    page.get_by_label("Search courses").fill("")
    page.get_by_role("button", name="Show courses").press("Enter")
    expect(page.get_by_role("link", name="Conflict Management for Transport Staff")).to_be_visible()
    expect(page.get_by_role("link", name="Conflict Management for Retail")).to_have_count(0)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/sectors/",
        "/sectors/nhs/",
        "/courses/",
        "/courses/?sector=nhs",
        "/courses/physical-intervention/",
        "/insights/",
        "/insights/blog/does-de-escalation-training-work/",
        "/no-such-page/",
    ],
)
def test_public_pages_meet_wcag_aa_at_desktop_and_phone_widths(page, site, path):
    name = path.strip("/").replace("/", "_").replace("?", "_").replace("=", "-") or "home"
    for label, size in [("desktop", DESKTOP), ("phone", PHONE)]:
        page.set_viewport_size(size)
        page.goto(site + path)
        assert page.locator("h1").count() == 1
        screenshot(page, f"{name}-{label}")
        assert axe_violations(page) == []
