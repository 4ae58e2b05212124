"""The trainer's attendance page in a real browser at phone widths: no sideways scroll, choices
big enough to tap, axe-clean, marked and saved from the keyboard alone, then the course complete."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations, screenshot

from .test_attendance_pages import page_url, people, running_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [{"width": 360, "height": 740}, {"width": 390, "height": 844}]


def assert_fits(page, where):
    found = page.evaluate("() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})")
    assert found["scrollWidth"] <= found["innerWidth"], f"{where} scrolls sideways: {found}"


def small_targets(page):
    """Each choice and Save button smaller than 44 x 44 CSS px, as (text, width, height)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(".att-choice, .att-save")]
            .map((el) => [el.textContent.trim(), el.getBoundingClientRect()])
            .filter(([, box]) => box.width < 44 || box.height < 44)
            .map(([text, box]) => [text, Math.round(box.width), Math.round(box.height)])"""
    )


def test_the_trainer_marks_a_day_on_a_phone_with_the_keyboard(page, live_server):
    session = running_session(days=2, today_is_day=1, bookings=(3,))
    first, second, third = people(session)
    for size in WIDTHS:
        page.set_viewport_size(size)
        page.goto(live_server.url + page_url(session))
        expect(page.get_by_role("heading", level=1)).to_have_text("Attendance")
        screenshot(page, f"attendance-{size['width']}")
        assert_fits(page, f"the attendance page at {size['width']} px")
        assert small_targets(page) == []
        assert axe_violations(page) == [], f"at {size['width']} px"

    day = page.locator("#day-1")
    day.get_by_role("group", name=first.name).get_by_label("Attended").check()
    day.get_by_role("group", name=second.name).get_by_label("Left early").check()
    # The third person from the keyboard alone: Tab into their group, Space to choose the first
    # choice, an arrow to move to the next, Enter to save the day.
    page.keyboard.press("Tab")
    expect(day.get_by_role("group", name=third.name).get_by_label("Attended")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    expect(day.get_by_role("group", name=third.name).get_by_label("Absent")).to_be_checked()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").first).to_contain_text("Attendance saved for day 1: 3 of 3 marked.")
    expect(page.locator(".att-state")).to_contain_text("3 of 6 marked")
    expect(page.locator(".att-state")).to_contain_text("Day 2")
    expect(page.locator("#day-1").get_by_role("group", name=third.name).get_by_label("Absent")).to_be_checked()
    assert_fits(page, "the page after saving")
    assert axe_violations(page) == []


def test_a_refused_save_lists_the_problem_at_the_top_with_a_link_to_the_person(page, live_server):
    session = running_session(days=1, bookings=(2,))
    page.set_viewport_size(WIDTHS[0])
    page.goto(live_server.url + page_url(session))
    page.get_by_role("button", name="Save attendance").click()
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text("Mark at least one person.")
    expect(summary).to_be_focused()
    summary.get_by_role("link").first.click()
    [first, _] = people(session)
    expect(page.get_by_role("group", name=first.name).get_by_label("Attended")).to_be_focused()
    assert axe_violations(page) == []
    assert_fits(page, "the page with errors")


def test_the_last_day_saved_completes_the_course(page, live_server):
    from records.services import attendance_mark

    session = running_session(days=2, today_is_day=2, bookings=(2,))
    first, second = people(session)
    attendance_mark(
        session=session,
        day=session.days.first(),
        marks={first.pk: "attended", second.pk: "attended"},
        actor="Helen Ward (trainer)",
    )
    page.set_viewport_size(WIDTHS[1])
    page.goto(live_server.url + page_url(session))
    today = page.locator("#day-2")
    today.get_by_role("group", name=first.name).get_by_label("Attended").check()
    today.get_by_role("group", name=second.name).get_by_label("Absent").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    state = page.locator(".att-state")
    expect(state).to_contain_text("Attendance is complete")
    expect(state).to_contain_text(f"Certificates issued to: {first.name}")
    assert axe_violations(page) == []
    screenshot(page, "attendance-complete-390")
