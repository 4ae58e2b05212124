"""The sales desk's rules, through the real services: a logged call closes its action, a merge
keeps the promised time, leads added by hand, a booking wins its lead, overdue alerts (batched,
never for work already done, never lost when nobody owns the lead), escalation and the digest."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from booking.services import booking_confirm_email
from core import business_hours
from enquiries import alerts, services, tasks
from enquiries.models import Lead, LeadActivity, LeadOrigin, LeadStatus, LeadType, SalesPerson
from outbox.models import OutboundEmail
from tests.enquiries.test_services import callback_data, enquiry_data, sales_user
from tests.factories import london, make_booking, make_session

pytestmark = pytest.mark.django_db

SALES_EMAIL = "sales@calm-response.example"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SALES_EMAIL = SALES_EMAIL
    settings.SITE_URL = "https://training.example.com"
    settings.LEADS_ROUND_ROBIN = True
    settings.SALES_MANAGER_EMAIL = ""


@pytest.fixture
def team():
    return [sales_user("amy"), sales_user("ben")]


def emails(kind, to=None):
    rows = OutboundEmail.objects.filter(kind=kind).order_by("pk")
    return [row for row in rows if to is None or to in row.to]


def overdue_callback(**data):
    """A callback that came in a week ago and was never called."""
    return services.callback_submit(data=callback_data(0, **data), now=timezone.now() - timedelta(days=7))


def soon(hours=20):
    return timezone.now() + timedelta(hours=hours)


# Logging a call closes the action it was for ---------------------------------------------------


def test_a_logged_call_with_a_next_step_is_no_longer_overdue_and_never_alerted(team):
    lead = overdue_callback()
    assert Lead.objects.get(pk=lead.pk).is_overdue

    services.lead_log_call(
        lead=lead, outcome="spoke", text="Wants a quote for 20 staff.", actor=lead.owner,
        next_action="Send the quote", due_at=soon(),
    )  # fmt: skip

    lead.refresh_from_db()
    assert (lead.status, lead.next_action, lead.due_at > timezone.now()) == (
        LeadStatus.CONTACTED,
        "Send the quote",
        True,
    )
    assert not lead.is_overdue
    assert tasks.send_overdue_alerts.apply().get() == {"alerts": 0, "escalations": 0}
    assert emails("lead_overdue") == []


def test_a_call_must_say_what_comes_next_and_records_nothing_if_it_does_not(team):
    lead = overdue_callback()
    before = lead.activities.count()
    with pytest.raises(ValidationError) as error:
        services.lead_log_call(lead=lead, outcome="spoke", text="Spoke to them")
    assert set(error.value.message_dict) == {"next_action", "due_at"}
    with pytest.raises(ValidationError) as error:
        services.lead_log_call(
            lead=lead, outcome="spoke", next_action="Chase", due_at=timezone.now() - timedelta(hours=1)
        )
    assert set(error.value.message_dict) == {"due_at"}
    with pytest.raises(ValidationError) as error:
        services.lead_log_call(lead=lead, outcome="spoke", status="lost")
    assert set(error.value.message_dict) == {"lost_reason"}
    assert lead.activities.count() == before
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_a_call_can_close_the_lead_instead(team):
    lead = overdue_callback()
    services.lead_log_call(lead=lead, outcome="spoke", status="lost", lost_reason="Training done in-house")
    lead.refresh_from_db()
    assert (lead.status, lead.next_action, lead.due_at) == (LeadStatus.LOST, "", None)
    assert tasks.send_overdue_alerts.apply().get()["alerts"] == 0


@pytest.mark.parametrize("lead_type", [LeadType.ENQUIRY, LeadType.CALLBACK])
def test_no_answer_keeps_the_retry_time_for_every_lead_type(team, lead_type):
    lead = (
        services.enquiry_submit(data=enquiry_data(0))
        if lead_type == LeadType.ENQUIRY
        else services.callback_submit(data=callback_data(0))
    )
    retry_at = soon(3)
    services.lead_log_call(lead=lead, outcome="no_answer", retry_at=retry_at)
    lead.refresh_from_db()
    assert (lead.status, lead.retry_at, lead.due_at, lead.next_action) == (
        LeadStatus.NO_ANSWER, retry_at, retry_at, "Try calling again",
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.lead_log_call(lead=lead, outcome="voicemail", retry_at=timezone.now() - timedelta(minutes=1))
    assert "retry_at" in error.value.message_dict


def test_an_alert_comes_again_only_when_the_retry_time_passes(team):
    lead = overdue_callback()
    assert alerts.overdue_alerts_queue() == 1
    retry_at = soon(1)
    services.lead_log_call(lead=lead, outcome="no_answer", retry_at=retry_at)
    assert alerts.overdue_alerts_queue() == 0
    assert alerts.overdue_alerts_queue(now=retry_at + timedelta(minutes=1)) == 1
    assert alerts.overdue_alerts_queue(now=retry_at + timedelta(minutes=6)) == 0


def test_a_courtesy_call_to_a_closed_lead_is_simply_recorded(team):
    lead = services.enquiry_submit(data=enquiry_data(0))
    services.lead_change_status(lead=lead, status=LeadStatus.WON)
    call = services.lead_log_call(lead=lead, outcome="spoke", text="Thanked them.")
    assert call.kind == LeadActivity.Kind.CALL
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.WON


# Merging keeps what was promised ----------------------------------------------------------------


def test_merging_a_callback_keeps_its_promised_slot_and_every_field(team):
    now = london(2026, 3, 10, 9, 0)
    enquiry = services.enquiry_submit(data=enquiry_data(0), now=now)  # due 17:00
    callback = services.callback_submit(
        data=callback_data(1, phone="01473 555 100", callback_date=now.date(), callback_period="am",
                           job_title="Ward Manager", topic="Breakaway for night staff"),
        now=now,
    )  # fmt: skip
    assert callback.duplicate_of == enquiry
    promised = callback.due_at
    assert promised == london(2026, 3, 10, 12, 30) and promised < enquiry.due_at

    survivor = services.lead_resolve_duplicate(lead=callback, merge=True, actor=team[0])

    survivor.refresh_from_db()
    assert survivor == enquiry
    assert (survivor.due_at, survivor.next_action) == (promised, "Call back")
    note = survivor.activities.filter(kind=LeadActivity.Kind.NOTE, text__startswith="Merged in").get()
    for value in [
        "Alex Reid 1",
        "+441473555100",
        "Ward Manager",
        "Breakaway for night staff",
        "Tue 10 Mar 2026",
        "Morning",
    ]:
        assert value in note.text, value
    assert survivor.activities.filter(text__contains=f"the time promised on {callback.reference}").exists()


def test_merging_keeps_the_survivors_time_when_it_is_earlier(team):
    now = london(2026, 3, 10, 9, 0)
    callback = services.callback_submit(data=callback_data(1, phone="01473 555 100"), now=now)  # due 11:00
    enquiry = services.enquiry_submit(data=enquiry_data(0), now=now)  # same phone, due 17:00
    assert enquiry.duplicate_of == callback
    survivor = services.lead_resolve_duplicate(lead=enquiry, merge=True)
    assert Lead.objects.get(pk=survivor.pk).due_at == callback.due_at


# Leads added by hand ------------------------------------------------------------------------------


def test_a_lead_added_by_hand_gets_the_same_rules_as_the_website(team, settings):
    amy = team[0]
    now = london(2026, 3, 10, 10, 0)
    lead = services.lead_add(
        lead_type=LeadType.ENQUIRY,
        origin=LeadOrigin.PHONE,
        data={"name": "Chris Doe", "phone": "01473 555 321", "organisation": "Felixstowe Port", "staff_count": 12},
        actor=amy,
        now=now,
    )
    lead.refresh_from_db()
    assert (lead.origin, lead.channel, lead.lead_type) == ("phone", "phone", "enquiry")
    assert lead.owner in team  # round robin
    assert lead.due_at == business_hours.add_working_time(now, timedelta(hours=settings.ENQUIRY_SLA_WORKING_HOURS))
    created = lead.activities.get(kind=LeadActivity.Kind.CREATED)
    assert (created.text, created.author) == ("Enquiry added by amy (phone call).", amy)
    assert emails("lead_acknowledgement") == []  # they told us by phone
    assert len(emails("lead_alert")) == 1

    # A second one for the same organisation is flagged as a duplicate, for the same owner.
    again = services.lead_add(
        lead_type=LeadType.CALLBACK, origin=LeadOrigin.EVENT,
        data={"name": "Pat Doe", "email": "pat@example.org", "organisation": "felixstowe port"}, actor=amy,
    )  # fmt: skip
    assert (again.duplicate_of, again.owner, again.channel) == (lead, lead.owner, "event")


def test_a_lead_added_by_hand_needs_a_way_to_reach_them_and_a_real_slot(team):
    with pytest.raises(ValidationError) as error:
        services.lead_add(lead_type="enquiry", origin="phone", data={"name": "No Contact"}, actor=team[0])
    assert "email" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.lead_add(
            lead_type="enquiry", origin="website", data={"name": "X", "phone": "01473 555 321"}, actor=team[0]
        )
    assert "origin" in error.value.message_dict
    yesterday = timezone.localdate() - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.lead_add(
            lead_type="callback", origin="referral", actor=team[0],
            data={"name": "X", "phone": "01473 555 321", "callback_date": yesterday, "callback_period": "am"},
        )  # fmt: skip
    assert "callback_date" in error.value.message_dict
    assert Lead.objects.count() == 0


def test_a_duplicate_of_an_inactive_owners_lead_goes_to_the_round_robin(team):
    amy, ben = team
    first = services.enquiry_submit(data=enquiry_data(0))
    services.lead_assign(lead=first, owner=amy)
    amy.is_active = False
    amy.save()
    second = services.enquiry_submit(data=enquiry_data(1, email="enquirer0@example.org"))
    assert second.duplicate_of == first
    assert second.owner == ben


def test_editing_the_callback_slot_moves_the_due_time(team):
    lead = services.callback_submit(data=callback_data(0))
    day = timezone.localdate() + timedelta(days=7)
    while not business_hours.is_working_day(day):
        day += timedelta(days=1)
    Lead.objects.filter(pk=lead.pk).update(callback_date=day, callback_period="pm")
    services.lead_correct_details(lead=lead, changed=["callback_date", "callback_period"], actor=team[0])
    lead.refresh_from_db()
    assert timezone.localtime(lead.due_at).date() == day and timezone.localtime(lead.due_at).hour == 17
    assert lead.activities.filter(text__startswith="Details corrected: callback date, callback period").exists()


def test_a_sales_person_can_leave_the_round_robin_and_come_back(team):
    amy, ben = team
    services.salesperson_set_taking_leads(user=amy, taking=False, actor=amy)
    owners = {services.enquiry_submit(data=enquiry_data(n)).owner for n in range(3)}
    assert owners == {ben}
    services.salesperson_set_taking_leads(user=amy, taking=True, actor=amy)
    assert SalesPerson.objects.get(user=amy).takes_new_leads


# A booking wins its lead ------------------------------------------------------------------------


def test_a_booking_by_the_leads_contact_moves_it_to_won_and_tells_the_owner(team):
    lead = services.enquiry_submit(data=enquiry_data(0))
    booking = make_booking(make_session(), count=2, contact_email="Enquirer0@example.org")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON and list(lead.bookings.all()) == [booking]
    entry = lead.activities.get(kind=LeadActivity.Kind.BOOKING)
    assert entry.text.startswith(f"Booked {booking.reference}: De-escalation") or booking.reference in entry.text
    assert lead.activities.filter(kind=LeadActivity.Kind.STATUS, text__endswith="to Won.").exists()
    [told] = emails("lead_booked")
    assert told.to == [lead.owner.email]
    assert booking.reference in told.body_text and "now marked won" in told.body_text


def test_an_unconfirmed_booking_wins_the_lead_only_once_its_address_is_confirmed(team):
    lead = services.enquiry_submit(data=enquiry_data(0))
    booking = make_booking(make_session(), contact_email="enquirer0@example.org", email_confirmation=True)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW
    booking_confirm_email(booking=booking)
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.WON


def test_a_waiting_list_booking_asks_the_owner_instead(team):
    lead = services.enquiry_submit(data=enquiry_data(0))
    session = make_session(capacity=1)
    make_booking(session, count=1)
    make_booking(session, count=1, contact_email="enquirer0@example.org", join_waitlist=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW and lead.bookings.count() == 1
    [told] = emails("lead_booked")
    assert "stays open" in told.body_text


# Overdue work never falls through ---------------------------------------------------------------


def test_overdue_enquiries_and_callbacks_are_batched_per_owner_once(team, settings):
    settings.LEADS_ROUND_ROBIN = False
    amy, ben = team
    week_ago = timezone.now() - timedelta(days=7)
    leads = [services.enquiry_submit(data=enquiry_data(n), now=week_ago) for n in range(3)]
    leads.append(services.callback_submit(data=callback_data(5), now=week_ago))
    for lead in leads[:3]:
        services.lead_assign(lead=lead, owner=amy)
    services.lead_assign(lead=leads[3], owner=ben)

    assert alerts.overdue_alerts_queue() == 2
    assert alerts.overdue_alerts_queue() == 0
    [for_amy] = emails("lead_overdue", to=amy.email)
    assert for_amy.subject == "3 leads now overdue"
    for lead in leads[:3]:
        assert lead.reference in for_amy.body_text and lead.reference in for_amy.body_html
    [for_ben] = emails("lead_overdue", to=ben.email)
    assert for_ben.subject == "1 lead now overdue" and for_ben.lead == leads[3]
    assert 'href="tel:07911123105"' in for_ben.body_html


@pytest.mark.parametrize("how", ["no owner", "inactive owner", "left the Sales group"])
def test_an_overdue_lead_nobody_active_owns_alerts_the_sales_inbox(team, how, settings):
    amy = team[0]
    if how == "no owner":
        settings.LEADS_ROUND_ROBIN = False
    lead = overdue_callback()
    if how != "no owner":
        services.lead_assign(lead=lead, owner=amy)
        if how == "inactive owner":
            amy.is_active = False
            amy.save()
        else:
            amy.groups.clear()
    assert alerts.overdue_alerts_queue() == 1
    [alert] = emails("lead_overdue")
    assert alert.to == [SALES_EMAIL]
    assert "no active owner" in alert.subject and lead.reference in alert.body_text


def test_a_lead_overdue_past_the_working_hours_limit_escalates_once_to_managers(team, settings):
    settings.LEAD_ESCALATE_AFTER_WORKING_HOURS = 4
    settings.SALES_MANAGER_EMAIL = "head.of.sales@calm-response.example"
    manager = sales_user("meg")
    manager.groups.add(Group.objects.get(name=services.SALES_MANAGERS_GROUP))
    due = london(2026, 3, 13, 16, 0)  # a Friday
    lead = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 13, 8, 0))
    services.lead_set_next_action(lead=lead, next_action="Call", due_at=due)

    # Monday 10:00: 66 hours on the clock, but only two working hours overdue.
    assert alerts.escalations_queue(now=london(2026, 3, 16, 10, 0)) == 0
    assert alerts.escalations_queue(now=london(2026, 3, 16, 12, 30)) == 1
    assert alerts.escalations_queue(now=london(2026, 3, 16, 15, 0)) == 0
    [escalation] = emails("lead_escalation")
    assert sorted(escalation.to) == ["head.of.sales@calm-response.example", manager.email]
    assert lead.reference in escalation.body_text and "Owner:" in escalation.body_html

    # A new next action starts the clock again.
    services.lead_set_next_action(lead=lead, next_action="Call again", due_at=london(2026, 3, 17, 9, 0))
    assert Lead.objects.get(pk=lead.pk).escalated_at is None


def test_escalations_go_to_the_sales_inbox_when_there_are_no_managers(team, settings):
    settings.LEAD_ESCALATE_AFTER_WORKING_HOURS = 1
    overdue_callback()
    assert alerts.escalations_queue() == 1
    assert emails("lead_escalation")[0].to == [SALES_EMAIL]


# The morning digest -------------------------------------------------------------------------------

WEDNESDAY = london(2026, 3, 11, 8, 0)


def test_the_digest_counts_everything_lists_the_most_urgent_and_links_to_the_rest(team, settings):
    settings.LEADS_ROUND_ROBIN = False
    settings.LEAD_DIGEST_LIST_LIMIT = 3
    amy = team[0]
    dues = [london(2026, 3, 9, 10, n) for n in range(4)] + [london(2026, 3, 11, 15, 0), london(2026, 3, 12, 9, 0)]
    leads = []
    for n, due in enumerate(dues):
        lead = services.enquiry_submit(data=enquiry_data(n), now=london(2026, 3, 6, 9, 0))
        services.lead_assign(lead=lead, owner=amy)
        services.lead_set_next_action(lead=lead, next_action=f"Step {n}", due_at=due)
        leads.append(lead)
    unowned = services.enquiry_submit(data=enquiry_data(9), now=london(2026, 3, 6, 9, 0))
    services.lead_set_next_action(lead=unowned, next_action="Someone call", due_at=london(2026, 3, 10, 9, 0))

    assert alerts.digests_queue(now=WEDNESDAY) == 2
    assert alerts.digests_queue(now=WEDNESDAY) == 0
    [digest] = emails("lead_digest", to=amy.email)
    assert digest.subject == "Your leads today: 4 overdue, 1 due today"
    listed = [lead for lead in leads if lead.reference in digest.body_text]
    assert listed == leads[:3]  # the three most urgent
    assert "... and 2 more in the full list." in digest.body_text
    assert "owner=me&state=open" in digest.body_text
    [team_digest] = emails("lead_digest", to=SALES_EMAIL)
    assert unowned.reference in team_digest.body_text and "no active owner" in team_digest.subject
