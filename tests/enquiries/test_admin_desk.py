"""The sales desk as a sales person uses it every day: the list built for the day's work (phone,
next action, the due time on one line), a search from "my open leads" that finds anyone's lead,
landing on the list after signing in, logging a call with its next step, adding a lead taken by
phone, correcting a callback's slot, pausing the round robin for a holiday, and the outbox's
resend kept for office staff. Leads are made by the real services, as the website makes them."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from core import business_hours
from core.templatetags.uk import uk_overdue, uk_when
from enquiries import services
from enquiries.models import Lead, LeadActivity, LeadOrigin, LeadStatus, SalesPerson
from outbox.models import EmailStatus, OutboundEmail
from tests.booking.test_admin import form_data
from tests.factories import CourseFactory

from .conftest import make_sales_user
from .test_admin import (
    LEADS,
    WORK_PREFIXES,
    callback,
    enquiry,
    lead_url,
    listed,
    local_input,
    messages_of,
    owned_by,
    work,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
LONDON = ZoneInfo("Europe/London")
ADD = reverse("admin:enquiries_lead_add")
TAKING = reverse("admin:enquiries_lead_taking_leads")
LOGIN = reverse("admin:login")
PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def no_round_robin(settings):
    settings.LEADS_ROUND_ROBIN = False


def details_form(client, lead):
    """What the browser submits from the lead's details form (not the small forms above it)."""
    data = form_data(client, lead_url(lead))
    data.pop("courses", None)  # no box ticked sends nothing
    return {name: value for name, value in data.items() if name.partition("-")[0] not in WORK_PREFIXES}


def london(*args):
    return datetime(*args, tzinfo=LONDON)


# The due time on one line -----------------------------------------------------------------------

MONDAY_11 = london(2026, 11, 30, 11, 0)


@pytest.mark.parametrize(
    "due, shown",
    [
        (london(2026, 11, 30, 14, 0), "Today 14:00"),
        (london(2026, 12, 1, 9, 0), "Tomorrow 09:00"),
        (london(2026, 12, 3, 10, 30), "Thu 10:30"),
        (london(2026, 12, 6, 16, 0), "Sun 16:00"),  # six days on: still a weekday name
        (london(2026, 12, 7, 10, 0), "Mon 7 Dec"),
        (london(2027, 1, 12, 10, 0), "Tue 12 Jan 2027"),
        (london(2026, 11, 27, 10, 0), "Fri 27 Nov"),  # passed, on a closed lead
    ],
)
def test_near_times_as_people_say_them(due, shown):
    assert uk_when(due, now=MONDAY_11) == shown


def test_near_times_are_london_wall_clock_in_summer_too():
    now = london(2026, 6, 1, 23, 30)  # BST: 22:30 UTC
    assert uk_when(datetime(2026, 6, 1, 23, 45, tzinfo=ZoneInfo("UTC")), now=now) == "Tomorrow 00:45"


@pytest.mark.parametrize(
    "ago, shown",
    [
        (timedelta(seconds=20), "Overdue 1 min"),
        (timedelta(minutes=40), "Overdue 40 min"),
        (timedelta(hours=2, minutes=50), "Overdue 2 h"),
        (timedelta(hours=23, minutes=59), "Overdue 23 h"),
        (timedelta(days=3, hours=5), "Overdue 3 d"),
    ],
)
def test_overdue_in_words(ago, shown):
    assert uk_overdue(MONDAY_11 - ago, now=MONDAY_11) == shown


def test_the_list_shows_phone_next_action_and_due_on_one_line(amy_client, amy, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MONDAY_11)
    dues = {
        "Ring back about dates": MONDAY_11 - timedelta(hours=2, minutes=10),
        "Send the proposal": london(2026, 11, 30, 14, 0),
        "Chase the purchase order": london(2026, 12, 1, 9, 0),
        "Confirm numbers": london(2026, 12, 3, 10, 30),
        "Book the trainer": london(2026, 12, 15, 10, 0),
    }
    for n, (action, due) in enumerate(dues.items()):
        lead = owned_by(amy, enquiry(n, now=MONDAY_11 - timedelta(days=1)))
        services.lead_set_next_action(lead=lead, next_action=action, due_at=due)

    html = amy_client.get(LEADS, {"owner": "me", "state": "open"}).content.decode()
    assert '<strong class="lead-overdue">Overdue 2 h</strong>' in html
    for shown in ["Today 14:00", "Tomorrow 09:00", "Thu 10:30", "Tue 15 Dec"]:
        assert f">{shown}</time>" in html
    assert 'title="Mon 30 November 2026, 14:00"' in html  # the exact time on hover
    for action in dues:
        assert f'<td class="field-next_action_shown">{action}</td>' in html
    # A link that dials, named by the number as people read it.
    assert '<a class="nowrap" href="tel:+441473555100">01473 555100</a>' in html


# Search ------------------------------------------------------------------------------------------


def search_fields(html):
    """The hidden fields the list's search form sends with the term."""
    form = html[html.index('id="changelist-search"') : html.index("</form>", html.index('id="changelist-search"'))]
    return {
        part.split('name="')[1].split('"')[0]: part.split('value="')[1].split('"')[0]
        for part in form.split("<input")[1:]
        if 'type="hidden"' in part
    }


def test_a_search_from_my_open_leads_searches_every_lead(amy_client, amy, ben):
    theirs = owned_by(ben, enquiry(1, name="Priya Shah", organisation="Stourside Housing"))
    closed = owned_by(amy, enquiry(2, name="Priya Shah", organisation="Stourside Housing"))
    services.lead_change_status(lead=closed, status=LeadStatus.LOST, lost_reason="No budget")
    owned_by(amy, enquiry(3))

    page = amy_client.get(LEADS, {"owner": "me", "state": "open"}).content.decode()
    assert "Searches all leads, not only your open ones" in page
    hidden = search_fields(page)
    assert hidden == {"owner": "all", "state": "all"}

    response = amy_client.get(LEADS, {**hidden, "q": "Stourside"})
    assert {lead.pk for lead in listed(response)} == {theirs.pk, closed.pk}
    # The phone number as staff type it, too.
    assert listed(amy_client.get(LEADS, {**hidden, "q": "01473 555 101"})) == [theirs]


def test_a_search_in_a_narrower_view_says_how_many_match_elsewhere(amy_client, amy, ben):
    mine = owned_by(amy, enquiry(1, organisation="Stourside Housing"))
    owned_by(ben, enquiry(2, organisation="Stourside Housing"))
    owned_by(ben, enquiry(3, organisation="Stourside Housing Trust"))
    owned_by(ben, enquiry(4))

    # The list's URL with "my open leads" and a search (a bookmark, or the filters chosen again).
    response = amy_client.get(LEADS, {"owner": "me", "state": "open", "q": "Stourside"})
    assert listed(response) == [mine]
    html = response.content.decode()
    assert "2 more leads match “Stourside” outside this view" in html
    assert '<a href="?q=Stourside&amp;owner=all&amp;state=all">show all leads matching “Stourside”</a>' in html
    assert len(listed(amy_client.get(LEADS, {"q": "Stourside", "owner": "all", "state": "all"}))) == 3
    # In a view that searches everything, or with nothing more to find, it says nothing.
    assert "outside this view" not in amy_client.get(LEADS, {"owner": "all", "state": "all", "q": "Stourside"}).content.decode()  # fmt: skip
    assert "outside this view" not in amy_client.get(LEADS, {"owner": "me", "q": mine.reference}).content.decode()


# Signing in --------------------------------------------------------------------------------------


def sign_in(client, username, **extra):
    return client.post(LOGIN, {"username": username, "password": PASSWORD, "otp_token": "", **extra})


@pytest.fixture
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_sales_staff_land_on_their_lead_list_after_signing_in(client, amy, fast_hashing):
    amy.set_password(PASSWORD)
    amy.save()
    page = client.get(LOGIN)
    assert page.status_code == 200
    response = sign_in(client, "amy", next=reverse("admin:index"))  # what the form posts by default
    assert response.status_code == 302
    assert response["Location"] == LEADS
    assert client.get(LEADS)["Location"] == f"{LEADS}?owner=me&state=open"  # "my open leads"


def test_a_page_asked_for_wins_and_others_land_on_the_index(client, amy, fast_hashing):
    amy.set_password(PASSWORD)
    amy.save()
    bookings = reverse("admin:booking_booking_changelist")
    assert sign_in(client, "amy", next=bookings)["Location"] == bookings
    client.logout()
    User.objects.create_superuser("boss", email="boss@example.com", password=PASSWORD).groups.add(
        Group.objects.get(name="Sales")
    )
    assert sign_in(client, "boss", next=reverse("admin:index"))["Location"] == reverse("admin:index")
    client.logout()
    User.objects.create_user("olly", password=PASSWORD, is_staff=True)
    assert sign_in(client, "olly", next=reverse("admin:index"))["Location"] == reverse("admin:index")


# Logging a call ----------------------------------------------------------------------------------


def test_the_call_form_asks_what_next(amy_client, amy):
    lead = owned_by(amy, callback(1))
    html = amy_client.get(lead_url(lead)).content.decode()
    call_form = html[html.index('id="work-call-heading"') : html.index("</form>", html.index('id="work-call-heading"'))]
    assert "<legend>What next</legend>" in call_form
    for name in ["call-retry_at", "call-next_action", "call-due_at", "call-status", "call-lost_reason"]:
        assert f'name="{name}"' in call_form
    assert '<option value="" selected>Contacted (No answer if not reached)</option>' in call_form
    assert '<option value="won">Won</option>' in call_form


def test_a_call_without_a_next_step_is_refused_beside_the_fields(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    response = work(amy_client, lead, "call", outcome="spoke", text="Interested.")
    assert response.status_code == 200
    form = response.context["work_forms"]["call"]
    assert set(form.errors) == {"next_action", "due_at"}
    assert "Interested." in response.content.decode()  # what was typed is kept
    assert not lead.activities.filter(kind=LeadActivity.Kind.CALL).exists()


def test_no_answer_on_an_enquiry_keeps_the_retry_time(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    retry = (timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    response = work(amy_client, lead, "call", outcome="voicemail", text="", retry_at=local_input(retry))
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.due_at, lead.next_action) == (LeadStatus.NO_ANSWER, retry, "Try calling again")


def test_a_call_can_close_the_lead(amy_client, amy):
    lead = owned_by(amy, enquiry(1))
    response = work(amy_client, lead, "call", outcome="spoke", status="lost", lost_reason="")
    assert set(response.context["work_forms"]["call"].errors) == {"lost_reason"}
    work(amy_client, lead, "call", outcome="spoke", status="won", text="Signed the order.")
    lead.refresh_from_db()
    assert (lead.status, lead.due_at, lead.is_overdue) == (LeadStatus.WON, None, False)
    assert "Call logged. The lead is won." in messages_of(amy_client.get(lead_url(lead)))


# Adding a lead by hand ---------------------------------------------------------------------------


def add_data(**overrides):
    return {
        "lead_type": "enquiry",
        "origin": "phone",
        "name": "Priya Shah",
        "job_title": "Housing manager",
        "organisation": "Stourside Housing Association",
        "organisation_type": "",
        "sector": "",
        "email": "",
        "phone": "01473 555012",
        "staff_count": "12",
        "preferred_town": "Ipswich",
        "preferred_dates": "January",
        "message": "Rang after the conference.",
        "callback_date": "",
        "callback_period": "",
        "topic": "",
        **overrides,
    }


def test_the_add_page_is_a_form_with_ticks_and_choices(amy_client):
    CourseFactory(title="De-escalation Skills", is_published=True)
    response = amy_client.get(ADD)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'type="radio" name="lead_type" value="callback"' in html
    assert 'type="radio" name="origin" value="event"' in html
    assert 'value="website"' not in html  # only the ways a lead comes in by hand
    assert 'type="checkbox" name="courses"' in html
    assert "Hold down" not in html
    assert 'name="_continue"' not in html
    assert "Add lead" in amy_client.get(LEADS, {"owner": "me", "state": "open"}).content.decode()


def test_a_lead_added_by_hand_gets_an_owner_a_due_time_and_a_timeline(amy_client, amy, ben, settings):
    settings.LEADS_ROUND_ROBIN = True
    course = CourseFactory(title="De-escalation Skills", is_published=True)
    response = amy_client.post(ADD, add_data(courses=[course.pk], callback_date="2030-01-01", topic="ignored"))
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == lead_url(lead)
    assert (lead.origin, lead.lead_type, lead.status) == (LeadOrigin.PHONE, "enquiry", LeadStatus.NEW)
    assert lead.owner in (amy, ben)
    assert lead.due_at is not None and lead.next_action == "Reply to the enquiry"
    assert (lead.phone.as_e164, lead.staff_count, lead.topic, lead.callback_date) == ("+441473555012", 12, "", None)
    assert list(lead.courses.all()) == [course]
    created = lead.activities.get(kind=LeadActivity.Kind.CREATED)
    assert (created.text, created.author) == ("Enquiry added by amy (phone call).", amy)
    assert lead.activities.filter(kind=LeadActivity.Kind.OWNER, text__endswith="(round robin).").exists()
    owner = lead.owner.get_full_name()
    [message] = messages_of(amy_client.get(lead_url(lead)))
    assert message == f"Lead {lead.reference} added. Owner: {owner}; due {uk_when(lead.due_at)} (Reply to the enquiry)."


def test_a_callback_added_by_hand_is_due_at_the_end_of_its_slot(amy_client):
    day = business_hours.next_working_day(timezone.localdate() + timedelta(days=1))
    data = add_data(lead_type="callback", origin="event", callback_date=day.isoformat(), callback_period="pm")
    assert amy_client.post(ADD, data).status_code == 302
    lead = Lead.objects.get()
    assert (lead.lead_type, lead.origin, lead.next_action) == ("callback", LeadOrigin.EVENT, "Call back")
    assert lead.due_at == business_hours.slot_bounds(day, "pm")[1]
    assert lead.staff_count is None  # the enquiry's fields are not kept for a callback


@pytest.mark.parametrize(
    "overrides, errors",
    [
        ({"phone": "", "email": ""}, {"email", "phone"}),
        ({"phone": "12345"}, {"phone"}),
        ({"phone": "+1 202 555 0100"}, {"phone"}),  # not a UK number
        ({"name": "", "email": "not-an-address"}, {"name", "email"}),
        ({"origin": "website"}, {"origin"}),
        ({"lead_type": "callback", "callback_date": "2020-01-06", "callback_period": "am"}, {"callback_date"}),
        ({"lead_type": "callback", "callback_date": "2030-01-07"}, {"callback_period"}),
    ],
)
def test_adding_a_lead_shows_errors_field_by_field(amy_client, overrides, errors):
    response = amy_client.post(ADD, add_data(**overrides))
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == errors
    assert "Please correct the error" in response.content.decode()
    assert not Lead.objects.exists()


def test_only_staff_who_may_add_leads_see_the_add_page(client):
    client.force_login(User.objects.create_user("olly", is_staff=True))
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, add_data()).status_code == 403
    assert not Lead.objects.exists()


# The details form --------------------------------------------------------------------------------


def test_courses_of_interest_are_a_list_of_ticks(amy_client):
    course = CourseFactory(title="Breakaway and Personal Safety", is_published=True)
    lead = enquiry(1)
    html = amy_client.get(lead_url(lead)).content.decode()
    assert f'<input type="checkbox" name="courses" value="{course.pk}"' in html
    assert "Hold down" not in html
    assert 'name="_addanother"' not in html  # correcting a lead is not where a new one starts
    data = details_form(amy_client, lead)
    data["courses"] = [course.pk]
    assert amy_client.post(lead_url(lead), data).status_code == 302
    assert list(lead.courses.all()) == [course]


def test_moving_a_callbacks_slot_moves_its_due_time(amy_client, amy):
    lead = owned_by(amy, callback(1))
    day = business_hours.next_working_day(timezone.localdate() + timedelta(days=2))
    data = details_form(amy_client, lead)
    data.update({"callback_date": day.isoformat(), "callback_period": "am"})
    response = amy_client.post(lead_url(lead), data)
    assert response.status_code == 302, response.context["errors"]
    lead.refresh_from_db()
    assert lead.due_at == business_hours.slot_bounds(day, "am")[1]
    notes = list(lead.activities.filter(kind=LeadActivity.Kind.NOTE, author=amy).values_list("text", flat=True))
    assert "Details corrected: callback date, callback period." in notes


def test_a_slot_that_has_passed_is_refused(amy_client, amy):
    lead = owned_by(amy, callback(1))
    due = lead.due_at
    data = details_form(amy_client, lead)
    data.update({"callback_date": date(2020, 1, 6).isoformat(), "callback_period": "am"})
    response = amy_client.post(lead_url(lead), data)
    assert response.status_code == 200
    assert "callback_date" in response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert (lead.callback_date, lead.due_at) == (None, due)


# The round robin ---------------------------------------------------------------------------------


def test_a_sales_person_pauses_new_leads_for_a_holiday_and_resumes(amy_client, amy, ben, settings):
    settings.LEADS_ROUND_ROBIN = True
    page = amy_client.get(LEADS, {"owner": "me", "state": "open"}).content.decode()
    assert "You are taking new leads." in page
    assert 'value="Pause new leads (holiday)"' in page

    back = f"{LEADS}?owner=me&state=open"
    response = amy_client.post(TAKING, {"taking": "0", "next": back})
    assert response["Location"] == back
    assert not SalesPerson.objects.get(user=amy).takes_new_leads
    page = amy_client.get(back)
    assert "You are not taking new leads" in page.content.decode()
    assert any("not taking new leads" in message for message in messages_of(page))
    assert {enquiry(n).owner for n in range(1, 4)} == {ben}

    amy_client.post(TAKING, {"taking": "1", "next": "https://elsewhere.example.com/"})
    assert SalesPerson.objects.get(user=amy).takes_new_leads
    assert amy in {enquiry(n).owner for n in range(4, 6)}


def test_only_sales_staff_have_the_switch(client, settings):
    settings.LEADS_ROUND_ROBIN = True
    office = User.objects.create_superuser("boss", email="boss@example.com")
    client.force_login(office)
    assert "taking new leads" not in client.get(LEADS, {"owner": "all", "state": "all"}).content.decode()
    assert client.post(TAKING, {"taking": "0"}).status_code == 403
    assert client.get(TAKING).status_code == 405


def test_the_owner_filter_still_lists_leavers_who_hold_open_leads(amy_client, amy, ben):
    owned_by(ben, enquiry(1))
    ben.is_active = False
    ben.save()
    carl = make_sales_user("carl")
    owned_by(carl, enquiry(2))
    carl.groups.clear()  # moved to another team
    dora = make_sales_user("dora")
    services.lead_change_status(lead=owned_by(dora, enquiry(3)), status=LeadStatus.WON)
    dora.is_active = False
    dora.save()

    response = amy_client.get(LEADS, {"owner": "all", "state": "all"})
    [owner] = [spec for spec in response.context["cl"].filter_specs if spec.title == "owner"]
    choices = [choice["display"] for choice in owner.choices(response.context["cl"])]
    assert choices == ["All", "Me", "Unassigned", "Amy", "Ben (inactive)", "Carl (inactive)"]
    assert len(listed(amy_client.get(LEADS, {"owner": str(ben.pk), "state": "open"}))) == 1


# The outbox -------------------------------------------------------------------------------------


def test_sales_staff_cannot_see_or_run_the_outbox_resend(amy_client, amy):
    email = OutboundEmail.objects.create(
        kind="booking_confirmation",
        unique_key="desk-test",
        to=["priya@example.org"],
        from_email="bookings@example.com",
        subject="Your booking",
        body_text="Hello",
        status=EmailStatus.FAILED,
    )
    assert not amy.has_perm("outbox.resend_outboundemail")
    outbox = reverse("admin:outbox_outboundemail_changelist")
    page = amy_client.get(outbox)
    assert page.status_code == 200
    actions = page.context["action_form"]
    assert actions is None or "resend" not in dict(actions.fields["action"].choices)
    assert "Resend" not in page.content.decode()
    amy_client.post(outbox, {"action": "resend", "_selected_action": [email.pk]})
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED


# Personal data ----------------------------------------------------------------------------------


def test_the_lead_page_links_to_erasure_and_the_subject_access_export(amy_client, client):
    lead = enquiry(1)
    html = amy_client.get(lead_url(lead)).content.decode()
    erase = reverse("admin:enquiries_lead_erase", args=[lead.pk])
    assert f'<a href="{erase}">Erase personal data</a>' in html
    assert f'<a href="{reverse("admin:enquiries_lead_personal_data")}">Subject access export</a>' in html
    # Above the overview, with the page's history.
    assert html.index("Erase personal data") < html.index(">History<") < html.index("Where this lead stands")

    reader = User.objects.create_user("vic", is_staff=True)
    reader.user_permissions.add(*Group.objects.get(name="Sales").permissions.exclude(codename="export_lead"))
    client.force_login(reader)
    html = client.get(lead_url(lead)).content.decode()
    assert "Erase personal data" not in html and "Subject access export" not in html
