"""The booking pages in a real browser, on a desktop and a phone, with and without JavaScript:
Enter never removes a delegate, removing one can be undone, errors are summarised at the top as
GOV.UK does it, the waiting-list button joins the waiting list, and no public page scrolls
sideways on a phone."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from booking import links
from booking.models import Booking, BookingStatus
from booking.services import session_cancel
from courses.models import Course, Sector
from tests.factories import VenueFactory, make_booking, make_session

from .conftest import PHONE, axe_violations, confirm_from_email, fill_delegate, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE_WIDTHS = [320, 360, 390]
DELEGATES = [
    ("Alex Green", "alex.green@example.org", "Staff nurse"),
    ("Sam Patel", "sam.patel@example.org", "Healthcare assistant"),
    ("Jo Wright", "jo.wright@example.org", "Porter"),
]


def fill_booking(page, *, delegates=DELEGATES, purchase_order=None):
    """The whole booking form, as a booker fills it in (rows added with the form's own button)."""
    page.get_by_label("Organisation name").fill("East Coast NHS Foundation Trust")
    page.get_by_label("Organisation type").select_option("nhs")
    page.get_by_label("NHS ODS code").fill("RGT")
    page.get_by_label("Your name").fill("Priya Shah")
    page.get_by_label("Your job title").fill("Ward manager")
    page.get_by_label("Your email").fill("priya.shah@example.org")
    page.get_by_label("Your phone number").fill("01473 555012")
    page.get_by_label("Invoice address").fill("Accounts Payable\n1 Hospital Road\nIpswich IP4 5PD")
    if purchase_order:
        page.get_by_label("Purchase order number", exact=True).fill(purchase_order)
    else:
        page.get_by_label("PO to follow").check()
    for number, delegate in enumerate(delegates, start=1):
        if page.locator("[data-delegate-row]").count() < number:
            page.get_by_role("button", name="Add another delegate").click()
            expect(page.locator("[data-delegate-row]")).to_have_count(number)
        fill_delegate(page, number, *delegate)
    page.get_by_label("I accept the booking terms").check()


def expect_review_with_all_delegates(page, delegates=DELEGATES):
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your booking")
    rows = page.locator(".review-delegates tbody tr")
    expect(rows).to_have_count(len(delegates))
    for row, (name, email, _) in zip(rows.all(), delegates, strict=True):
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(email)


def assert_no_sideways_scroll(page, where):
    """The page is no wider than the window; if it is, name the elements that stick out."""
    found = page.evaluate(
        """() => {
            const width = window.innerWidth;
            const wide = [...document.querySelectorAll("body *")]
                .filter((el) => el.getBoundingClientRect().right > width + 0.5 && el.offsetParent !== null)
                .slice(-5)
                .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + [...el.classList].join(".")
                    + " " + Math.round(el.getBoundingClientRect().right) + "px");
            return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, wide: wide};
        }"""
    )
    assert found["scrollWidth"] <= found["innerWidth"], f"{where} scrolls sideways: {found}"


# 1. Enter never removes a delegate ---------------------------------------------------------------

# Each field, found by its label in the form (a delegate's fields within their row).
ENTER_FIELDS = [
    ("Organisation name", None),
    ("NHS ODS code", None),
    ("Your name", None),
    ("Your job title", None),
    ("Your email", None),
    ("Your phone number", None),
    ("Purchase order number", None),
    ("Full name", 1),
    ("Email", 2),
    ("Job role", 3),
    ("Full name", 3),
    ("I accept the booking terms", None),
]


def field(page, label, row):
    if row is None:
        return page.get_by_label(label, exact=label == "Purchase order number")
    return page.locator("[data-delegate-row]").nth(row - 1).get_by_label(label)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_enter_in_any_field_reviews_the_booking_with_every_delegate_kept(
    browser, live_server, session, viewport, javascript
):
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    page = context.new_page()
    page.goto(live_server.url + f"/book/{session.pk}/")
    fill_booking(page, purchase_order="NHS-PO-448812")
    for label, row in ENTER_FIELDS:
        field(page, label, row).press("Enter")
        expect_review_with_all_delegates(page)
        page.get_by_role("link", name="Change your booking").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Book De-escalation Skills")
        expect(page.locator("[data-delegate-row]")).to_have_count(3)
    # Enter in a multi-line box is a new line, never a submit (and never a removal).
    page.get_by_label("Anything else we should know").press("Enter")
    expect(page.locator("[data-delegate-row]")).to_have_count(3)
    expect(page.get_by_role("heading", level=1)).to_have_text("Book De-escalation Skills")
    context.close()


def test_the_hidden_default_button_is_what_enter_uses(page, live_server, session):
    """The browser's own choice, not a script's: the form's first submit button reviews."""
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + f"/book/{session.pk}/")
    first = page.locator(f"form[action$='/book/{session.pk}/'] button[type='submit']").first
    expect(first).to_have_attribute("value", "review")
    expect(first).to_have_attribute("tabindex", "-1")
    expect(first).to_have_attribute("aria-hidden", "true")
    # Not reachable by Tab, and never announced.
    page.get_by_label("Organisation name").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.getAttribute('value')") != "review"


# Removing a delegate, and undoing it -------------------------------------------------------------


def test_remove_a_delegate_then_undo_with_javascript(page, live_server, session):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + f"/book/{session.pk}/")
    # One row: nothing to remove.
    expect(page.locator("[data-remove-delegate]")).to_have_count(0)
    fill_booking(page)
    rows = page.locator("[data-delegate-row]")
    expect(page.locator("[data-remove-delegate]")).to_have_count(3)

    page.get_by_role("button", name="Remove this delegate (delegate 2)").click()
    expect(rows).to_have_count(2)
    notice = page.locator("[data-delegate-notice]")
    expect(notice).to_have_attribute("role", "status")  # a polite live region
    expect(notice).to_contain_text("Removed delegate 2, Sam Patel")
    undo = notice.get_by_role("button", name="Undo removing delegate 2, Sam Patel")
    expect(undo).to_be_focused()
    expect(rows.nth(1).get_by_label("Full name")).to_have_value("Jo Wright")
    expect(rows.nth(1).locator("legend")).to_have_text("Delegate 2")
    screenshot(page, "booking-form-removed-delegate-desktop")
    assert axe_violations(page) == []

    undo.click()
    expect(rows).to_have_count(3)
    expect(notice).to_contain_text("Restored delegate 2, Sam Patel")
    for number, (name, email, role) in enumerate(DELEGATES, start=1):
        row = rows.nth(number - 1)
        expect(row.locator("legend")).to_have_text(f"Delegate {number}")
        expect(row.get_by_label("Full name")).to_have_value(name)
        expect(row.get_by_label("Email")).to_have_value(email)
        expect(row.get_by_label("Job role")).to_have_value(role)
    expect(rows.nth(1).get_by_label("Full name")).to_be_focused()
    expect(page.locator("input[name='form-TOTAL_FORMS']")).to_have_value("3")

    # Down to one row: its remove button goes.
    page.get_by_role("button", name="Remove this delegate (delegate 3)").click()
    page.get_by_role("button", name="Remove this delegate (delegate 1)").click()
    expect(rows).to_have_count(1)
    expect(page.locator("[data-remove-delegate]")).to_have_count(0)
    expect(rows.first.get_by_label("Full name")).to_have_value("Sam Patel")
    # Undo the last removal: Alex back in first place, with a remove button again.
    page.get_by_role("button", name=re.compile("^Undo")).click()
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_label("Full name")).to_have_value("Alex Green")
    expect(page.locator("[data-remove-delegate]")).to_have_count(2)

    page.get_by_role("button", name="Review booking").click()
    expect_review_with_all_delegates(page, [DELEGATES[0], DELEGATES[1]])


def test_remove_a_delegate_then_undo_without_javascript(browser, live_server, session):
    context = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + f"/book/{session.pk}/")
    expect(page.locator("[data-remove-delegate]")).to_have_count(0)
    fill_booking(page)
    page.get_by_role("button", name="Remove this delegate (delegate 2)").click()
    rows = page.locator("[data-delegate-row]")
    expect(rows).to_have_count(2)
    expect(page.locator("[data-delegate-notice]")).to_contain_text("Removed delegate 2, Sam Patel")
    undo = page.get_by_role("button", name="Undo removing delegate 2, Sam Patel")
    expect(undo).to_be_focused()  # autofocus: no script needed
    undo.click()
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_label("Full name")).to_have_value("Sam Patel")
    expect(rows.nth(1).get_by_label("Full name")).to_be_focused()
    page.get_by_label("I accept the booking terms").check()
    page.get_by_role("button", name="Review booking").click()
    expect_review_with_all_delegates(page)
    context.close()


# 3. Errors as GOV.UK does them ---------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_error_summary_is_focused_and_its_links_move_focus_to_the_field(page, live_server, session, viewport):
    page.set_viewport_size(viewport)
    page.goto(live_server.url + f"/book/{session.pk}/")
    page.get_by_label("Organisation name").fill("East Coast NHS Foundation Trust")
    page.get_by_role("button", name="Add another delegate").click()
    fill_delegate(page, 1, "Alex Green", "alex.green@example.org", "Staff nurse")
    fill_delegate(page, 2, "Sam Patel", "not-an-email", "Porter")
    page.get_by_role("button", name="Review booking").click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: Book De-escalation Skills"))
    messages = summary.get_by_role("link").all_inner_texts()
    assert "Enter your name" in messages
    assert "Choose the type of organisation" in messages
    assert "Accept the booking terms to continue" in messages
    assert "Delegate 2: Enter the delegate's email address in the correct format, like name@example.com" in messages
    assert not [m for m in messages if "required" in m or "Please" in m]
    screenshot(page, f"booking-form-errors-{viewport['width']}")
    assert axe_violations(page) == []

    summary.get_by_role("link", name="Delegate 2: Enter the delegate's email address").click()
    expect(page.locator("#id_form-1-email")).to_be_focused()
    summary.get_by_role("link", name="Choose the type of organisation").click()
    expect(page.get_by_label("Organisation type")).to_be_focused()
    summary.get_by_role("link", name="Accept the booking terms to continue").click()
    expect(page.get_by_label("I accept the booking terms")).to_be_focused()


def test_manage_page_errors_are_summarised_too(page, live_server, session):
    booking = make_booking(session, count=2, purchase_order="", po_to_follow=True)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("booking:manage", args=[links.manage_token(booking)]))
    # While the PO is awaited, adding it is the first thing on the page.
    assert summary_is_above(page, ".po-box", "dl")
    page.get_by_role("button", name="Add purchase order").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: Manage booking"))
    summary.get_by_role("link", name="Enter your purchase order number").click()
    expect(page.get_by_label("Purchase order number")).to_be_focused()


# 4. The waiting-list button joins the waiting list ----------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_waiting_list_button_on_the_review_page_joins_the_waiting_list(page, live_server, session, viewport):
    make_booking(session, count=3)  # one seat left, for three delegates
    page.set_viewport_size(viewport)
    page.goto(live_server.url + f"/book/{session.pk}/")
    fill_booking(page)  # the "put us on the waiting list" box left unticked
    page.get_by_role("button", name="Review booking").click()
    expect(page.get_by_text("Only 1 seat left for your 3 delegates")).to_be_visible()
    expect(page.get_by_role("link", name="Change your booking")).to_be_visible()
    page.get_by_role("button", name="Join the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to confirm your booking")
    booking = Booking.objects.exclude(status=BookingStatus.CONFIRMED).get()
    assert booking.status == BookingStatus.WAITLISTED
    confirm_from_email(page, live_server, booking)
    expect(page.get_by_role("heading", level=1)).to_have_text("You are on the waiting list")
    assert booking.delegates.count() == 3


# 2. Phones first: no public page scrolls sideways -------------------------------------------------


@pytest.fixture
def crawl_sessions(session):
    """Dates in every state the pages show: bookable, fully booked, closed, cancelled, online."""
    course = session.course
    make_booking(make_session(course=course, capacity=2, starts_in_days=50), count=2)
    closed = make_session(course=course, starts_in_days=2)
    closed.booking_closes_at = timezone.now() - timedelta(hours=1)
    closed.save()
    session_cancel(session=make_session(course=course, starts_in_days=60))
    make_session(
        course=course, venue=VenueFactory(name="Virtual classroom", is_online=True, town="", postcode=""), days=2
    )
    return session


def public_paths():
    paths = ["/", "/sectors/", "/courses/"]
    paths += [f"/sectors/{slug}/" for slug in Sector.objects.values_list("slug", flat=True)]
    paths += [course.get_absolute_url() for course in Course.objects.filter(is_published=True)]
    return paths


def test_no_public_page_scrolls_sideways_on_a_phone(page, live_server, crawl_sessions, settings):
    settings.SITE_URL = live_server.url
    session = crawl_sessions
    paths = public_paths()
    assert len(paths) > 10
    page.set_viewport_size({"width": 320, "height": 700})
    for path in paths:
        page.goto(live_server.url + path)
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 700})
            assert_no_sideways_scroll(page, f"{path} at {width}px")

    def check(where):
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 700})
            assert_no_sideways_scroll(page, f"{where} at {width}px")

    # The booking form with errors, the review page, the confirmation and the manage page.
    page.goto(live_server.url + f"/book/{session.pk}/")
    page.get_by_role("button", name="Add another delegate").click()
    page.get_by_role("button", name="Review booking").click()
    expect(page.locator("#error-summary")).to_be_visible()
    check("the booking form with errors")
    fill_booking(
        page,
        delegates=[
            DELEGATES[0],
            ("Sam Patel-Wright", "samantha.patel-wright@east-coast-nhs.example.org", "Healthcare assistant"),
        ],
    )
    page.get_by_role("button", name="Review booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your booking")
    check("the review page")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email to confirm your booking")
    check("the check-your-email page")
    booking = Booking.objects.get(status=BookingStatus.UNCONFIRMED)
    page.goto(live_server.url + reverse("booking:confirm_email", args=[links.confirm_token(booking)]))
    check("the confirm-your-email page")
    page.get_by_role("button", name="Confirm my booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Places held: purchase order to follow")
    check("the confirmation page")
    page.locator("a[href*='/bookings/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking ")
    check("the manage page")
    page.get_by_role("button", name="Add purchase order").click()
    check("the manage page with errors")
    page.get_by_role("link", name=re.compile("^Substitute")).first.click()
    check("the substitute page")


def test_course_dates_are_a_list_on_a_phone_with_every_book_button_on_screen(page, live_server, crawl_sessions):
    course = crawl_sessions.course
    page.set_viewport_size({"width": 320, "height": 700})
    page.goto(live_server.url + course.get_absolute_url())
    rows = page.locator(".session-table tbody tr")
    expect(rows).to_have_count(5)
    for index in range(5):
        row = rows.nth(index)
        row.scroll_into_view_if_needed()
        box = row.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, f"date {index + 1} is cut off: {box}"
        expect(row).to_contain_text("£145.00")
        # Each line says what it is ("Venue: ...", "Availability: ...") once the column headings are gone.
        labels = row.locator("td[data-label]").evaluate_all(
            "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
        )
        assert labels == ['"Venue: "', '"Availability: "', '"Price: "']
    book = page.locator(".session-table").get_by_role("link", name=re.compile(r"^(Book|Join waiting list)"))
    expect(book).to_have_count(3)  # bookable, fully booked, online
    for link in book.all():
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320 and box["height"] >= 24
    # Closed and cancelled dates say so, and show no seats.
    expect(rows.filter(has_text="Booking closed")).to_have_count(1)
    expect(rows.filter(has_text="Cancelled")).to_have_count(1)
    for state in ["Booking closed", "Cancelled"]:
        expect(rows.filter(has_text=state)).not_to_contain_text("left")
    screenshot(page, "course-page-320")
    page.set_viewport_size(PHONE)
    screenshot(page, "course-page-390")
    assert axe_violations(page) == []
    page.set_viewport_size(DESKTOP)
    expect(page.locator(".session-table thead")).to_be_visible()
    screenshot(page, "course-page-1280")
    assert axe_violations(page) == []


def summary_is_above(page, first, then):
    return page.locator(first).first.bounding_box()["y"] < page.locator(then).first.bounding_box()["y"]


def test_the_session_being_booked_heads_the_form_and_review_on_a_phone(page, live_server, session):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + f"/book/{session.pk}/")
    summary = page.locator(".session-summary")
    expect(summary).to_contain_text("De-escalation Skills")
    expect(summary).to_contain_text("Orwell Training Centre")
    expect(summary).to_contain_text("£145.00")
    assert summary_is_above(page, ".session-summary", "form[action*='/book/']")
    fill_booking(page)
    screenshot(page, "booking-form-390")
    page.get_by_role("button", name="Review booking").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review your booking")
    assert summary_is_above(page, ".session-summary", ".review-delegates")
    assert page.locator(".review-delegates").bounding_box()["width"] <= 390
    screenshot(page, "review-390")
    assert axe_violations(page) == []
    # On a desktop it sits to the right of the form.
    page.set_viewport_size(DESKTOP)
    assert page.locator(".session-summary").bounding_box()["x"] > page.locator(".review-delegates").bounding_box()["x"]
    screenshot(page, "review-1280")
    page.get_by_role("link", name="Change your booking").click()
    assert (
        page.locator(".session-summary").bounding_box()["x"]
        > page.get_by_label("Organisation name").bounding_box()["x"]
    )
    screenshot(page, "booking-form-1280")
