"""The sales desk's daily loop in a real browser, as a Sales user (not a superuser): a callback
arrives and goes overdue, the user logs the call with its outcome and next step, the lead is no
longer overdue and no overdue alert follows; a merge keeps the time promised to the prospect; a
lead added by hand gets its SLA and owner; "select all" over 5,000 leads assigns them all."""

import importlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from core import business_hours
from enquiries import services, tasks
from enquiries.models import Lead, LeadStatus, LeadType
from outbox.models import OutboundEmail
from tests.enquiries.test_services import callback_data, enquiry_data

from .conftest import DESKTOP, PHONE, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
User = get_user_model()


def sales_group():
    # A browser test's flush removes what migrations made: the groups are made again from the
    # migrations' own lists.
    group, _ = Group.objects.get_or_create(name="Sales")
    for name in ["0002_sales_group"]:
        migration = importlib.import_module(f"enquiries.migrations.{name}")
        for app_label, codenames in migration.SALES_PERMISSIONS.items():
            group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    group.permissions.add(*Permission.objects.filter(codename__in=["view_bulkjob", "view_datarequest"]))
    return group


@pytest.fixture
def sam(transactional_db, settings):
    settings.LEADS_ROUND_ROBIN = True
    group = sales_group()
    sam = User.objects.create_user(
        "sam", email="sam@example.com", password=PASSWORD, first_name="Sam", last_name="Patel", is_staff=True
    )
    ria = User.objects.create_user("ria", email="ria@example.com", first_name="Ria", last_name="Khan", is_staff=True)
    sam.groups.add(group)
    ria.groups.add(group)
    # Ria is on holiday: new leads go to Sam.
    services.salesperson_set_taking_leads(user=ria, taking=False, actor=ria)
    return sam


def sign_in(page, live_server):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    # Sales staff land on their own open leads.
    expect(page).to_have_url(f"{live_server.url}/admin/enquiries/lead/?owner=me&state=open")


def local_input(when):
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def next_working_morning():
    day = timezone.localdate() + timedelta(days=1)
    while not business_hours.is_working_day(day):
        day += timedelta(days=1)
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=10))


def test_a_logged_call_closes_the_task_and_no_overdue_alert_follows(page, live_server, sam):
    lead = services.callback_submit(data=callback_data(0, name="Alex Reid"), now=timezone.now() - timedelta(days=3))
    assert lead.owner == sam and Lead.objects.get(pk=lead.pk).is_overdue

    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server)
    row = page.locator("#result_list tbody tr", has_text=lead.reference)
    expect(row).to_contain_text("Overdue")
    expect(row.get_by_role("link", name="07911 123100")).to_have_attribute("href", "tel:+447911123100")
    row.get_by_role("link", name=lead.reference).click()

    call = page.get_by_role("form", name="Log a call")
    call.get_by_label("Spoke to them").check()
    call.get_by_label("What was said").fill("Wants breakaway training for 12 night staff.")
    call.get_by_label("Next action").fill("Send the quote")
    call.get_by_role("textbox", name="Due:").fill(local_input(next_working_morning()))
    call.get_by_label("Next action").press("Enter")
    expect(page.get_by_text("Call logged")).to_be_visible()

    lead.refresh_from_db()
    assert (lead.status, lead.next_action) == (LeadStatus.CONTACTED, "Send the quote")
    assert not lead.is_overdue
    assert tasks.send_overdue_alerts.apply().get()["alerts"] == 0
    assert not OutboundEmail.objects.filter(kind="lead_overdue").exists()
    expect(page.get_by_text("Wants breakaway training for 12 night staff.")).to_be_visible()
    screenshot(page, "sales-desk-call-logged")
    assert axe_violations(page) == []


def test_a_merge_keeps_the_promised_time(page, live_server, sam):
    now = timezone.now()
    enquiry = services.enquiry_submit(data=enquiry_data(0), now=now - timedelta(minutes=10))
    day = timezone.localdate(now) + timedelta(days=1)
    while not business_hours.is_working_day(day):
        day += timedelta(days=1)
    callback = services.callback_submit(
        data=callback_data(1, phone=str(enquiry.phone), callback_date=day, callback_period="am"), now=now
    )
    promised = callback.due_at
    enquiry.refresh_from_db()
    if promised >= enquiry.due_at:  # the enquiry happens to be due first: make the slot the earlier
        services.lead_set_next_action(lead=enquiry, next_action="Reply", due_at=promised + timedelta(days=2))

    page.set_viewport_size(PHONE)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/enquiries/lead/{callback.pk}/change/")
    page.get_by_role("button", name=f"Merge into {enquiry.reference}").click()
    expect(page.get_by_text(f"{callback.reference} merged into {enquiry.reference}")).to_be_visible()
    enquiry.refresh_from_db()
    assert enquiry.due_at == promised
    expect(page.get_by_text(f"the time promised on {callback.reference}").first).to_be_visible()
    screenshot(page, "sales-desk-merged-phone")


def test_a_lead_added_by_hand_has_its_sla_and_owner(page, live_server, sam):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/enquiries/lead/add/")
    page.get_by_role("radio", name="Enquiry").check()
    page.get_by_role("radio", name="Phone call").check()
    page.get_by_role("textbox", name="Name:").fill("Chris Doe")
    page.get_by_role("textbox", name="Organisation:").fill("Felixstowe Port")
    page.get_by_role("textbox", name="Phone:").fill("01394 555 321")
    page.get_by_role("button", name="Save").first.click()

    lead = Lead.objects.get(name="Chris Doe")
    assert (lead.lead_type, lead.origin, lead.channel, lead.owner) == (LeadType.ENQUIRY, "phone", "phone", sam)
    assert lead.due_at is not None and lead.next_action == "Reply to the enquiry"
    expect(page.get_by_text(f"Lead {lead.reference} added. Owner: Sam Patel")).to_be_visible()
    assert lead.activities.filter(text="Enquiry added by sam (phone call).").exists()
    screenshot(page, "sales-desk-added-by-hand")


def test_select_all_over_5000_leads_assigns_them_all(page, live_server, sam, settings, request):
    settings.LEAD_BULK_INLINE_LIMIT = 200
    if settings.REDIS_URL:
        # With a broker the run goes to a real Celery worker (without one, tasks run in-process).
        request.getfixturevalue("start_worker")()
    Lead.objects.bulk_create(
        Lead(lead_type=LeadType.ENQUIRY, name=f"Lead {n}", email=f"lead{n}@example.org", channel="direct")
        for n in range(5000)
    )
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server)
    page.goto(f"{live_server.url}/admin/enquiries/lead/?owner=none&state=open")
    page.locator("#action-toggle").check()
    page.get_by_role("button", name="Select all 5000 leads").click()
    page.locator("select[name=action]").select_option("assign_to")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("5,000 leads")).to_be_visible()
    page.get_by_label("Assign to").select_option(label="Sam Patel")
    # Without a broker the whole run happens inside this request: on a busy machine (the suite
    # runs in two processes) it can take longer than the default 30 s wait for the next page.
    page.set_default_navigation_timeout(180_000)
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_text("5,000 of 5,000")).to_be_visible(timeout=180_000)
    assert Lead.objects.filter(owner=sam).count() == 5000
    screenshot(page, "sales-desk-bulk-assigned")
