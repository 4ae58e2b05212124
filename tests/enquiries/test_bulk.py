"""Bulk work on the lead list at any size: "Select all N" posts the list's filter back, never one
field per lead; the job finds the same leads again, runs one service per lead (inline when small,
in a Celery task when large), counts what was done, left alone and refused, and shows it on a
page only its user (or a superuser) can see. Run twice, a job does nothing the second time."""

import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from enquiries import bulk, services
from enquiries.models import BulkJob, Lead, LeadActivity, LeadStatus, LeadType
from tests.enquiries.test_admin import callback, enquiry, local_input, messages_of, run_action

pytestmark = pytest.mark.django_db

User = get_user_model()
LEADS = reverse("admin:enquiries_lead_changelist")
ALL_LEADS = f"{LEADS}?owner=all&state=all"
SALES_PERMISSIONS = ["view_lead", "change_lead", "export_lead", "view_bulkjob"]


def sales_user(username):
    """A Sales user; the group is made again if a transactional test flushed the migration's."""
    group, created = Group.objects.get_or_create(name=services.SALES_GROUP)
    if created:
        group.permissions.add(*Permission.objects.filter(codename__in=SALES_PERMISSIONS))
    user = User.objects.create_user(username, email=f"{username}@example.com", first_name=username.title(), is_staff=True)  # fmt: skip
    user.groups.add(group)
    return user


def many_leads(count, **fields):
    """`count` new enquiries, made fast (no services: the bulk run is what is under test)."""
    now = timezone.now()
    Lead.objects.bulk_create(
        [
            Lead(lead_type=LeadType.ENQUIRY, name=f"Lead {n}", organisation=f"Trust {n}", created_at=now, **fields)
            for n in range(count)
        ],
        batch_size=500,
    )
    return Lead.objects.order_by("pk")


class FormFields(HTMLParser):
    """The action and fields of the confirmation page's form, as a browser would post them."""

    def __init__(self):
        super().__init__()
        self.action, self.fields, self.in_form = None, [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post" and attrs.get("id") != "logout-form":
            self.action, self.fields, self.in_form = attrs.get("action"), [], True
        elif tag == "input" and self.in_form and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False


def confirmation_form(page):
    parser = FormFields()
    parser.feed(page.content.decode())
    return parser.action, parser.fields


def post_confirmation(client, page, **typed):
    """Submit the confirmation page as shown, with what the user typed."""
    action, fields = confirmation_form(page)
    data = {}
    for name, value in [*fields, *typed.items()]:
        data.setdefault(name, []).append(value)
    return client.post(action, data), sum(len(values) for values in data.values())


def select_all(client, action, url=ALL_LEADS):
    """What the changelist posts after "Select all N": the page's ticked rows and select_across."""
    page_ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True)[:100])
    return client.post(url, {"action": action, "select_across": "1", "index": "0", "_selected_action": page_ids})


def job_page(job):
    return reverse("admin:enquiries_bulkjob_change", args=[job.pk])


@pytest.fixture(autouse=True)
def no_round_robin(settings):
    settings.LEADS_ROUND_ROBIN = False


def in_a_week():
    return timezone.localtime(timezone.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)


# Select all, at any size ------------------------------------------------------------------------------


def test_select_all_assigns_1500_leads_through_the_task(
    amy_client, amy, ben, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.LEAD_BULK_INLINE_LIMIT = 100
    leads = many_leads(1500)
    ids = list(leads.values_list("pk", flat=True))
    # The old way, one field per lead, is more than Django accepts.
    assert (
        amy_client.post(ALL_LEADS, {"action": "assign_to", "post": "yes", "_selected_action": ids}).status_code == 400
    )

    page = select_all(amy_client, "assign_to")
    assert page.status_code == 200
    html = page.content.decode()
    assert "1,500 leads</strong>: the whole list" in html
    assert html.count(": Trust ") == 20 and "and 1,480 more" in html  # a summary, not 1,500 rows
    action, fields = confirmation_form(page)
    assert action == ALL_LEADS
    assert sorted(name for name, _ in fields) == ["_selected_action", "action", "csrfmiddlewaretoken", "post", "select_across"]  # fmt: skip

    # Over the inline limit: the task is queued once the job is committed (run here, eagerly).
    with django_capture_on_commit_callbacks(execute=True):
        response, posted = post_confirmation(amy_client, page, owner=str(ben.pk))
    assert posted <= 6
    job = BulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_page(job)
    assert (job.action, job.total, job.done, job.state) == ("assign", 1500, 1500, BulkJob.State.DONE)
    assert job.query == "owner=all&state=all" and job.requested_by == amy

    shown = amy_client.get(job_page(job)).content.decode()
    assert "1,500 of 1,500 leads handled: 1,500 changed." in shown
    assert 'http-equiv="refresh"' not in shown  # finished: no more reloading
    assert f'href="{ALL_LEADS.replace("&", "&amp;")}"' in shown
    assert Lead.objects.filter(owner=ben).count() == 1500
    changes = LeadActivity.objects.filter(kind=LeadActivity.Kind.OWNER, author=amy, text="Owner changed from nobody to ben.")  # fmt: skip
    assert changes.count() == 1500 and changes.values("lead").distinct().count() == 1500


def test_select_all_follows_the_filter_and_search(amy_client, amy, ben):
    mine = [services.lead_assign(lead=enquiry(n), owner=amy) for n in (1, 2)]
    services.lead_assign(lead=enquiry(3), owner=ben)
    closed = services.lead_assign(lead=enquiry(4), owner=amy)
    services.lead_change_status(lead=closed, status=LeadStatus.LOST, lost_reason="No budget")
    page = select_all(amy_client, "assign_to", url=f"{LEADS}?owner=me&state=open")
    assert "2 leads</strong>: owner: Me, open or closed: Open" in page.content.decode()
    response, _ = post_confirmation(amy_client, page, owner=str(ben.pk))
    assert response.status_code == 302
    assert set(Lead.objects.filter(owner=ben).values_list("pk", flat=True)) == {mine[0].pk, mine[1].pk} | {
        Lead.objects.get(organisation="Orwell Valley Trust 3").pk
    }
    closed.refresh_from_db()
    assert closed.owner == amy
    assert "2 lead(s) assigned to Ben." in messages_of(amy_client.get(response["Location"]))

    searched = select_all(amy_client, "assign_to_me", url=f'{ALL_LEADS}&q="Orwell Valley Trust 3"')
    assert searched.status_code == 302
    assert Lead.objects.get(organisation="Orwell Valley Trust 3").owner == amy


def test_ticked_rows_post_their_ids_and_a_job_of_them(amy_client, amy, ben):
    leads = [enquiry(1), enquiry(2), enquiry(3)]
    page = run_action(amy_client, "assign_to", leads[:2])
    _, fields = confirmation_form(page)
    assert sorted(value for name, value in fields if name == "_selected_action") == sorted(str(lead.pk) for lead in leads[:2])  # fmt: skip
    assert "select_across" not in dict(fields)
    post_confirmation(amy_client, page, owner=str(ben.pk))
    job = BulkJob.objects.get()
    assert f"id__in={leads[0].pk}%2C{leads[1].pk}" in job.query
    assert list(Lead.objects.filter(owner=ben).order_by("pk")) == leads[:2]


def test_more_ticked_rows_than_can_be_posted_back_are_refused_with_advice(amy_client):
    leads = many_leads(501)
    page = run_action(amy_client, "assign_to", list(leads))
    html = page.content.decode()
    assert "Too many rows are ticked to send back at once." in html
    assert confirmation_form(page) == (None, [])


def test_export_of_all_goes_to_the_export_of_the_list(amy_client):
    many_leads(3)
    response = select_all(amy_client, "export_csv", url=f"{ALL_LEADS}&q=Trust&p=2")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:enquiries_lead_export')}?owner=all&state=all&q=Trust"


# Each action ------------------------------------------------------------------------------------------


def test_mark_lost_without_a_reason_is_refused_beside_the_field(amy_client):
    leads = [enquiry(1), callback(2)]
    page = run_action(amy_client, "mark_lost", leads, post="yes", reason=" ")
    assert page.status_code == 200
    assert page.context["form"].errors == {"reason": ["This field is required."]}

    page = run_action(amy_client, "change_status", leads, post="yes", status="lost", lost_reason="")
    assert page.status_code == 200
    assert page.context["form"].errors == {"lost_reason": ["Give a reason when marking leads lost."]}
    page = run_action(amy_client, "change_status", leads, post="yes", status="no_answer")
    assert page.context["form"].errors == {"retry_at": ["Choose when to try again."]}
    assert not Lead.objects.filter(status__in=[LeadStatus.LOST, LeadStatus.NO_ANSWER]).exists()
    assert not BulkJob.objects.exists()


def test_mark_lost_leaves_closed_leads_and_reports_counts(amy_client, amy):
    open_lead, won = enquiry(1), enquiry(2)
    services.lead_change_status(lead=won, status=LeadStatus.WON)
    response = run_action(amy_client, "mark_lost", [open_lead, won], post="yes", reason="Chose an in-house trainer")
    assert response.status_code == 302
    open_lead.refresh_from_db()
    won.refresh_from_db()
    assert (open_lead.status, open_lead.lost_reason, won.status) == (LeadStatus.LOST, "Chose an in-house trainer", LeadStatus.WON)  # fmt: skip
    messages = messages_of(amy_client.get(response["Location"]))
    assert "1 lead(s) marked lost." in messages
    assert "1 lead(s) left as they were: they were already closed (won or lost)." in messages


@pytest.mark.parametrize("status", [LeadStatus.QUALIFIED, LeadStatus.PROPOSAL_SENT, LeadStatus.WON])
def test_change_status_to_any_status(amy_client, amy, status):
    leads = [enquiry(1), callback(2)]
    page = run_action(amy_client, "change_status", leads)
    assert f'<option value="{status.value}">{status.label}</option>' in page.content.decode()
    response = run_action(amy_client, "change_status", leads, post="yes", status=status.value)
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
        assert lead.status == status
        entry = lead.activities.get(kind=LeadActivity.Kind.STATUS)
        assert (entry.author, entry.text) == (amy, f"Status changed from New to {status.label}.")
    assert f"2 lead(s) moved to {status.label}." in messages_of(amy_client.get(response["Location"]))


def test_change_status_to_no_answer_sets_the_retry_time(amy_client):
    leads = [callback(1), enquiry(2)]
    when = in_a_week()
    run_action(amy_client, "change_status", leads, post="yes", status="no_answer", retry_at=local_input(when))
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.status, lead.retry_at, lead.due_at) == (LeadStatus.NO_ANSWER, when, when)


def test_mark_contacted_asks_for_the_next_step_and_sets_it_on_every_lead(amy_client, amy):
    new, qualified, lost = enquiry(1), callback(2), enquiry(3)
    services.lead_change_status(lead=qualified, status=LeadStatus.QUALIFIED)
    services.lead_change_status(lead=lost, status=LeadStatus.LOST, lost_reason="No budget")
    leads = [new, qualified, lost]

    page = run_action(amy_client, "mark_contacted", leads)
    html = page.content.decode()
    assert 'name="next_action"' in html and 'name="due_at"' in html and 'type="datetime-local"' in html
    page = run_action(amy_client, "mark_contacted", leads, post="yes", next_action="", due_at="")
    assert set(page.context["form"].errors) == {"next_action", "due_at"}
    past = local_input(timezone.now() - timedelta(hours=1))
    page = run_action(amy_client, "mark_contacted", leads, post="yes", next_action="Send the proposal", due_at=past)
    assert page.context["form"].errors == {"due_at": ["Choose a time in the future."]}
    assert not LeadActivity.objects.filter(kind=LeadActivity.Kind.CALL).exists()

    due = in_a_week()
    response = run_action(
        amy_client, "mark_contacted", leads, post="yes", next_action="Send the proposal", due_at=local_input(due)
    )
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
    assert (new.status, qualified.status, lost.status) == (LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST)  # fmt: skip
    for lead in (new, qualified):
        assert (lead.next_action, lead.due_at) == ("Send the proposal", due)
        call = lead.activities.get(kind=LeadActivity.Kind.CALL)
        assert (call.author, call.outcome, call.text) == (amy, LeadActivity.Outcome.SPOKE, "Marked contacted in bulk.")
    assert not lost.activities.filter(kind=LeadActivity.Kind.CALL).exists()
    messages = messages_of(amy_client.get(response["Location"]))
    assert "2 lead(s) marked contacted, with their next step." in messages
    assert "1 lead(s) left as they were: they were closed (won or lost)." in messages


def test_what_a_service_refuses_is_listed_with_the_reference(amy_client, amy, ben):
    kept, erased = enquiry(1), enquiry(2)
    Lead.objects.filter(pk=erased.pk).update(anonymised_at=timezone.now())
    run_action(amy_client, "assign_to", [kept, erased], post="yes", owner=ben.pk)
    job = BulkJob.objects.get()
    assert (job.done, job.skipped, bulk.refused_count(job)) == (1, 0, 1)
    [line] = job.refused
    assert line["reference"] == erased.reference and "can no longer be worked" in line["message"]
    page = amy_client.get(job_page(job)).content.decode()
    assert f"<li>{erased.reference}: " in page and "2 of 2 leads handled: 1 changed, 1 refused." in page
    assert "Stopped because" not in page


def test_a_failed_job_says_why_on_its_page(amy_client, amy):
    many_leads(2)
    job = bulk.bulk_start(action="assign", params={"owner": 999}, queryset_query="owner=all", request_user=amy)
    assert job.state == BulkJob.State.FAILED
    page = amy_client.get(job_page(job)).content.decode()
    assert "Stopped because" in page and "The person to assign to no longer exists." in page


# The job: idempotent, resumable, private ------------------------------------------------------------


def test_a_second_run_of_the_same_job_does_nothing(amy, ben):
    many_leads(5)
    job = bulk.bulk_start(action="assign", params={"owner": ben.pk}, queryset_query="owner=all&state=all", request_user=amy)  # fmt: skip
    assert (job.state, job.done) == (BulkJob.State.DONE, 5)
    activities = LeadActivity.objects.count()
    again = bulk.run_bulk_job.apply(args=[job.pk]).get()
    assert again == {"state": "done", "done": 5, "skipped": 0, "refused": 0}
    assert LeadActivity.objects.count() == activities


def test_a_form_sent_twice_runs_once(amy_client, amy):
    leads = [enquiry(1), enquiry(2)]
    due = local_input(in_a_week())
    for _ in range(2):  # a double click
        response = run_action(amy_client, "mark_contacted", leads, post="yes", next_action="Call back", due_at=due)
        assert response.status_code == 302
    assert BulkJob.objects.count() == 1
    assert LeadActivity.objects.filter(kind=LeadActivity.Kind.CALL).count() == 2


def test_a_retried_task_resumes_after_the_last_lead_handled(amy):
    leads = list(many_leads(6))
    job = BulkJob.objects.create(
        action="contacted",
        params={"next_action": "Call back", "due_at": in_a_week().isoformat(), bulk.AFTER: leads[3].pk},
        query="owner=all&state=all",
        total=6,
        done=4,
        state=BulkJob.State.RUNNING,  # a worker was lost after the fourth lead
        requested_by=amy,
    )
    bulk.run_bulk_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert (job.state, job.done) == (BulkJob.State.DONE, 6)
    called = set(LeadActivity.objects.filter(kind=LeadActivity.Kind.CALL).values_list("lead", flat=True))
    assert called == {leads[4].pk, leads[5].pk}


def test_a_job_that_cannot_be_queued_says_so(amy, ben, settings, monkeypatch, django_capture_on_commit_callbacks):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    settings.LEAD_BULK_INLINE_LIMIT = 1
    many_leads(3)
    monkeypatch.setattr(bulk.run_bulk_job, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk.bulk_start(action="assign", params={"owner": ben.pk}, queryset_query="owner=all", request_user=amy)
    job.refresh_from_db()
    assert job.state == BulkJob.State.FAILED
    assert bulk.job_error(job) == "The background queue could not be reached; nothing was changed."
    assert not Lead.objects.filter(owner=ben).exists()


def test_a_job_stops_when_its_user_may_no_longer_change_leads(amy, ben):
    many_leads(2)
    amy.groups.clear()
    job = bulk.bulk_start(action="assign", params={"owner": ben.pk}, queryset_query="owner=all", request_user=amy)
    assert job.state == BulkJob.State.FAILED
    assert bulk.job_error(job) == "The person who started this may no longer change leads."
    assert not Lead.objects.filter(owner=ben).exists()


def test_only_its_user_or_a_superuser_sees_a_job(client, amy, ben):
    many_leads(2)
    job = bulk.bulk_start(action="assign", params={"owner": ben.pk}, queryset_query="owner=all", request_user=amy)
    client.force_login(ben)
    assert client.get(job_page(job)).status_code == 302  # "doesn't exist", back to the admin's home
    listed = client.get(reverse("admin:enquiries_bulkjob_changelist"))
    assert listed.status_code == 200 and list(listed.context["cl"].result_list) == []

    client.force_login(amy)
    page = client.get(job_page(job))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # read only
    assert client.post(job_page(job), {"state": "queued"}).status_code == 403

    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "x"))
    assert client.get(job_page(job)).status_code == 200


def test_a_running_job_page_refreshes_itself(amy_client, amy):
    job = BulkJob.objects.create(action="assign", query="owner=all", total=10, state=BulkJob.State.RUNNING, requested_by=amy)  # fmt: skip
    html = amy_client.get(job_page(job)).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "0 of 10 leads handled" in html


# A real worker ---------------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_queued_job(require_postgres, start_worker, client, settings):
    settings.LEAD_BULK_INLINE_LIMIT = 50
    amy, ben = sales_user("amy"), sales_user("ben")
    start_worker()
    many_leads(300)
    client.force_login(amy)
    page = select_all(client, "assign_to")
    response, _ = post_confirmation(client, page, owner=str(ben.pk))
    job = BulkJob.objects.get()
    assert response["Location"] == job_page(job)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.state in (BulkJob.State.DONE, BulkJob.State.FAILED):
            break
        time.sleep(0.2)
    assert (job.state, job.done, job.total) == (BulkJob.State.DONE, 300, 300), bulk.job_error(job)
    assert Lead.objects.filter(owner=ben).count() == 300
    assert "300 of 300 leads handled" in client.get(job_page(job)).content.decode()


# In a real browser, keyboard only ------------------------------------------------------------------


def tab_to(page, locator, presses=300):
    """Press Tab until `locator` has the focus: it is reachable from the keyboard."""
    target = locator.element_handle()
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", target):
            return
    pytest.fail(f"never reached {locator} with Tab")


def choose_with_arrows(page, select, value, presses=30):
    """Move a focused <select> to `value` with the arrow keys."""
    for _ in range(presses):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    pytest.fail(f"{value} is not among the choices")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "viewport, count",
    # Thousands (UK grouping on every count) on the desktop; on the phone, just past the page of
    # 100 and the in-request limit, which is what the layout needs.
    [({"width": 1280, "height": 900}, 1100), ({"width": 390, "height": 844}, 130)],
    ids=["1280", "390"],
)
def test_a_sales_user_assigns_every_lead_of_a_filtered_list_with_the_keyboard(
    page, live_server, settings, eager_celery, viewport, count
):
    from playwright.sync_api import expect

    from tests.e2e.conftest import axe_violations, screenshot

    settings.LEADS_ROUND_ROBIN = False
    settings.LEAD_BULK_INLINE_LIMIT = 100  # the background path (run eagerly here)
    sam, ben = sales_user("sam"), sales_user("ben")
    sam.set_password("correct-horse-battery-staple")
    sam.save()
    many_leads(count)
    page.set_viewport_size(viewport)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("correct-horse-battery-staple")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server.url}{LEADS}?owner=none&state=open")

    tab_to(page, page.locator("#action-toggle"))
    page.keyboard.press("Space")
    select_all_link = page.locator(".actions .question a")
    expect(select_all_link).to_have_text(f"Select all {count} leads")
    tab_to(page, select_all_link)
    page.keyboard.press("Enter")
    expect(page.locator(".actions .all")).to_be_visible()
    action = page.locator(".actions select[name=action]")
    tab_to(page, action)
    choose_with_arrows(page, action, "assign_to")
    tab_to(page, page.get_by_role("button", name="Go"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Assign leads")).to_be_visible()
    expect(page.locator(".action-selection")).to_have_text(f"{count:,} leads: owner: Unassigned, open or closed: Open")
    expect(page.get_by_text(f"and {count - 20:,} more")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, f"bulk-assign-confirm-{viewport['width']}")
    owner = page.get_by_label("Assign to")
    tab_to(page, owner)
    choose_with_arrows(page, owner, str(ben.pk))
    tab_to(page, page.get_by_role("button", name="Assign"))
    page.keyboard.press("Enter")

    # Eager here, so the whole run happens before the job's page answers.
    expect(page.locator(".bulk-progress")).to_contain_text(
        f"{count:,} of {count:,} leads handled: {count:,} changed.", timeout=120_000
    )
    # Django's own breadcrumbs underline links only on hover; everything else must pass.
    assert [v for v in axe_violations(page) if not v.startswith("link-in-text-block:")] == []
    screenshot(page, f"bulk-assign-job-{viewport['width']}")
    back = page.get_by_role("link", name="Back to the leads")
    tab_to(page, back)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}{LEADS}?owner=none&state=open")
    expect(page.locator("#result_list tbody tr")).to_have_count(0)
    assert Lead.objects.filter(owner=ben).count() == count
