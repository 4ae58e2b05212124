"""Insights pages in a real browser: axe-clean and no wider than the window on phones."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [DESKTOP, {"width": 320, "height": 700}, PHONE]


@pytest.fixture
def site(live_server, transactional_db):
    from django.core.management import call_command

    from insights import demo

    call_command("load_demo", "--no-user", "--no-sessions", verbosity=0)
    demo.load_articles()
    return live_server.url


def assert_no_sideways_scroll(page, where):
    found = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.offsetParent !== null)
                .slice(-5)
                .map((el) => el.tagName.toLowerCase() + "." + [...el.classList].join(".")
                    + " " + Math.round(el.getBoundingClientRect().right) + "px");
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide};
        }"""
    )
    assert found["scrollWidth"] <= found["innerWidth"], f"{where} scrolls sideways: {found}"


@pytest.mark.parametrize("path", ["/insights/", "/insights/blog/", "/insights/blog/does-de-escalation-training-work/"])
def test_insights_pages_meet_wcag_aa_and_fit_phone_widths(page, site, path):
    name = "insights-" + path.strip("/").replace("/", "_")
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(site + path)
        assert page.locator("h1").count() == 1
        screenshot(page, f"{name}-{size['width']}")
        assert axe_violations(page) == [], f"{path} at {size['width']} px"
        assert_no_sideways_scroll(page, f"{path} at {size['width']} px")


def test_reader_goes_from_the_list_to_an_article_and_on_to_the_newsletter(page, site):
    page.set_viewport_size(PHONE)
    page.goto(site + "/insights/")
    page.get_by_role("link", name="Does de-escalation training work?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Does de-escalation training work?")
    page.get_by_role("link", name="De-escalation Skills").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("De-escalation Skills")
    page.go_back()
    page.locator("#article-newsletter-email").fill("reader@example.com")
    page.get_by_role("button", name="Sign up").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights newsletter")
    expect(page.locator("main #id_email")).to_have_value("reader@example.com")
