"""The sales admin: the lead list opens on "my open leads", filters, search and bulk actions go
through the services, the lead's page works the lead (calls, status, owner, notes, duplicates), the
dashboard counts with aggregates, and the exports hold what they should. Leads are made by the
real services, as the website makes them."""

import csv
import io
import json
from datetime import datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enquiries import services
from enquiries.models import Lead, LeadActivity, LeadStatus, NewsletterSubscriber, SubscriberStatus
from tests.booking.test_admin import form_data
from tests.factories import SectorFactory, make_booking, make_session

pytestmark = pytest.mark.django_db

User = get_user_model()

LEADS = reverse("admin:enquiries_lead_changelist")
DASHBOARD = reverse("admin:enquiries_lead_dashboard")
EXPORT = reverse("admin:enquiries_lead_export")
SUBSCRIBERS = reverse("admin:enquiries_newslettersubscriber_changelist")
SALES_PEOPLE = reverse("admin:enquiries_salesperson_changelist")


# Helpers --------------------------------------------------------------------------------------------


def enquiry(n=0, *, now=None, tracking=None, **overrides):
    data = {
        "name": f"Jordan Ellis {n}",
        "job_title": "Practice educator",
        "organisation": f"Orwell Valley Trust {n}",
        "email": f"enquirer{n}@example.org",
        "phone": f"01473 555 {100 + n:03d}",
        "staff_count": 20,
        "message": "Our ward staff need refresher training.",
        **overrides,
    }
    return services.enquiry_submit(data=data, tracking=tracking, now=now)


def callback(n=0, *, now=None, tracking=None, **overrides):
    data = {"name": f"Alex Reid {n}", "phone": f"07911 123 {100 + n:03d}", "topic": "De-escalation", **overrides}
    return services.callback_submit(data=data, tracking=tracking, now=now)


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def lead_url(lead):
    return reverse("admin:enquiries_lead_change", args=[lead.pk])


def work(client, lead, task, **fields):
    url = reverse("admin:enquiries_lead_work", args=[lead.pk, task])
    return client.post(url, {f"{task}-{name}": value for name, value in fields.items()})


def details_form(client, lead):
    """What the browser submits from the lead's details form (not the small forms above it)."""
    data = form_data(client, lead_url(lead))
    if not data.get("courses"):
        data.pop("courses", None)  # no box ticked sends nothing
    return {name: value for name, value in data.items() if name.partition("-")[0] not in WORK_PREFIXES}


WORK_PREFIXES = {"call", "status", "assign", "next", "note", "duplicate"}


def local_input(when):
    """A time as the browser's datetime-local field sends it."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def run_action(client, action, leads, url=None, **extra):
    url = url or f"{LEADS}?owner=all&state=all"
    return client.post(url, {"action": action, "_selected_action": [lead.pk for lead in leads], **extra})


def listed(response):
    return list(response.context["cl"].result_list)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def csv_rows(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture(autouse=True)
def no_round_robin(settings):
    settings.LEADS_ROUND_ROBIN = False


def owned_by(user, lead):
    return services.lead_assign(lead=lead, owner=user)


# The list -------------------------------------------------------------------------------------------


def test_the_list_opens_on_my_open_leads(amy_client, amy, ben):
    mine = owned_by(amy, enquiry(1))
    my_callback = owned_by(amy, callback(2))
    owned_by(ben, enquiry(3))
    enquiry(4)  # unassigned
    lost = owned_by(amy, enquiry(5))
    services.lead_change_status(lead=lost, status=LeadStatus.LOST, lost_reason="No budget")

    response = amy_client.get(LEADS)
    assert response.status_code == 302
    assert response["Location"] == f"{LEADS}?owner=me&state=open"
    response = amy_client.get(response["Location"])
    assert sorted(listed(response), key=lambda lead: lead.pk) == [mine, my_callback]
    html = response.content.decode()
    assert "Sales dashboard" in html and "Export this list (CSV)" in html


def test_choosing_all_is_kept_and_shows_everything(amy_client, amy, ben):
    leads = [owned_by(amy, enquiry(1)), owned_by(ben, enquiry(2)), enquiry(3)]
    services.lead_change_status(lead=leads[1], status=LeadStatus.WON)
    response = amy_client.get(LEADS, {"owner": "all", "state": "all"})
    assert response.status_code == 200
    assert {lead.pk for lead in listed(response)} == {lead.pk for lead in leads}
    # Other parameters alone (a search) do not fall back to "my open leads" either.
    assert listed(amy_client.get(LEADS, {"q": '"Orwell Valley Trust 2"'})) == [leads[1]]


def test_the_list_shows_overdue_in_words_near_times_and_age(amy_client, amy):
    late = owned_by(amy, callback(1, now=days_ago(10)))
    on_time = owned_by(amy, enquiry(2, now=days_ago(3) - timedelta(hours=1)))
    later = timezone.localtime(timezone.now() + timedelta(days=30)).replace(hour=14, minute=30, second=0, microsecond=0)
    services.lead_set_next_action(lead=on_time, next_action="Send the proposal", due_at=later)
    late.refresh_from_db()
    assert late.is_overdue

    response = amy_client.get(LEADS, {"owner": "me", "state": "open"})
    html = response.content.decode()
    overdue_days = (timezone.now() - late.due_at).days
    assert f'<strong class="lead-overdue">Overdue {overdue_days} d</strong>' in html
    assert html.count("lead-overdue") == 1
    assert (
        f">{later:%a} {later.day} {later:%b}{'' if later.year == timezone.localdate().year else f' {later.year}'}</time>"
        in html
    )
    assert f'title="{later:%a} {later.day} {later:%B %Y}, 14:30"' in html  # the exact time on hover
    assert "Send the proposal" in html
    assert "3\xa0days" in html
    assert '<td class="field-lead_type">Callback</td>' in html
    # Soonest due first; nothing due sorts last.
    assert listed(response) == [late, on_time]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status__exact": "contacted"}, ["contacted"]),
        ({"lead_type__exact": "callback"}, ["callback", "overdue"]),
        ({"owner": "none"}, ["unassigned", "duplicate"]),
        ({"owner": "ben"}, ["ben"]),
        ({"overdue": "yes"}, ["overdue", "today"]),  # due at midnight this morning
        ({"due": "today"}, ["today"]),
        ({"source": "newsletter"}, ["newsletter"]),
        ({"source": "google"}, ["google"]),
        (
            {"source": "direct"},
            ["contacted", "callback", "overdue", "today", "unassigned", "ben", "sector", "closed", "duplicate"],
        ),
        ({"duplicate_review__exact": "1"}, ["duplicate"]),
        ({"sector": "sector"}, ["sector"]),
        ({"state": "closed"}, ["closed"]),
    ],
)
def test_filters(amy_client, amy, ben, query, expected):
    sector = SectorFactory(name="Housing")
    # Midnight: overdue from the first instant of the day (00:01 was not, in a run just after midnight).
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    far = timezone.now() + timedelta(days=30)
    leads = {
        "contacted": enquiry(1),
        "callback": callback(2),
        "overdue": callback(3, now=days_ago(10)),
        "today": enquiry(4),
        "newsletter": enquiry(5, tracking={"utm_source": "newsletter", "referrer": "https://www.google.com/"}),
        "google": enquiry(6, tracking={"referrer": "https://www.google.com/search?q=training"}),
        "unassigned": enquiry(7),
        "ben": enquiry(8),
        "sector": enquiry(9, sector=sector),
        "closed": enquiry(10),
        "duplicate": enquiry(11, organisation="Orwell Valley Trust 1", email="other@example.org"),
    }
    for name, lead in leads.items():
        if name not in ("unassigned", "ben", "duplicate"):
            owned_by(amy, lead)
        if name not in ("overdue", "today"):
            services.lead_set_next_action(lead=lead, next_action="Call", due_at=far)
    owned_by(ben, leads["ben"])
    services.lead_change_status(lead=leads["contacted"], status=LeadStatus.CONTACTED)
    services.lead_set_next_action(lead=leads["today"], next_action="Call", due_at=today)
    services.lead_change_status(lead=leads["closed"], status=LeadStatus.LOST, lost_reason="Went elsewhere")
    if query.get("owner") == "ben":
        query = {"owner": str(ben.pk)}
    if query.get("sector"):
        query = {"sector__id__exact": str(sector.pk)}

    response = amy_client.get(LEADS, {"owner": "all", "state": "all", **query})
    assert response.status_code == 200
    assert {lead.pk for lead in listed(response)} == {leads[name].pk for name in expected}


def test_filter_choices_name_each_sales_person_and_source(amy_client, amy, ben):
    enquiry(1, tracking={"utm_source": "linkedin"})
    enquiry(2, tracking={"referrer": "https://www.bing.com/search"})
    response = amy_client.get(LEADS, {"owner": "all", "state": "all"})
    filters = {spec.title: [choice["display"] for choice in spec.choices(response.context["cl"])] for spec in response.context["cl"].filter_specs}  # fmt: skip
    assert filters["owner"] == ["All", "Me", "Unassigned", "Amy", "Ben"]
    assert filters["open or closed"] == ["All", "Open", "Closed (won or lost)"]
    assert filters["source"] == ["All", "bing", "linkedin"]


@pytest.mark.parametrize(
    "term", ["Priya Shah", "priya.shah@EXAMPLE.org", "01473 555 999", "+441473555999", "Stourside", "reference"]
)
def test_search(amy_client, term):
    found = enquiry(
        1, name="Priya Shah", email="priya.shah@example.org", phone="01473 555999", organisation="Stourside Housing"
    )
    enquiry(2)
    if term == "reference":
        term = found.reference
    response = amy_client.get(LEADS, {"q": term})
    assert listed(response) == [found]


def test_the_list_does_not_query_per_row(amy_client, amy):
    owned_by(amy, enquiry(1))
    url = f"{LEADS}?owner=all&state=all"
    amy_client.get(url)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert amy_client.get(url).status_code == 200
        return len(captured)

    few = queries()
    for n in range(2, 7):
        owned_by(amy, enquiry(n, sector=SectorFactory(), tracking={"utm_source": f"source{n}"}))
    assert queries() == few


# Bulk actions ---------------------------------------------------------------------------------------


def test_assign_to_me(amy_client, amy):
    leads = [enquiry(1), callback(2)]
    response = run_action(amy_client, "assign_to_me", leads)
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == amy
        entry = lead.activities.get(kind=LeadActivity.Kind.OWNER)
        assert (entry.author, entry.text) == (amy, "Owner changed from nobody to amy.")
    assert "2 lead(s) assigned to you." in messages_of(amy_client.get(f"{LEADS}?owner=me"))


def test_assign_to_asks_who_then_assigns(amy_client, amy, ben):
    leads = [owned_by(amy, enquiry(1)), enquiry(2)]
    page = run_action(amy_client, "assign_to", leads)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Assign leads" in html
    assert f'<option value="{ben.pk}">Ben</option>' in html
    assert Lead.objects.filter(owner=ben).count() == 0

    response = run_action(amy_client, "assign_to", leads, post="yes", owner=ben.pk)
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
        assert lead.owner == ben
        assert lead.activities.filter(kind=LeadActivity.Kind.OWNER, author=amy, text__endswith="to ben.").exists()


def test_assign_to_offers_only_sales_staff(amy_client):
    outsider = User.objects.create_user("finance", is_staff=True)
    lead = enquiry(1)
    page = run_action(amy_client, "assign_to", [lead], post="yes", owner=outsider.pk)
    assert page.status_code == 200
    assert "Select a valid choice" in page.content.decode()
    lead.refresh_from_db()
    assert lead.owner is None


def test_mark_contacted_moves_only_leads_not_yet_reached(amy_client, amy):
    # It logs a call on each lead and asks for the next step (more in test_bulk.py).
    new, qualified = enquiry(1), enquiry(2)
    services.lead_change_status(lead=qualified, status=LeadStatus.QUALIFIED)
    due = local_input(timezone.now() + timedelta(days=2))
    run_action(amy_client, "mark_contacted", [new, qualified], post="yes", next_action="Send the proposal", due_at=due)
    new.refresh_from_db()
    qualified.refresh_from_db()
    assert (new.status, qualified.status) == (LeadStatus.CONTACTED, LeadStatus.QUALIFIED)
    entry = new.activities.get(kind=LeadActivity.Kind.STATUS)
    assert (entry.author, entry.text) == (amy, "Status changed from New to Contacted.")
    assert "2 lead(s) marked contacted, with their next step." in messages_of(amy_client.get(f"{LEADS}?owner=all"))


def test_mark_lost_requires_a_reason(amy_client, amy):
    leads = [enquiry(1), callback(2)]
    page = run_action(amy_client, "mark_lost", leads)
    assert page.status_code == 200
    assert 'name="reason"' in page.content.decode()

    page = run_action(amy_client, "mark_lost", leads, post="yes", reason="  ")
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert not Lead.objects.filter(status=LeadStatus.LOST).exists()

    response = run_action(amy_client, "mark_lost", leads, post="yes", reason="Chose an in-house trainer")
    assert response.status_code == 302
    for lead in leads:
        lead.refresh_from_db()
        assert (lead.status, lead.lost_reason) == (LeadStatus.LOST, "Chose an in-house trainer")
        assert lead.closed_at is not None
        entry = lead.activities.get(kind=LeadActivity.Kind.STATUS)
        assert entry.author == amy
        assert entry.text.endswith("to Lost: Chose an in-house trainer.")


def test_export_csv_of_selected_leads(amy_client, amy):
    lead = owned_by(amy, enquiry(1, name="=HYPERLINK(1)", tracking={"utm_source": "newsletter"}))
    enquiry(2)
    response = run_action(amy_client, "export_csv", [lead])
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    header, row = csv_rows(response)
    assert header[:9] == [
        "Reference",
        "Type",
        "Status",
        "Lost reason",
        "Owner",
        "Next action",
        "Due",
        "Overdue",
        "Name",
    ]
    record = dict(zip(header, row, strict=True))
    assert record["Reference"] == lead.reference
    assert record["Owner"] == "Amy"
    assert record["Name"] == "'=HYPERLINK(1)"
    assert record["Phone"] == "01473 555101"
    assert record["Source"] == "newsletter"
    assert record["Status"] == "New"


def test_export_of_the_list_follows_its_filters_and_search(amy_client, amy, ben):
    mine = [owned_by(amy, enquiry(1)), owned_by(amy, callback(2))]
    owned_by(ben, enquiry(3))
    enquiry(4)
    services.lead_change_status(lead=owned_by(amy, enquiry(5)), status=LeadStatus.WON)

    page = amy_client.get(LEADS, {"owner": "me", "state": "open"})
    assert f'href="{EXPORT}?owner=me&amp;state=open"' in page.content.decode()
    rows = csv_rows(amy_client.get(EXPORT, {"owner": "me", "state": "open"}))
    assert sorted(row[0] for row in rows[1:]) == sorted(lead.reference for lead in mine)

    rows = csv_rows(amy_client.get(EXPORT, {"owner": "all", "state": "all", "q": '"Orwell Valley Trust 3"'}))
    assert [row[8] for row in rows[1:]] == ["Jordan Ellis 3"]
    assert len(csv_rows(amy_client.get(EXPORT, {"owner": "all", "state": "all"}))) == 6


# The lead's page ------------------------------------------------------------------------------------


def test_lead_page_shows_forms_and_timeline_newest_first_above_the_details(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    services.lead_add_note(lead=lead, text="Asked for a quote for 20 staff.", actor=amy)
    response = amy_client.get(lead_url(lead))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in ["Log a call", "Change status", "Assign", "Next action and due time", "Add a note"]:
        assert f">{heading}</h2>" in html
    # Status, owner and due time change only through those forms.
    assert 'name="status"' not in html and 'name="owner"' not in html and 'name="due_at"' not in html
    assert 'name="email"' in html and 'name="phone"' in html
    timeline = html[html.index("<caption>Timeline</caption>") :]
    assert timeline.index("Asked for a quote for 20 staff.") < timeline.index("Owner changed from nobody to amy.")
    assert timeline.index("Owner changed") < timeline.index("Enquiry received from the website.")
    # The work forms, then the timeline, then the record's details.
    assert html.index(">Log a call</h2>") < html.index("<caption>Timeline</caption>") < html.index('name="email"')
    assert "Amy</td>" in timeline and "System</td>" in timeline  # who


def test_log_a_call_spoke_moves_a_new_lead_to_contacted_with_its_next_step(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    due = timezone.localtime(timezone.now() + timedelta(days=1)).replace(hour=10, minute=30, second=0, microsecond=0)
    response = work(
        amy_client,
        lead,
        "call",
        outcome="spoke",
        text="Wants dates in March.",
        next_action="Send dates for March",
        due_at=local_input(due),
    )
    assert response.status_code == 302
    assert response["Location"] == lead_url(lead)
    lead.refresh_from_db()
    assert (lead.status, lead.next_action, lead.due_at) == (LeadStatus.CONTACTED, "Send dates for March", due)
    call = lead.activities.get(kind=LeadActivity.Kind.CALL)
    assert (call.outcome, call.text, call.author) == ("spoke", "Wants dates in March.", amy)
    assert lead.activities.filter(kind=LeadActivity.Kind.STATUS, author=amy).exists()
    assert "Call logged. The lead is contacted; next: Send dates for March, due Tomorrow 10:30." in messages_of(
        amy_client.get(lead_url(lead))
    )


def test_the_page_forms_keep_the_list_filters(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    preserved = "_changelist_filters=owner%3Dme%26state%3Dopen"
    html = amy_client.get(f"{lead_url(lead)}?{preserved}").content.decode()
    work_url = reverse("admin:enquiries_lead_work", args=[lead.pk, "note"])
    assert f'action="{work_url}?{preserved}"' in html
    response = amy_client.post(f"{work_url}?{preserved}", {"note-text": "Called reception."})
    assert response["Location"] == f"{lead_url(lead)}?{preserved}"


def test_log_a_call_no_answer_with_a_retry_time(amy_client, amy):
    lead = owned_by(amy, callback(1))
    retry = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = work(amy_client, lead, "call", outcome="no_answer", text="", retry_at=local_input(retry))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.retry_at, lead.due_at) == (LeadStatus.NO_ANSWER, retry, retry)
    assert lead.next_action == "Try calling again"
    assert lead.activities.get(kind=LeadActivity.Kind.CALL).outcome == "no_answer"


def test_a_retry_time_in_the_past_is_refused_and_the_page_shows_why(amy_client, amy):
    lead = owned_by(amy, callback(1))
    response = work(amy_client, lead, "call", outcome="no_answer", text="Rang twice", retry_at=local_input(days_ago(1)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose when to try again, in the future." in html
    assert "Rang twice" in html  # what was typed is kept
    assert f'action="{lead_url(lead)}"' in html  # the details form still posts to the lead's page
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not lead.activities.filter(kind=LeadActivity.Kind.CALL).exists()  # all or nothing


def test_add_a_note(amy_client, amy):
    lead = enquiry(1)
    assert work(amy_client, lead, "note", text="  Budget signed off in April.  ").status_code == 302
    note = lead.activities.get(kind=LeadActivity.Kind.NOTE)
    assert (note.text, note.author) == ("Budget signed off in April.", amy)
    response = work(amy_client, lead, "note", text="")
    assert response.status_code == 200
    assert "Write the note first." in response.content.decode()


def test_change_status_to_qualified(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    assert work(amy_client, lead, "status", status="qualified").status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED
    entry = lead.activities.get(kind=LeadActivity.Kind.STATUS)
    assert (entry.text, entry.author) == ("Status changed from New to Qualified.", amy)


def test_marking_a_lead_lost_on_its_page_needs_a_reason(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    response = work(amy_client, lead, "status", status="lost", lost_reason="")
    assert response.status_code == 200
    assert "Give a reason when marking a lead lost." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW

    work(amy_client, lead, "status", status="lost", lost_reason="No budget this year")
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadStatus.LOST, "No budget this year")


def test_no_answer_keeps_the_retry_time_for_an_enquiry_too(amy_client):
    lead = enquiry(1)
    retry = (timezone.now() + timedelta(days=1)).replace(second=0, microsecond=0)
    response = work(amy_client, lead, "status", status="no_answer", retry_at=local_input(retry))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.retry_at, lead.due_at) == (LeadStatus.NO_ANSWER, retry, retry)


def test_assign_and_set_the_next_action_on_the_page(amy_client, amy, ben):
    lead = owned_by(amy, enquiry(1))
    work(amy_client, lead, "assign", owner=ben.pk)
    lead.refresh_from_db()
    assert lead.owner == ben
    due = timezone.localtime(timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    work(amy_client, lead, "next", next_action="Send the proposal", due_at=local_input(due))
    lead.refresh_from_db()
    assert (lead.next_action, lead.due_at) == ("Send the proposal", due)
    assert lead.activities.filter(
        kind=LeadActivity.Kind.NOTE, author=amy, text__startswith="Next action: Send"
    ).exists()
    work(amy_client, lead, "assign", owner="")
    lead.refresh_from_db()
    assert lead.owner is None


def test_correcting_contact_details_keeps_the_pipeline_and_notes_it(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    data = details_form(amy_client, lead)
    # Meanwhile, someone else qualifies the lead: saving the details must not undo that.
    services.lead_change_status(lead=lead, status=LeadStatus.QUALIFIED)
    data.update({"email": "jordan.ellis@orwell.example.org", "phone": "01473 555 777", "status": "won"})
    response = amy_client.post(lead_url(lead), data)
    assert response.status_code == 302, response.context["errors"]
    lead.refresh_from_db()
    assert (lead.email, lead.phone.as_e164) == ("jordan.ellis@orwell.example.org", "+441473555777")
    assert (lead.status, lead.owner) == (LeadStatus.QUALIFIED, amy)
    note = lead.activities.filter(kind=LeadActivity.Kind.NOTE).get()
    assert (note.text, note.author) == ("Details corrected: email, phone.", amy)


def test_the_page_links_bookings_that_came_from_the_lead(amy_client):
    lead = enquiry(1)
    booking = make_booking(make_session(capacity=10), count=2)
    lead.bookings.add(booking)
    html = amy_client.get(lead_url(lead)).content.decode()
    assert f'<a href="{reverse("admin:booking_booking_change", args=[booking.pk])}">{booking.reference}</a>' in html


# Duplicates -----------------------------------------------------------------------------------------


@pytest.fixture
def duplicate_pair(amy):
    original = owned_by(amy, enquiry(1))
    duplicate = callback(2, email="enquirer1@example.org")
    assert (duplicate.duplicate_of, duplicate.duplicate_review) == (original, True)
    return original, duplicate


def test_a_possible_duplicate_is_flagged_in_the_list_and_on_its_page(amy_client, duplicate_pair):
    original, duplicate = duplicate_pair
    response = amy_client.get(LEADS, {"owner": "all", "state": "all"})
    assert f"Check: may be {original.reference}" in response.content.decode()
    html = amy_client.get(lead_url(duplicate)).content.decode()
    assert "This lead may be the same as" in html
    assert f'<a href="{lead_url(original)}">{original}</a>' in html
    assert f"Merge into {original.reference}" in html and "Keep apart" in html


def test_merge_closes_the_duplicate_into_the_original(amy_client, amy, duplicate_pair):
    original, duplicate = duplicate_pair
    response = work(amy_client, duplicate, "duplicate", decision="merge")
    assert response.status_code == 302
    assert response["Location"] == lead_url(original)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.lost_reason) == (LeadStatus.LOST, f"Merged into {original.reference}")
    assert not duplicate.duplicate_review
    assert original.activities.filter(kind=LeadActivity.Kind.NOTE, author=amy, text__startswith=f"Merged in {duplicate.reference}").exists()  # fmt: skip


def test_keep_apart_clears_the_flag(amy_client, amy, duplicate_pair):
    original, duplicate = duplicate_pair
    response = work(amy_client, duplicate, "duplicate", decision="keep_apart")
    assert response["Location"] == lead_url(duplicate)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_review) == (LeadStatus.NEW, False)
    entry = duplicate.activities.filter(kind=LeadActivity.Kind.DUPLICATE, author=amy).get()
    assert entry.text == f"Kept apart from {original.reference}."
    assert "This lead may be the same as" not in amy_client.get(lead_url(duplicate)).content.decode()


# Dashboard ------------------------------------------------------------------------------------------


def test_dashboard_counts(amy_client, amy):
    old_callback = owned_by(amy, callback(1, now=days_ago(10), tracking={"utm_source": "newsletter"}))
    won = enquiry(2, now=days_ago(10), tracking={"utm_source": "newsletter"})
    services.lead_change_status(lead=won, status=LeadStatus.WON)
    contacted = enquiry(3, tracking={"referrer": "https://www.google.com/search?q=conflict+training"})
    services.lead_change_status(lead=contacted, status=LeadStatus.CONTACTED)
    enquiry(4)
    lost = enquiry(5)
    services.lead_change_status(lead=lost, status=LeadStatus.LOST, lost_reason="No budget")

    response = amy_client.get(DASHBOARD)
    assert response.status_code == 200
    context = response.context
    assert dict(context["by_status"]) == {
        LeadStatus.NEW: 2,
        LeadStatus.CONTACTED: 1,
        LeadStatus.NO_ANSWER: 0,
        LeadStatus.QUALIFIED: 0,
        LeadStatus.PROPOSAL_SENT: 0,
        LeadStatus.WON: 1,
        LeadStatus.LOST: 1,
    }
    assert context["headline"]["new_this_week"] == 3
    assert context["headline"]["open"] == 3
    assert context["headline"]["unassigned"] == 2
    assert context["overdue_callbacks"] == [old_callback]
    assert context["sources"] == [
        {"source": "direct", "total": 2, "won": 0, "rate": 0},
        {"source": "newsletter", "total": 2, "won": 1, "rate": 50},
        {"source": "google", "total": 1, "won": 0, "rate": 0},
    ]
    html = response.content.decode()
    assert "Overdue callbacks" in html and old_callback.reference in html
    assert reverse("admin:enquiries_lead_dashboard") in amy_client.get(f"{LEADS}?owner=me").content.decode()


def test_dashboard_queries_do_not_grow_with_leads(amy_client, amy):
    owned_by(amy, callback(1, now=days_ago(10)))
    amy_client.get(DASHBOARD)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert amy_client.get(DASHBOARD).status_code == 200
        return len(captured)

    few = queries()
    for n in range(2, 8):
        owned_by(amy, callback(n, now=days_ago(10), tracking={"utm_source": f"source{n}"}))
    assert queries() == few


# Personal data export -------------------------------------------------------------------------------


def test_personal_data_export_of_one_email(amy_client):
    first = enquiry(1, email="Priya.Shah@example.org")
    second = callback(2, email="priya.shah@example.org")
    response = run_action(amy_client, "export_personal_data", [first, second])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="personal-data-priya.shah@example.org.json"'
    data = json.loads(response.content)
    assert data["email"] == "priya.shah@example.org"
    assert sorted(lead["reference"] for lead in data["leads"]) == sorted([first.reference, second.reference])
    assert any(entry["kind"] == "created" for entry in data["leads"][0]["timeline"])


def test_personal_data_export_refuses_several_addresses(amy_client):
    leads = [enquiry(1), enquiry(2)]
    response = run_action(amy_client, "export_personal_data", leads)
    assert response.status_code == 302
    [message] = messages_of(amy_client.get(f"{LEADS}?owner=all"))
    assert message.startswith("Select records for one email address at a time (the selection has 2:")


def test_personal_data_export_from_the_subscriber_list(amy_client):
    subscriber = services.newsletter_subscribe(email="sam@example.org", name="Sam").subscriber
    response = amy_client.post(SUBSCRIBERS, {"action": "export_personal_data", "_selected_action": [subscriber.pk]})
    data = json.loads(response.content)
    assert data["email"] == "sam@example.org"
    assert data["newsletter"][0]["status"] == SubscriberStatus.PENDING


# Subscribers and the round robin -------------------------------------------------------------------


def test_subscriber_list_filters_search_and_unsubscribe(amy_client):
    sector = SectorFactory(name="Housing")
    pending = services.newsletter_subscribe(email="pending@example.org", sector=sector).subscriber
    confirmed = services.newsletter_confirm(
        subscriber=services.newsletter_subscribe(email="kept@example.org").subscriber
    )
    assert listed(amy_client.get(SUBSCRIBERS, {"status__exact": "confirmed"})) == [confirmed]
    assert listed(amy_client.get(SUBSCRIBERS, {"sector__id__exact": sector.pk})) == [pending]
    assert listed(amy_client.get(SUBSCRIBERS, {"q": "kept@"})) == [confirmed]
    amy_client.post(SUBSCRIBERS, {"action": "unsubscribe", "_selected_action": [confirmed.pk]})
    confirmed.refresh_from_db()
    assert confirmed.status == SubscriberStatus.UNSUBSCRIBED
    assert amy_client.get(reverse("admin:enquiries_newslettersubscriber_add")).status_code == 403
    html = amy_client.get(reverse("admin:enquiries_newslettersubscriber_change", args=[pending.pk])).content.decode()
    assert 'name="email"' not in html and 'name="status"' not in html and 'name="name"' in html
    assert NewsletterSubscriber.objects.count() == 2


def test_the_round_robin_list_and_toggle(admin_client, settings, amy, ben):
    settings.LEADS_ROUND_ROBIN = True
    enquiry(1)  # gives both a row
    response = admin_client.get(SALES_PEOPLE)
    rows = {person.user.username: person for person in listed(response)}
    assert set(rows) == {"amy", "ben"}
    assert "takes_new_leads" in response.content.decode()
    ben_row = rows["ben"]
    change = reverse("admin:enquiries_salesperson_change", args=[ben_row.pk])
    response = admin_client.post(change, {"takes_new_leads": ""})
    assert response.status_code == 302
    ben_row.refresh_from_db()
    assert not ben_row.takes_new_leads
    assert {enquiry(n).owner for n in range(2, 5)} == {amy}


def test_lead_activity_has_no_admin_of_its_own(admin_client):
    from django.contrib import admin

    assert not admin.site.is_registered(LeadActivity)
    assert admin_client.get(LEADS + "?owner=all").status_code == 200


def test_link_a_booking_by_reference(amy_client, amy):
    from tests.factories import make_booking, make_session

    lead = enquiry(1)
    booking = make_booking(make_session(), count=1, contact_email="someone.else@example.org")
    assert work(amy_client, lead, "booking", reference=booking.reference.lower()).status_code == 302
    assert list(lead.bookings.all()) == [booking]
    note = lead.activities.get(text__startswith=f"Booking {booking.reference} linked")
    assert note.author == amy
    page = amy_client.get(lead_url(lead)).content.decode()
    assert booking.reference in page
    response = work(amy_client, lead, "booking", reference="NOSUCHREF")
    assert response.status_code == 200
    assert "No booking has that reference." in response.content.decode()
