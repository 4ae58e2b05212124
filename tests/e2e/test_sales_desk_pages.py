"""The sales desk's pages in Chromium, at a phone's width and a desktop's, and by keyboard: a
sales person signs in and lands on their lead list, pauses and resumes new leads, adds a lead
taken by phone, logs a call with its next step, and searches from "my open leads" for a lead
that is someone else's."""

import importlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from enquiries import services
from enquiries.models import Lead, LeadActivity, LeadStatus, SalesPerson

from .conftest import PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
WIDE = {"width": 1280, "height": 900}
# Django's own pages: breadcrumbs and the result count's link are underlined only on hover, and
# the filter links sit close together at a phone's width.
DJANGOS_OWN = ("link-in-text-block:", "target-size:")


def sales_group():
    # An earlier browser test's flush removes what migrations made: made again from the
    # migration's own list of permissions.
    migration = importlib.import_module("enquiries.migrations.0002_sales_group")
    group, _ = Group.objects.get_or_create(name="Sales")
    for app_label, codenames in migration.SALES_PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    return group


@pytest.fixture
def sam(transactional_db, settings):
    settings.LEADS_ROUND_ROBIN = True
    group = sales_group()
    users = get_user_model().objects
    sam = users.create_user("sam", password=PASSWORD, first_name="Sam", last_name="Patel", is_staff=True)
    sam.groups.add(group)
    users.create_user("kim", first_name="Kim", last_name="Lowe", is_staff=True).groups.add(group)
    return sam


@pytest.fixture
def kims_lead(sam):
    kim = get_user_model().objects.get(username="kim")
    lead = services.enquiry_submit(
        data={"name": "Priya Shah", "organisation": "Stourside Housing Association", "email": "priya@example.org"}
    )
    return services.lead_assign(lead=lead, owner=kim)


def no_wider_than_the_window(page):
    """The page itself never scrolls sideways; a wide table scrolls inside its own box."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def sign_in_by_keyboard(page, site):
    page.goto(site + "/admin/login/")
    page.get_by_label("Username").focus()
    page.keyboard.type("sam")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("viewport", [PHONE, WIDE], ids=["390px", "1280px"])
def test_a_sales_persons_day_at_both_widths(page, live_server, sam, kims_lead, viewport):
    site = live_server.url
    page.set_viewport_size(viewport)
    name = f"sales-desk-{viewport['width']}"

    # Signing in lands on "my open leads".
    sign_in_by_keyboard(page, site)
    expect(page).to_have_url(f"{site}/admin/enquiries/lead/?owner=me&state=open")
    expect(page.get_by_text("You are taking new leads.")).to_be_visible()
    no_wider_than_the_window(page)

    # A holiday: out of the round robin and back.
    page.get_by_role("button", name="Pause new leads (holiday)").click()
    expect(page.get_by_text("You are not taking new leads", exact=False).first).to_be_visible()
    assert not SalesPerson.objects.get(user=sam).takes_new_leads
    page.get_by_role("button", name="Resume new leads").click()
    expect(page.get_by_text("You are taking new leads.")).to_be_visible()

    # A phone-in enquiry, added by keyboard; Enter in a field saves it.
    page.get_by_role("link", name="Add lead").click()
    expect(page.get_by_role("heading", name="Add a lead")).to_be_visible()
    no_wider_than_the_window(page)
    screenshot(page, f"{name}-add")
    assert axe_violations(page) == []
    page.get_by_label("Phone call").check()
    # The admin's labels end in a colon.
    page.get_by_label("Name:", exact=True).fill("Dan Okafor")
    page.get_by_label("Organisation:", exact=True).fill("Harbour Leisure Centres")
    page.get_by_label("Phone:", exact=True).fill("07911 123456")
    page.get_by_label("Number of staff to train:").fill("25")
    page.get_by_label("Preferred town:").focus()
    page.keyboard.type("Felixstowe")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Lead \w+ added\. Owner: "))).to_be_visible()
    lead = Lead.objects.get(name="Dan Okafor")
    expect(page.get_by_text(f"Lead {lead.reference} added.")).to_be_visible()
    assert lead.owner is not None and lead.due_at is not None

    # The lead's page: the work forms and the timeline above the details.
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    timeline = page.get_by_role("table", name="Timeline")
    expect(timeline).to_contain_text("Enquiry added by sam (phone call).")
    details = page.get_by_role("heading", name="Contact", exact=True)
    assert timeline.bounding_box()["y"] < details.bounding_box()["y"]
    screenshot(page, f"{name}-lead")
    no_wider_than_the_window(page)
    assert [v for v in axe_violations(page) if not v.startswith(DJANGOS_OWN)] == []

    # A call logged with its next step: the lead is no longer due for the call.
    if lead.owner != sam:
        services.lead_assign(lead=lead, owner=sam)
        page.reload()
    call = page.locator("form", has=page.get_by_role("heading", name="Log a call"))
    # By keyboard, the call form leads on to the next form, not to the details far below.
    call.get_by_role("button", name="Log call").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#id_status-status")).to_be_focused()
    call.get_by_label("Spoke to them").check()
    call.get_by_label("What was said").fill("25 lifeguards and duty managers; wants a date in March.")
    call.get_by_label("Next action").fill("Send March dates")
    due = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=30)
    call.get_by_label("Due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    call.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Call logged. The lead is contacted; next: Send March dates, due")).to_be_visible()
    newest = page.get_by_role("table", name="Timeline").locator("tbody tr")
    expect(newest.first).to_contain_text("Next action: Send March dates")
    expect(newest.nth(2)).to_contain_text("Call: Spoke to them")
    lead.refresh_from_db()
    assert (lead.status, lead.next_action, lead.is_overdue) == (LeadStatus.CONTACTED, "Send March dates", False)
    assert lead.activities.filter(kind=LeadActivity.Kind.CALL, author=sam).count() == 1

    # Back to the list; a search from "my open leads" finds Kim's lead.
    page.goto(site + "/admin/enquiries/lead/?owner=me&state=open")
    row = page.locator("#result_list tbody tr", has_text=lead.reference)
    expect(row.get_by_role("link", name="07911 123456")).to_have_attribute("href", "tel:+447911123456")
    expect(row).to_contain_text("Send March dates")
    expect(row).to_contain_text("Tomorrow 10:30")
    screenshot(page, f"{name}-list")
    assert [v for v in axe_violations(page) if not v.startswith(DJANGOS_OWN)] == []
    no_wider_than_the_window(page)
    page.get_by_role("textbox", name="Search").fill("Stourside")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list tbody tr", has_text=kims_lead.reference)).to_contain_text("Kim Lowe")
    expect(page).to_have_url(f"{site}/admin/enquiries/lead/?q=Stourside&owner=all&state=all")
