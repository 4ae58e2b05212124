"""The Content-Security-Policy in Chromium: the public pages, the booking form's JavaScript, a lead
form's error summary, the admin pages staff use (sign-in, lists with actions, forms with inlines,
date widgets and autocomplete, the sales dashboard, an email in the outbox) and Swagger UI at
/api/docs/ all work under the policy, and the browser reports no violation on any of them (tests/core/test_security_headers.py
checks the headers and the templates)."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from courses.models import Course
from enquiries import services as lead_services
from enquiries.models import Lead
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import VenueFactory, make_session

from .conftest import DESKTOP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"

# Run in every page before its own scripts (Playwright's init scripts are not subject to the
# policy): each violation the browser reports is handed to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation({
    page: location.href,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


class BrowserReports:
    """What the browser says about a page beyond its content: policy violations (as events and
    console errors), header errors, and uncaught script errors."""

    def __init__(self, page):
        self.violations, self.console, self.errors = [], [], []
        page.expose_function("reportViolation", lambda violation: self.violations.append(violation))
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def assert_clean(self):
        policy_messages = [
            m for m in self.console if re.search(r"Content.Security.Policy|Permissions.Policy|Refused to", m, re.I)
        ]
        assert self.violations == []
        assert policy_messages == []
        assert self.errors == []


@pytest.fixture
def reports(page):
    page.set_viewport_size(DESKTOP)
    return BrowserReports(page)


@pytest.fixture
def session(demo_catalogue):
    course = Course.objects.get(slug="de-escalation-skills")
    venue = VenueFactory(name="Orwell Training Centre", town="Ipswich", postcode="IP3 9SJ")
    return make_session(course=course, venue=venue, capacity=6, starts_in_days=40)


@pytest.fixture
def admin_user(transactional_db):
    return get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)


@pytest.fixture
def quick_forms(settings):
    settings.LEADS_MIN_SUBMIT_SECONDS = 0
    settings.LEADS_RATE_LIMIT_PER_HOUR = 1000
    settings.LEADS_ROUND_ROBIN = False


def test_public_pages_and_the_booking_form_run_under_the_policy(page, reports, site, session):
    response = page.goto(site + "/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    assert "camera=()" in response.headers["permissions-policy"]
    # Bootstrap's JavaScript: the menu opens on a phone-sized window.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Show or hide the menu").click()
    expect(page.locator("#main-nav")).to_be_visible()
    page.set_viewport_size(DESKTOP)

    page.goto(site + "/courses/de-escalation-skills/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("De-escalation")

    page.goto(site + f"/book/{session.pk}/")
    rows = page.locator("[data-delegate-row]")
    expect(rows).to_have_count(1)
    page.evaluate("window.notReloaded = true")
    rows.first.get_by_label("Full name").fill("Alex Green")
    page.get_by_role("button", name="Add another delegate").click()
    expect(rows).to_have_count(2)
    rows.nth(1).get_by_label("Full name").fill("Sam Patel")
    page.get_by_role("button", name="Remove this delegate (delegate 2)").click()
    expect(rows).to_have_count(1)
    undo = page.get_by_role("button", name="Undo removing delegate 2, Sam Patel")
    expect(undo).to_be_focused()
    undo.click()
    expect(rows).to_have_count(2)
    assert page.evaluate("window.notReloaded") is True  # all in the page, no round trip
    reports.assert_clean()


def test_lead_form_error_summary_takes_the_focus(page, reports, site, quick_forms):
    page.goto(site + "/enquire/")
    page.get_by_label("Your name").fill("Jordan Ellis")
    page.get_by_role("button", name="Send enquiry").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("^Organisation name")).click()
    expect(page.get_by_label("Organisation name")).to_be_focused()

    page.goto(site + "/bookings/new-link/")
    page.get_by_role("button", name="Email me a new link").click()
    expect(page.locator("#error-summary")).to_be_focused()
    reports.assert_clean()


def sign_in(page, site):
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_admin_pages_run_under_the_policy(page, reports, live_server, demo_catalogue, admin_user, quick_forms):
    site = live_server.url
    leads = [
        lead_services.enquiry_submit(
            data={"name": name, "organisation": "Stourside Housing", "email": f"{name.split()[0].lower()}@example.org"},
        )
        for name in ["Priya Shah", "Jordan Ellis"]
    ]
    Lead.objects.filter(pk=leads[0].pk).update(due_at=timezone.now() - timedelta(hours=2))  # shown as overdue
    sign_in(page, site)

    # A list with actions: the select-all box ticks every row and counts them.
    page.goto(site + "/admin/enquiries/lead/?owner=all&state=all")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("#result_list .lead-overdue")).to_have_css("color", "rgb(186, 33, 33)")
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select:checked")).to_have_count(2)
    expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")

    # The lead's page and the sales dashboard (their styles come from static/css/sales-admin.css).
    page.locator("#result_list tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    expect(page.locator(".lead-work")).to_have_css("display", "grid")
    page.goto(site + "/admin/enquiries/lead/dashboard/")
    expect(page.locator("#overdue-callbacks")).to_be_visible()
    expect(page.locator(".sales-dashboard")).to_have_css("display", "grid")

    # A bulk action's own page (templates/admin/action_form.html).
    page.goto(site + "/admin/enquiries/lead/?owner=all&state=all")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option(label="Mark selected leads lost ...")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("body.action-form")).to_be_visible()

    # A form with an inline, date and time widgets and an autocomplete: a new session.
    page.goto(site + "/admin/booking/coursesession/add/")
    days = page.locator("#days-group tbody tr.form-row:not(.empty-form)")
    expect(days).to_have_count(1)
    page.get_by_role("button", name="Add another Day").click()  # inlines.js
    expect(days).to_have_count(2)
    days.nth(1).get_by_role("link", name="Today").first.click()
    expect(days.nth(1).locator("input.vDateField").first).not_to_have_value("")
    days.first.locator(".date-icon").first.click()
    calendar = page.locator(".calendarbox:visible")
    expect(calendar).to_have_count(1)
    calendar.locator(".calendar td a").nth(10).click()
    expect(calendar).to_have_count(0)
    expect(days.first.locator("input.vDateField").first).not_to_have_value("")
    days.first.locator(".clock-icon").first.click()
    clock = page.locator(".clockbox:visible")
    expect(clock).to_have_count(1)
    clock.get_by_role("link", name="Noon").click()
    expect(days.first.locator("input.vTimeField").first).to_have_value("12:00:00")
    page.locator("#id_venue + .select2").click()
    expect(page.locator(".select2-results")).to_be_visible()
    page.keyboard.press("Escape")

    # A stacked inline and a prepopulated slug: a new course.
    page.goto(site + "/admin/courses/course/add/")
    page.locator("#id_title").press_sequentially("Calm at the Counter")
    expect(page.locator("#id_slug")).to_have_value("calm-at-the-counter")  # prepopulate.js
    testimonials = page.locator("#testimonials-group .inline-related:not(.empty-form)")
    count = testimonials.count()
    page.get_by_role("button", name="Add another Testimonial").click()
    expect(testimonials).to_have_count(count + 1)

    # An email in the outbox: its status in colour, and its HTML in a sandboxed frame with the
    # email's own inline styles (the frame's page has a policy of its own).
    email = OutboundEmail.objects.create(
        kind="booking_confirmation",
        unique_key="csp-e2e",
        to=["priya@example.org"],
        from_email="bookings@example.com",
        subject="Your booking",
        body_text="Hello",
        body_html='<p id="greeting" style="color: #073447">Hello</p>',
        status=EmailStatus.SENT,
    )
    page.goto(site + "/admin/outbox/outboundemail/")
    expect(page.locator("#result_list .email-status-sent").first).to_have_css("color", "rgb(27, 110, 58)")
    page.goto(site + f"/admin/outbox/outboundemail/{email.pk}/change/")
    greeting = page.frame_locator("iframe.email-preview").locator("#greeting")
    expect(greeting).to_have_css("color", "rgb(7, 52, 71)")

    # An existing course's change page, and signing out.
    page.goto(site + "/admin/courses/course/")
    page.locator("#result_list tbody tr").first.locator("a").first.click()
    expect(page.locator("#course_form")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Logged out")).to_be_visible()
    reports.assert_clean()


def test_swagger_ui_renders_the_api_under_the_policy(page, reports, site):
    response = page.goto(site + "/api/docs/")
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=15_000)
    assert operations.count() > 5
    operations.first.locator(".opblock-summary").click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    reports.assert_clean()
