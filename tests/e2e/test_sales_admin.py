"""A sales user works a new lead in the admin in a real browser: lands on their leads after
signing in, finds it, assigns it to themselves, logs a call with its next step and moves it to
qualified."""

import importlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from playwright.sync_api import expect

from enquiries import services
from enquiries.models import LeadActivity, LeadStatus

from .conftest import DESKTOP, axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def sales_user(transactional_db):
    # An earlier browser test's flush removes what migrations made, so the group is made again
    # from the migration's own list of permissions.
    migration = importlib.import_module("enquiries.migrations.0002_sales_group")
    group, _ = Group.objects.get_or_create(name="Sales")
    for app_label, codenames in migration.SALES_PERMISSIONS.items():
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
    user = get_user_model().objects.create_user(
        "sam", email="sam@example.com", password=PASSWORD, first_name="Sam", last_name="Patel", is_staff=True
    )
    user.groups.add(group)
    return user


@pytest.fixture
def lead(settings, sales_user):
    settings.LEADS_ROUND_ROBIN = False  # it arrives unassigned
    return services.enquiry_submit(
        data={
            "name": "Priya Shah",
            "job_title": "Housing manager",
            "organisation": "Stourside Housing Association",
            "email": "priya.shah@example.org",
            "phone": "01473 555012",
            "staff_count": 12,
            "message": "Training for our housing officers before the new year.",
        },
        tracking={"utm_source": "newsletter"},
    )


def test_sales_user_assigns_logs_a_call_and_qualifies_a_lead(page, live_server, sales_user, lead):
    page.set_viewport_size(DESKTOP)
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # Sales staff land on their open leads.
    expect(page).to_have_url(f"{live_server.url}/admin/enquiries/lead/?owner=me&state=open")
    expect(page.get_by_text("0 leads")).to_be_visible()
    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="Unassigned").click()
    row = page.locator("#result_list tbody tr", has_text=lead.reference)
    expect(row).to_contain_text("Stourside Housing Association")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("assign_to_me")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 lead(s) assigned to you.")).to_be_visible()

    filters.get_by_role("link", name="Me", exact=True).click()
    row = page.locator("#result_list tbody tr", has_text=lead.reference)
    expect(row).to_contain_text("Sam Patel")
    screenshot(page, "sales-admin-my-open-leads")

    row.get_by_role("link", name=lead.reference).click()
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    page.get_by_label("Spoke to them").check()
    page.get_by_label("What was said").fill("Twelve officers, wants dates in January.")
    call = page.locator("form", has=page.get_by_role("heading", name="Log a call"))
    call.get_by_label("Next action").fill("Send January dates")
    due = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=0)
    call.get_by_label("Due").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Log call").click()
    expect(page.get_by_text("Call logged. The lead is contacted; next: Send January dates, due")).to_be_visible()

    page.locator("#id_status-status").select_option("qualified")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_text("Status is now qualified.")).to_be_visible()
    timeline = page.get_by_role("table", name="Timeline")
    expect(timeline).to_contain_text("Status changed from Contacted to Qualified.")
    expect(timeline).to_contain_text("Twelve officers, wants dates in January.")
    screenshot(page, "sales-admin-lead-page")
    # Django's own breadcrumbs underline links only on hover; everything else must pass.
    assert [v for v in axe_violations(page) if not v.startswith("link-in-text-block:")] == []
    page.get_by_role("link", name="Leads", exact=True).first.click()
    page.get_by_role("link", name="Sales dashboard").click()
    expect(page.get_by_role("table", name="Leads by status")).to_contain_text("Qualified")
    screenshot(page, "sales-admin-dashboard")
    assert axe_violations(page) == []

    lead.refresh_from_db()
    assert (lead.status, lead.owner) == (LeadStatus.QUALIFIED, sales_user)
    worked = lead.activities.filter(author=sales_user).order_by("created_at", "pk")
    assert [(entry.kind, entry.outcome) for entry in worked] == [
        (LeadActivity.Kind.OWNER, ""),
        (LeadActivity.Kind.CALL, "spoke"),
        (LeadActivity.Kind.STATUS, ""),
        (LeadActivity.Kind.NOTE, ""),  # the next action set with the call
        (LeadActivity.Kind.STATUS, ""),
    ]
    assert [entry.text for entry in worked if entry.kind == LeadActivity.Kind.STATUS] == [
        "Status changed from New to Contacted.",
        "Status changed from Contacted to Qualified.",
    ]
