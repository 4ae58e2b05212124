"""The in-house registration page and the coordinator's register in a real browser: on a
phone (390 px) with the keyboard alone, errors first, axe-clean like the other public pages."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from booking import links
from tests.booking.in_house_factories import make_in_house, register
from tests.e2e.conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_no_sideways_scroll(page, where):
    found = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.offsetParent !== null)
                .slice(-5)
                .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " "
                    + Math.round(el.getBoundingClientRect().right) + "px");
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide};
        }"""
    )
    assert found["scrollWidth"] <= found["innerWidth"], f"{where} scrolls sideways: {found}"


def press_tab_until(page, name, limit=60):
    """Tab through the page until the focused element's accessible name starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => (document.activeElement.labels && document.activeElement.labels[0]"
            " ? document.activeElement.labels[0].innerText : document.activeElement.innerText || '').trim()"
        )
        if focused.startswith(name):
            return
    raise AssertionError(f"never reached {name!r} with Tab")


def test_a_member_of_staff_registers_on_a_phone_with_the_keyboard(page, live_server, settings):
    settings.SITE_URL = live_server.url
    booking = make_in_house(capacity=2)
    url = live_server.url + reverse("booking:register", args=[links.registration_token(booking.session)])
    page.set_viewport_size(PHONE)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Register for De-escalation Skills")
    expect(page.get_by_text("2 of 2 places left")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "registration page")
    screenshot(page, "in-house-register-phone")

    # Submitting empty: the summary comes first, focused, each problem a link to its field.
    press_tab_until(page, "Register")
    page.keyboard.press("Enter")
    expect(page).to_have_title(re.compile(r"^Error: Register for De-escalation Skills"))
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter your full name")).to_be_visible()
    expect(summary.get_by_role("link", name="Enter your email address")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "registration page with errors")
    screenshot(page, "in-house-register-errors-phone")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your full name")).to_be_focused()

    page.keyboard.type("Sam Jones")
    page.keyboard.press("Tab")
    page.keyboard.type("sam.jones@example.org")
    page.get_by_label("Your job role (optional)").fill("Staff Nurse")
    page.get_by_label("Access needs or reasonable adjustments (optional)").fill("Hearing loop")
    page.get_by_label("Access needs or reasonable adjustments (optional)").press("Tab")
    press_tab_until(page, "Register")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    expect(page.get_by_text("sam.jones@example.org")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "registered page")
    screenshot(page, "in-house-registered-phone")
    assert booking.delegates.get().adjustments == "Hearing loop"

    register(booking.session, 2)
    page.goto(url)
    expect(page.get_by_role("heading", name="This course is full")).to_be_visible()
    expect(page.get_by_role("link", name="priya.shah@example.org")).to_be_visible()
    assert axe_violations(page) == []
    assert_no_sideways_scroll(page, "full course")


def test_the_coordinators_register_on_a_desktop_and_a_phone(page, live_server, settings):
    settings.SITE_URL = live_server.url
    booking = make_in_house(capacity=12, purchase_order="", po_to_follow=True)
    for n in range(1, 4):
        register(booking.session, n, name=f"Staff Member {n}", adjustments="Step-free access" if n == 2 else "")
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + reverse("booking:manage", args=[links.manage_token(booking)]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your register")
    expect(page.get_by_role("heading", name="Registered: 3 of 12")).to_be_visible()
    field = page.get_by_role("textbox", name="Registration link")
    expect(field).to_have_value(links.registration_url(booking.session))
    expect(page.get_by_role("button", name="Copy the registration link")).to_be_visible()  # with JavaScript
    assert axe_violations(page) == []
    screenshot(page, "in-house-manage-desktop")

    page.get_by_role("link", name="Substitute Staff Member 3").click()
    page.get_by_label("New delegate's full name").fill("Jo Patel")
    page.get_by_label("New delegate's email").fill("jo.patel@example.org")
    page.get_by_role("button", name="Substitute delegate").click()
    expect(page.get_by_text("Staff Member 3 has been replaced by Jo Patel")).to_be_visible()
    page.get_by_role("button", name="Remove Staff Member 1").click()
    expect(page.get_by_text("The delegate has been removed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Registered: 2 of 12")).to_be_visible()

    page.set_viewport_size(PHONE)
    assert_no_sideways_scroll(page, "register on a phone")
    assert axe_violations(page) == []
    screenshot(page, "in-house-manage-phone")
