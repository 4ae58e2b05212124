"""A booker's whole journey in a real browser: home page to a confirmed booking for three
delegates, then the manage link to add a PO and substitute a delegate."""

import re

import pytest
from playwright.sync_api import expect

from booking.models import Booking, BookingStatus

from .conftest import DESKTOP, PHONE, axe_violations, confirm_from_email, fill_delegate, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_book_three_delegates_then_add_po_and_substitute(page, live_server, session, settings):
    settings.SITE_URL = live_server.url  # the manage link must point at this server
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="NHS", exact=True).click()
    page.get_by_role("link", name="De-escalation Skills").first.click()
    expect(page.get_by_text("4 seats left")).to_be_visible()
    page.locator(".session-table").get_by_role("link", name=re.compile(r"^Book")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book De-escalation Skills")

    page.get_by_label("Organisation name").fill("East Coast NHS Foundation Trust")
    page.get_by_label("Organisation type").select_option("nhs")
    page.get_by_label("NHS ODS code").fill("RGT")
    page.get_by_label("Your name").fill("Priya Shah")
    page.get_by_label("Your job title").fill("Ward manager")
    page.get_by_label("Your email").fill("priya.shah@example.org")
    page.get_by_label("Your phone number").fill("01473 555012")
    page.get_by_label("Invoice address").fill("Accounts Payable\n1 Hospital Road\nIpswich IP4 5PD")
    page.get_by_label("PO to follow").check()
    fill_delegate(page, 1, "Alex Green", "alex.green@example.org", "Staff nurse")
    page.get_by_role("button", name="Add another delegate").click()
    fill_delegate(page, 2, "Sam Patel", "sam.patel@example.org", "Healthcare assistant")
    page.get_by_role("button", name="Add another delegate").click()
    fill_delegate(page, 3, "Jo Wright", "jo.wright@example.org", "Porter")
    page.get_by_label("I accept the booking terms").check()
    screenshot(page, "booking-form-desktop")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Review booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review your booking")
    expect(page.get_by_text("£522.00")).to_be_visible()  # 3 x £145 + VAT
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm booking").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to confirm your booking")
    assert axe_violations(page) == []
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.UNCONFIRMED
    confirm_from_email(page, live_server, booking)

    expect(page.get_by_role("heading", level=1)).to_have_text("Places held: purchase order to follow")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.AWAITING_PO
    assert sorted(booking.delegates.values_list("name", flat=True)) == ["Alex Green", "Jo Wright", "Sam Patel"]
    expect(page.get_by_text(booking.reference).first).to_be_visible()
    screenshot(page, "booking-confirmed-desktop")
    assert axe_violations(page) == []

    page.locator("a[href*='/bookings/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Booking {booking.reference}")
    page.get_by_label("Purchase order number").fill("NHS-PO-448812")
    page.get_by_role("button", name="Add purchase order").click()
    expect(page.get_by_text("your purchase order number has been added")).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purchase_order == "NHS-PO-448812"

    page.get_by_role("link", name="Substitute Sam Patel").click()
    page.get_by_label("New delegate's full name").fill("Chris Lowe")
    page.get_by_label("New delegate's email").fill("chris.lowe@example.org")
    page.get_by_role("button", name="Substitute delegate").click()
    expect(page.get_by_text("Sam Patel has been replaced by Chris Lowe")).to_be_visible()
    assert sorted(booking.delegates.values_list("name", flat=True)) == ["Alex Green", "Chris Lowe", "Jo Wright"]
    expect(page.get_by_text("Purchase order NHS-PO-448812 added.")).to_be_visible()
    screenshot(page, "booking-manage-desktop")
    assert axe_violations(page) == []
    page.set_viewport_size(PHONE)
    screenshot(page, "booking-manage-phone")


def test_booking_form_works_without_javascript(browser, live_server, session):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + f"/book/{session.pk}/")
    page.get_by_role("button", name="Add another delegate").click()
    expect(page.locator("[data-delegate-row]")).to_have_count(2)
    page.get_by_role("button", name="Remove this delegate (delegate 2)").click()
    expect(page.locator("[data-delegate-row]")).to_have_count(1)
    page.get_by_role("button", name="Review booking").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.get_by_role("link", name="Enter your organisation's name")).to_be_visible()
    context.close()
