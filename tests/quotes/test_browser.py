"""The client's quote page in a real browser: axe-clean on a desktop and a phone, nothing wider
than the screen at 320 and 390 px, the error summary focused with links to the fields, the form
done by keyboard, then the confirmation; an expired quote offers a callback."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quotes import links, services
from quotes.models import Quote, QuoteStatus
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, screenshot
from tests.quotes.conftest import draft

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quote_url(live_server, lead, amy, trainer):
    quote = services.quote_send(quote=draft(lead, amy, trainer=trainer), user=amy)
    return quote, live_server.url + "/quotes/" + links.quote_token(quote) + "/"


def assert_fits(page, width):
    page.set_viewport_size({"width": width, "height": 800})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"the page is {overflow} px wide at {width} px"


def test_the_client_accepts_by_keyboard_after_fixing_the_form(page, quote_url):
    quote, url = quote_url
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Quote Q-00001")
    assert axe_violations(page) == []
    screenshot(page, "quote-desktop")
    page.set_viewport_size(PHONE)
    assert axe_violations(page) == []
    screenshot(page, "quote-phone")
    assert_fits(page, 390)
    assert_fits(page, 320)

    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Accept quote").click()
    expect(page).to_have_title(re.compile("^Error: Quote Q-00001"))
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    for message in ("Choose one of the proposed dates", "Enter your name", "Give a purchase order number",
                    "Enter the invoice address", "Confirm that you can accept this quote"):  # fmt: skip
        expect(summary.get_by_role("link", name=re.compile(re.escape(message)))).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "quote-errors-desktop")

    # From the summary to the field, then the rest of the form by keyboard alone.
    summary.get_by_role("link", name="Enter your name").click()
    expect(page.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Morgan Reid")
    page.keyboard.press("Tab")
    page.keyboard.type("Head of Learning")
    page.keyboard.press("Tab")
    page.keyboard.type("morgan.reid@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("01473 555 321")
    page.keyboard.press("Tab")
    page.keyboard.type("PO-77812")
    page.keyboard.press("Tab")  # PO to follow: left unticked
    page.keyboard.press("Tab")
    page.keyboard.type("Finance, Heath Road, Ipswich IP4 5PD")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # the confirmation
    page.get_by_role("radio").first.focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("radio").first).to_be_checked()
    page.get_by_role("button", name="Accept quote").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you: quote Q-00001 is accepted")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    assert_fits(page, 390)
    screenshot(page, "quote-accepted-phone")
    quote = Quote.objects.get(pk=quote.pk)
    assert quote.status == QuoteStatus.ACCEPTED and quote.purchase_order == "PO-77812"
    assert quote.chosen_date == quote.proposed_dates.first() and quote.host_booking is not None


def test_an_expired_quote_offers_a_callback(page, quote_url):
    quote, url = quote_url
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    page.set_viewport_size(PHONE)
    page.goto(url)
    expect(page.get_by_text(re.compile("^This quote expired on"))).to_be_visible()
    expect(page.get_by_role("button", name="Accept quote")).to_have_count(0)
    assert axe_violations(page) == []
    assert_fits(page, 320)
    page.get_by_role("link", name="Let's talk: ask us to call you back").click()
    expect(page).to_have_url(re.compile(r"/lets-talk/$"))
