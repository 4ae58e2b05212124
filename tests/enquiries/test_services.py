"""The lead and newsletter rules (enquiries/services.py), each set up through the real services:
the callback SLA clock, round-robin assignment, duplicate linking, status changes and the
timeline, retention, newsletter double opt-in and the personal data export."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from booking.services import DelegateData
from core import business_hours
from enquiries import services
from enquiries.models import (
    Lead,
    LeadActivity,
    LeadStatus,
    LeadType,
    NewsletterSubscriber,
    SalesPerson,
    SubscriberStatus,
)
from outbox.models import OutboundEmail
from tests.factories import CourseFactory, london, make_booking, make_session

pytestmark = pytest.mark.django_db

User = get_user_model()


# Helpers (also used by test_notifications.py) ------------------------------------------------


def sales_user(username, *, email=None, **fields):
    """A member of the "Sales" group that the migration creates."""
    user = User.objects.create_user(
        username, email=f"{username}@example.com" if email is None else email, first_name=username.title(), **fields
    )
    user.groups.add(Group.objects.get(name=services.SALES_GROUP))
    return user


def enquiry_data(n=0, **overrides):
    """The in-house enquiry form's fields; a different email, phone and organisation for each n."""
    return {
        "name": f"Jordan Ellis {n}",
        "job_title": "Practice Educator",
        "organisation": f"Ipswich Hospital {n}",
        "email": f"enquirer{n}@example.org",
        "phone": f"01473 555 {100 + n:03d}",
        "staff_count": 24,
        "preferred_town": "Ipswich",
        "message": "Our ward staff need refresher training before winter.",
        "consent": True,
        **overrides,
    }


def callback_data(n=0, **overrides):
    """The callback form's fields: no email, a UK phone number."""
    return {
        "name": f"Alex Reid {n}",
        "phone": f"07911 123 {100 + n:03d}",
        "organisation": "",
        "topic": "De-escalation Skills",
        "consent": True,
        **overrides,
    }


@pytest.fixture
def sales_team(settings):
    settings.LEADS_ROUND_ROBIN = True
    return [sales_user("amy"), sales_user("ben"), sales_user("cat")]


# The callback SLA clock ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted", "due", "promise"),
    [
        pytest.param(london(2026, 3, 10, 10, 0), london(2026, 3, 10, 12, 0), "by 12:00 today", id="weekday-morning"),
        pytest.param(london(2026, 3, 10, 20, 0), london(2026, 3, 11, 11, 0), "by 11:00 tomorrow", id="weekday-evening"),
        pytest.param(
            london(2026, 3, 13, 16, 50),
            london(2026, 3, 16, 10, 50),
            "by 10:50 on Monday 16 March",
            id="friday-afternoon",
        ),
        pytest.param(
            london(2026, 3, 14, 11, 0), london(2026, 3, 16, 11, 0), "by 11:00 on Monday 16 March", id="saturday"
        ),
        # Good Friday (3 April) and Easter Monday (6 April) are bank holidays.
        pytest.param(
            london(2026, 4, 2, 16, 30),
            london(2026, 4, 7, 10, 30),
            "by 10:30 on Tuesday 7 April",
            id="easter-bank-holidays",
        ),
        # Christmas Day is a Friday; Boxing Day falls on a Saturday, so Monday 28th is the holiday.
        pytest.param(
            london(2026, 12, 24, 16, 0),
            london(2026, 12, 29, 10, 0),
            "by 10:00 on Tuesday 29 December",
            id="christmas",
        ),
    ],
)
def test_a_callback_is_due_two_working_hours_after_the_request(submitted, due, promise):
    lead = services.callback_submit(data=callback_data(), now=submitted)
    lead.refresh_from_db()
    assert lead.lead_type == LeadType.CALLBACK
    assert lead.due_at == due
    assert lead.next_action == "Call back"
    assert business_hours.thank_you_promise(lead.due_at, submitted) == promise


@pytest.mark.parametrize(
    ("submitted", "slot", "due"),
    [
        pytest.param(
            london(2026, 3, 10, 9, 15), (date(2026, 3, 11), "pm"), london(2026, 3, 11, 17, 0), id="tomorrow-afternoon"
        ),
        pytest.param(
            london(2026, 3, 10, 9, 15), (date(2026, 3, 10), "am"), london(2026, 3, 10, 12, 30), id="this-morning"
        ),
        # Fewer than 30 minutes of the morning left: the slot is not honoured; two working hours are.
        pytest.param(
            london(2026, 3, 10, 12, 15), (date(2026, 3, 10), "am"), london(2026, 3, 10, 14, 15), id="slot-nearly-over"
        ),
        # A requested bank holiday is not a slot: two working hours from the request.
        pytest.param(
            london(2026, 4, 2, 10, 0), (date(2026, 4, 3), "am"), london(2026, 4, 2, 12, 0), id="slot-on-bank-holiday"
        ),
    ],
)
def test_a_callback_for_a_requested_slot_is_due_at_the_slot_end(submitted, slot, due):
    day, period = slot
    lead = services.callback_submit(data=callback_data(callback_date=day, callback_period=period), now=submitted)
    lead.refresh_from_db()
    assert lead.due_at == due
    assert (lead.callback_date, lead.callback_period) == slot


def test_an_enquiry_is_due_after_the_enquiry_sla_in_working_hours(settings):
    settings.ENQUIRY_SLA_WORKING_HOURS = 8
    lead = services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 13, 16, 0))
    lead.refresh_from_db()
    assert lead.lead_type == LeadType.ENQUIRY
    assert lead.due_at == london(2026, 3, 16, 16, 0)  # one hour on Friday, seven on Monday
    assert lead.next_action == "Reply to the enquiry"


def test_arrival_stores_consent_tracking_and_the_created_entry():
    now = london(2026, 3, 10, 10, 0)
    course = CourseFactory(title="De-escalation Skills")
    tracking = {"landing_page": "/courses/de-escalation/", "referrer": "https://www.google.com/", "utm_source": "x"}
    lead = services.enquiry_submit(data=enquiry_data(), courses=[course], tracking=tracking, now=now)
    lead.refresh_from_db()
    assert lead.consent_at == now and lead.created_at == now
    assert lead.privacy_notice_version
    assert (lead.landing_page, lead.referrer, lead.utm_source) == (
        "/courses/de-escalation/",
        "https://www.google.com/",
        "x",
    )
    assert list(lead.courses.all()) == [course]
    assert lead.status == LeadStatus.NEW
    assert lead.activities.filter(kind=LeadActivity.Kind.CREATED, created_at=now).count() == 1


# Round robin -----------------------------------------------------------------------------------


def _owners(leads):
    return [Lead.objects.get(pk=lead.pk).owner for lead in leads]


def test_new_leads_go_round_the_sales_team_in_turn(sales_team):
    start = london(2026, 3, 10, 9, 0)
    leads = [services.enquiry_submit(data=enquiry_data(n), now=start + timedelta(minutes=n)) for n in range(6)]
    owners = _owners(leads)
    assert set(owners[:3]) == set(sales_team)
    assert owners[3:] == owners[:3]
    for lead, owner in zip(leads, owners, strict=True):
        assert lead.activities.filter(kind=LeadActivity.Kind.OWNER, text__contains=owner.username).count() == 1


def test_round_robin_skips_people_not_taking_leads_inactive_users_and_non_sales_staff(sales_team):
    amy, ben, cat = sales_team
    SalesPerson.objects.create(user=ben, takes_new_leads=False)
    cat.is_active = False
    cat.save()
    User.objects.create_user("dan", email="dan@example.com", is_staff=True)  # staff, but not in Sales
    start = london(2026, 3, 10, 9, 0)
    leads = [services.callback_submit(data=callback_data(n), now=start + timedelta(minutes=n)) for n in range(3)]
    assert _owners(leads) == [amy, amy, amy]


def test_with_no_sales_staff_a_lead_is_unassigned(settings):
    settings.LEADS_ROUND_ROBIN = True
    User.objects.create_user("dan", email="dan@example.com", is_staff=True)
    lead = services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))
    assert Lead.objects.get(pk=lead.pk).owner is None
    assert not lead.activities.filter(kind=LeadActivity.Kind.OWNER).exists()


def test_round_robin_switched_off_leaves_leads_unassigned(sales_team, settings):
    settings.LEADS_ROUND_ROBIN = False
    lead = services.callback_submit(data=callback_data(), now=london(2026, 3, 10, 9, 0))
    assert Lead.objects.get(pk=lead.pk).owner is None


# Duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "same",
    [
        pytest.param({"email": "Enquirer0@Example.ORG"}, id="same-email-any-case"),
        pytest.param({"phone": "+44 1473 555100"}, id="same-phone-other-format"),
        pytest.param({"organisation": "IPSWICH HOSPITAL 0"}, id="same-organisation-any-case"),
    ],
)
def test_a_new_lead_matching_an_open_one_is_linked_flagged_and_given_the_same_owner(sales_team, same):
    first = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 10, 9, 0))
    second = services.enquiry_submit(data=enquiry_data(1, **same), now=london(2026, 3, 10, 9, 5))
    third = services.enquiry_submit(data=enquiry_data(2), now=london(2026, 3, 10, 9, 10))
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()

    assert second.duplicate_of == first and second.duplicate_review
    assert second.owner == first.owner  # not the next in the round robin
    assert third.duplicate_of is None and not third.duplicate_review
    assert third.owner not in (None, first.owner)  # the duplicate did not take a turn
    assert second.activities.filter(kind=LeadActivity.Kind.DUPLICATE, text__contains=first.reference).exists()
    assert first.activities.filter(kind=LeadActivity.Kind.DUPLICATE, text__contains=second.reference).exists()
    assert not first.duplicate_review


def test_a_callback_with_the_same_phone_as_an_open_enquiry_is_linked(sales_team):
    enquiry = services.enquiry_submit(data=enquiry_data(0, phone="07911 123 555"), now=london(2026, 3, 10, 9, 0))
    callback = services.callback_submit(data=callback_data(0, phone="07911123555"), now=london(2026, 3, 10, 9, 5))
    callback.refresh_from_db()
    assert callback.duplicate_of == enquiry and callback.duplicate_review


def test_blank_organisations_and_emails_do_not_match_each_other(sales_team):
    services.callback_submit(data=callback_data(0), now=london(2026, 3, 10, 9, 0))
    other = services.callback_submit(data=callback_data(1), now=london(2026, 3, 10, 9, 5))
    other.refresh_from_db()
    assert other.duplicate_of is None and not other.duplicate_review


def test_a_closed_lead_is_not_matched(sales_team):
    first = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 10, 9, 0))
    services.lead_change_status(lead=first, status=LeadStatus.LOST, lost_reason="Budget cut")
    again = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 11, 9, 0))
    again.refresh_from_db()
    assert again.duplicate_of is None and not again.duplicate_review


def test_merging_a_duplicate_closes_it_and_notes_its_details_on_the_original(sales_team):
    amy = sales_team[0]
    first = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 10, 9, 0))
    course = CourseFactory(title="Lone Worker Safety")
    data = enquiry_data(1, email="enquirer0@example.org", message="Also our community team, 12 people.")
    second = services.enquiry_submit(data=data, courses=[course], now=london(2026, 3, 10, 9, 5))

    original = services.lead_resolve_duplicate(lead=second, merge=True, actor=amy)

    assert original == first
    second.refresh_from_db()
    assert second.status == LeadStatus.LOST and second.closed_at is not None
    assert second.lost_reason == f"Merged into {first.reference}"
    assert not second.duplicate_review
    assert course in first.courses.all()
    note = first.activities.get(kind=LeadActivity.Kind.NOTE)
    assert second.reference in note.text and "Also our community team, 12 people." in note.text
    assert note.author == amy
    assert second.activities.filter(kind=LeadActivity.Kind.DUPLICATE, author=amy, text__startswith="Merged").exists()
    with pytest.raises(ValidationError):
        services.lead_resolve_duplicate(lead=second, merge=True, actor=amy)


def test_keeping_a_duplicate_apart_clears_the_flag_and_keeps_both_open(sales_team):
    ben = sales_team[1]
    first = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 10, 9, 0))
    second = services.enquiry_submit(
        data=enquiry_data(1, organisation="Ipswich Hospital 0"), now=london(2026, 3, 10, 9, 5)
    )
    kept = services.lead_resolve_duplicate(lead=second, merge=False, actor=ben)
    assert kept.pk == second.pk
    second.refresh_from_db()
    first.refresh_from_db()
    assert not second.duplicate_review and second.status == LeadStatus.NEW
    assert first.status == LeadStatus.NEW
    assert second.activities.filter(
        kind=LeadActivity.Kind.DUPLICATE, author=ben, text__startswith="Kept apart"
    ).exists()


def test_only_a_flagged_lead_can_be_resolved(sales_team):
    lead = services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))
    with pytest.raises(ValidationError):
        services.lead_resolve_duplicate(lead=lead, merge=False)


# Status changes and the timeline -------------------------------------------------------------


@pytest.fixture
def callback(sales_team):
    return services.callback_submit(data=callback_data(), now=london(2026, 3, 10, 9, 0))


@pytest.fixture
def enquiry(sales_team):
    return services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))


def _latest(lead, kind):
    return lead.activities.filter(kind=kind).order_by("-created_at", "-pk").first()


def test_every_status_change_is_on_the_timeline_with_who_and_when(enquiry, sales_team):
    amy = sales_team[0]
    before = timezone.now()
    for status in [LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.PROPOSAL_SENT, LeadStatus.WON]:
        services.lead_change_status(lead=enquiry, status=status, actor=amy)
    after = timezone.now()
    changes = list(enquiry.activities.filter(kind=LeadActivity.Kind.STATUS).order_by("pk"))
    assert [c.text for c in changes] == [
        "Status changed from New to Contacted.",
        "Status changed from Contacted to Qualified.",
        "Status changed from Qualified to Proposal sent.",
        "Status changed from Proposal sent to Won.",
    ]
    assert all(c.author == amy and before <= c.created_at <= after for c in changes)
    enquiry.refresh_from_db()
    assert enquiry.status == LeadStatus.WON and enquiry.closed_at is not None


def test_the_same_status_again_records_nothing(enquiry):
    services.lead_change_status(lead=enquiry, status=LeadStatus.CONTACTED)
    services.lead_change_status(lead=enquiry, status=LeadStatus.CONTACTED)
    assert enquiry.activities.filter(kind=LeadActivity.Kind.STATUS).count() == 1


def test_every_owner_change_is_on_the_timeline_with_who_and_when(enquiry, sales_team):
    amy, ben, cat = sales_team
    enquiry.refresh_from_db()
    first_owner = enquiry.owner
    new_owner = next(user for user in sales_team if user != first_owner)
    before = timezone.now()
    services.lead_assign(lead=enquiry, owner=new_owner, actor=cat)
    change = _latest(enquiry, LeadActivity.Kind.OWNER)
    assert change.text == f"Owner changed from {first_owner.username} to {new_owner.username}."
    assert change.author == cat and change.created_at >= before
    assert Lead.objects.get(pk=enquiry.pk).owner == new_owner

    services.lead_assign(lead=enquiry, owner=None, actor=amy)
    assert _latest(enquiry, LeadActivity.Kind.OWNER).text == f"Owner changed from {new_owner.username} to nobody."
    count = enquiry.activities.filter(kind=LeadActivity.Kind.OWNER).count()
    services.lead_assign(lead=enquiry, owner=None, actor=amy)
    assert enquiry.activities.filter(kind=LeadActivity.Kind.OWNER).count() == count


def test_a_lead_can_only_be_assigned_to_active_sales_staff(enquiry, sales_team):
    outsider = User.objects.create_user("dan", email="dan@example.com", is_staff=True)
    with pytest.raises(ValidationError):
        services.lead_assign(lead=enquiry, owner=outsider)
    leaver = sales_team[2]
    leaver.is_active = False
    leaver.save()
    with pytest.raises(ValidationError):
        services.lead_assign(lead=enquiry, owner=leaver)


def test_lost_needs_a_reason_which_is_kept_and_cleared_on_reopening(enquiry, sales_team):
    amy = sales_team[0]
    for blank in ["", "   "]:
        with pytest.raises(ValidationError) as error:
            services.lead_change_status(lead=enquiry, status=LeadStatus.LOST, lost_reason=blank, actor=amy)
        assert "lost_reason" in error.value.message_dict
    assert Lead.objects.get(pk=enquiry.pk).status == LeadStatus.NEW

    services.lead_change_status(lead=enquiry, status=LeadStatus.LOST, lost_reason=" Chose a local provider ", actor=amy)
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.lost_reason) == (LeadStatus.LOST, "Chose a local provider")
    assert enquiry.closed_at is not None
    assert _latest(enquiry, LeadActivity.Kind.STATUS).text == "Status changed from New to Lost: Chose a local provider."

    services.lead_change_status(lead=enquiry, status=LeadStatus.QUALIFIED, actor=amy)
    enquiry.refresh_from_db()
    assert (enquiry.lost_reason, enquiry.closed_at) == ("", None)


def test_no_answer_keeps_the_retry_time_for_an_enquiry_too(enquiry):
    retry_at = timezone.now() + timedelta(hours=2)
    services.lead_change_status(lead=enquiry, status=LeadStatus.NO_ANSWER, retry_at=retry_at)
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.retry_at, enquiry.due_at) == (LeadStatus.NO_ANSWER, retry_at, retry_at)
    assert enquiry.next_action == "Try calling again"


@pytest.mark.parametrize("retry_in", [None, timedelta(minutes=-5)], ids=["no-retry-time", "retry-in-the-past"])
def test_no_answer_needs_a_future_retry_time(callback, retry_in):
    retry_at = timezone.now() + retry_in if retry_in else None
    with pytest.raises(ValidationError) as error:
        services.lead_change_status(lead=callback, status=LeadStatus.NO_ANSWER, retry_at=retry_at)
    assert "retry_at" in error.value.message_dict
    assert Lead.objects.get(pk=callback.pk).status == LeadStatus.NEW


def test_no_answer_with_a_retry_time_makes_the_callback_due_then(callback, sales_team):
    retry_at = timezone.now() + timedelta(hours=3)
    services.lead_change_status(lead=callback, status=LeadStatus.NO_ANSWER, retry_at=retry_at, actor=sales_team[0])
    callback.refresh_from_db()
    assert callback.status == LeadStatus.NO_ANSWER
    assert callback.retry_at == retry_at and callback.due_at == retry_at
    assert callback.next_action == "Try calling again"
    change = _latest(callback, LeadActivity.Kind.STATUS)
    assert change.text.startswith("Status changed from New to No answer; try again ")

    # Another unanswered try: a new retry time, recorded again.
    later = retry_at + timedelta(days=1)
    services.lead_change_status(lead=callback, status=LeadStatus.NO_ANSWER, retry_at=later)
    callback.refresh_from_db()
    assert callback.due_at == later
    assert callback.activities.filter(kind=LeadActivity.Kind.STATUS).count() == 2


def test_logging_a_call_where_we_spoke_moves_a_new_lead_to_contacted(enquiry, sales_team):
    ben = sales_team[1]
    tomorrow = timezone.now() + timedelta(days=1)
    call = services.lead_log_call(
        lead=enquiry, outcome="spoke", text="  Wants dates in May. ", actor=ben,
        next_action="Send May dates", due_at=tomorrow,
    )  # fmt: skip
    assert (call.kind, call.outcome, call.text, call.author) == ("call", "spoke", "Wants dates in May.", ben)
    enquiry.refresh_from_db()
    assert enquiry.status == LeadStatus.CONTACTED
    assert (enquiry.next_action, enquiry.due_at) == ("Send May dates", tomorrow)
    assert _latest(enquiry, LeadActivity.Kind.STATUS).author == ben

    # Speaking to them again later does not move a contacted or qualified lead backwards.
    services.lead_change_status(lead=enquiry, status=LeadStatus.QUALIFIED, actor=ben)
    services.lead_log_call(lead=enquiry, outcome="spoke", actor=ben, next_action="Chase", due_at=tomorrow)
    assert Lead.objects.get(pk=enquiry.pk).status == LeadStatus.QUALIFIED


def test_logging_an_unanswered_callback_with_a_retry_time_makes_it_no_answer(callback, sales_team):
    retry_at = timezone.now() + timedelta(hours=1)
    services.lead_log_call(lead=callback, outcome="voicemail", text="Left a message", retry_at=retry_at)
    callback.refresh_from_db()
    assert callback.status == LeadStatus.NO_ANSWER and callback.due_at == retry_at

    later = timezone.now() + timedelta(days=2)
    services.lead_log_call(lead=callback, outcome="spoke", actor=sales_team[0], next_action="Quote", due_at=later)
    assert Lead.objects.get(pk=callback.pk).status == LeadStatus.CONTACTED


def test_a_note_needs_text_and_is_on_the_timeline(enquiry, sales_team):
    with pytest.raises(ValidationError):
        services.lead_add_note(lead=enquiry, text="  ", actor=sales_team[0])
    note = services.lead_add_note(lead=enquiry, text="Sent the brochure.", actor=sales_team[0])
    assert (note.kind, note.text, note.author) == (LeadActivity.Kind.NOTE, "Sent the brochure.", sales_team[0])


def test_an_update_is_all_or_nothing(enquiry, sales_team):
    enquiry.refresh_from_db()
    owner = enquiry.owner
    other = next(user for user in sales_team if user != owner)
    activities = enquiry.activities.count()
    with pytest.raises(ValidationError):
        services.lead_update(lead=enquiry, owner=other, status=LeadStatus.LOST, note="Gone quiet", actor=other)
    enquiry.refresh_from_db()
    assert enquiry.owner == owner and enquiry.status == LeadStatus.NEW
    assert enquiry.activities.count() == activities


# Retention -------------------------------------------------------------------------------------


MONTH = timedelta(days=31)


def _closed(lead, *, ago, status=LeadStatus.LOST):
    services.lead_change_status(lead=lead, status=status, lost_reason="No budget this year")
    Lead.objects.filter(pk=lead.pk).update(closed_at=timezone.now() - ago)
    return lead


@pytest.fixture
def old_leads(sales_team):
    """One lead closed 25 months ago, one closed 23 months ago, one never closed (three years old)."""
    long_ago = timezone.now() - timedelta(days=3 * 365)
    old = services.enquiry_submit(data=enquiry_data(0), now=long_ago)
    services.lead_log_call(
        lead=old, outcome="spoke", text="Spoke to Jordan on 01473 555100.",
        next_action="Send a quote", due_at=timezone.now() + timedelta(days=1),
    )  # fmt: skip
    services.lead_add_note(lead=old, text="Jordan's manager is Pat Smith.")
    _closed(old, ago=25 * MONTH)
    recent = _closed(services.enquiry_submit(data=enquiry_data(1), now=long_ago), ago=23 * 30 * timedelta(days=1))
    still_open = services.callback_submit(data=callback_data(2), now=long_ago)
    return old, recent, still_open


def test_leads_closed_longer_than_the_retention_period_are_anonymised(old_leads, settings):
    settings.LEAD_RETENTION_MONTHS = 24
    old, recent, still_open = old_leads
    activities = old.activities.count()
    leads = Lead.objects.count()

    assert services.leads_anonymise_closed() == 1

    old.refresh_from_db()
    assert old.name == services.ANONYMISED
    assert (old.email, str(old.phone or ""), old.message, old.job_title) == ("", "", "", "")
    assert old.anonymised_at is not None
    texts = list(old.activities.exclude(kind=LeadActivity.Kind.STATUS).values_list("text", flat=True))
    assert texts and set(texts) == {services.ANONYMISED}
    assert not any("Jordan" in text or "555100" in text for text in old.activities.values_list("text", flat=True))
    # Counts and reports still add up.
    assert Lead.objects.count() == leads and old.activities.count() == activities
    assert (old.status, old.lead_type) == (LeadStatus.LOST, LeadType.ENQUIRY)

    for untouched in (recent, still_open):
        untouched.refresh_from_db()
        assert untouched.anonymised_at is None and untouched.name.startswith(("Jordan", "Alex"))
        assert untouched.phone
    assert services.leads_anonymise_closed() == 0  # done once


def test_anonymising_a_lead_also_clears_its_emails(old_leads):
    old = old_leads[0]
    assert OutboundEmail.objects.filter(lead=old).exists()
    services.leads_anonymise_closed()
    assert services.personal_data_export(email="enquirer0@example.org")["emails_sent"] == []
    for row in OutboundEmail.objects.filter(lead=old):
        assert "enquirer0@example.org" not in (row.recipients + row.body_text + row.body_html + str(row.reply_to))
        assert "Jordan Ellis 0" not in (row.subject + row.body_text + row.body_html)


def _subscriber(email, *, days_ago, confirm=False):
    subscriber = services.newsletter_subscribe(email=email, now=timezone.now() - timedelta(days=days_ago)).subscriber
    if confirm:
        services.newsletter_confirm(subscriber=subscriber)
    return subscriber


def test_unconfirmed_sign_ups_older_than_30_days_are_dropped(settings):
    settings.NEWSLETTER_UNCONFIRMED_DAYS = 30
    stale = _subscriber("stale@example.org", days_ago=31)
    fresh = _subscriber("fresh@example.org", days_ago=29)
    confirmed = _subscriber("confirmed@example.org", days_ago=400, confirm=True)
    assert services.newsletter_drop_unconfirmed() == 1
    assert set(NewsletterSubscriber.objects.values_list("pk", flat=True)) == {fresh.pk, confirmed.pk}
    assert not NewsletterSubscriber.objects.filter(pk=stale.pk).exists()


def test_a_fresh_sign_up_after_unsubscribing_is_not_dropped_as_stale():
    old = _subscriber("returning@example.org", days_ago=400, confirm=True)
    services.newsletter_unsubscribe(subscriber=old)
    services.newsletter_subscribe(email="returning@example.org")
    services.newsletter_drop_unconfirmed()
    assert NewsletterSubscriber.objects.filter(email="returning@example.org").exists()


def test_apply_retention_command_dry_run_counts_and_changes_nothing(old_leads):
    old = old_leads[0]
    _subscriber("stale@example.org", days_ago=45)
    _subscriber("confirmed@example.org", days_ago=45, confirm=True)
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert "Would anonymise 1 lead(s)" in out.getvalue()
    assert "Would delete 1 newsletter sign-up(s)" in out.getvalue()
    old.refresh_from_db()
    assert old.anonymised_at is None and old.email
    assert NewsletterSubscriber.objects.count() == 2

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 1 lead(s)" in out.getvalue()
    assert "Deleted 1 newsletter sign-up(s)" in out.getvalue()
    old.refresh_from_db()
    assert old.anonymised_at is not None and old.email == ""
    assert list(NewsletterSubscriber.objects.values_list("email", flat=True)) == ["confirmed@example.org"]

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Would anonymise 0 lead(s)" in out.getvalue() and "Would delete 0 newsletter" in out.getvalue()


# Newsletter double opt-in --------------------------------------------------------------------


def _confirmations(subscriber):
    return OutboundEmail.objects.filter(kind="newsletter_confirm", recipients=subscriber.email).count()


def test_signing_up_twice_makes_one_subscriber_and_at_most_one_confirmation_a_day():
    morning = london(2026, 3, 10, 9, 0)
    first = services.newsletter_subscribe(email="jo@example.org", name="Jo Patel", now=morning)
    again = services.newsletter_subscribe(email=" JO@example.org ", now=morning + timedelta(hours=6))
    assert first.email_sent and not again.email_sent
    assert again.subscriber.pk == first.subscriber.pk
    assert NewsletterSubscriber.objects.count() == 1
    subscriber = NewsletterSubscriber.objects.get()
    assert (subscriber.status, subscriber.name, subscriber.consent_at) == (
        SubscriberStatus.PENDING,
        "Jo Patel",
        morning,
    )
    assert subscriber.privacy_notice_version
    assert _confirmations(subscriber) == 1

    next_day = services.newsletter_subscribe(email="jo@example.org", now=morning + timedelta(days=1))
    assert next_day.email_sent and _confirmations(subscriber) == 2


def test_confirming_subscribes_once_and_signing_up_again_changes_nothing():
    subscriber = services.newsletter_subscribe(email="jo@example.org").subscriber
    services.newsletter_confirm(subscriber=subscriber)
    services.newsletter_confirm(subscriber=subscriber)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.confirmed_at is not None
    assert OutboundEmail.objects.filter(kind="newsletter_welcome").count() == 1

    result = services.newsletter_subscribe(email="jo@example.org", name="Someone Else")
    assert not result.email_sent
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.name == ""
    assert _confirmations(subscriber) == 1


def test_unsubscribing_and_subscribing_again_starts_a_fresh_opt_in():
    start = timezone.now() - timedelta(days=10)
    subscriber = services.newsletter_subscribe(email="jo@example.org", now=start).subscriber
    services.newsletter_confirm(subscriber=subscriber, now=start)
    services.newsletter_unsubscribe(subscriber=subscriber)
    services.newsletter_unsubscribe(subscriber=subscriber)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED and subscriber.unsubscribed_at is not None

    result = services.newsletter_subscribe(email="jo@example.org")
    assert result.email_sent
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.consent_at > start
    assert NewsletterSubscriber.objects.count() == 1 and _confirmations(subscriber) == 2

    services.newsletter_confirm(subscriber=subscriber)
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.CONFIRMED and subscriber.unsubscribed_at is None
    assert OutboundEmail.objects.filter(kind="newsletter_welcome").count() == 2


def test_subscribing_again_on_the_day_you_unsubscribed_sends_a_confirmation():
    subscriber = services.newsletter_subscribe(email="jo@example.org").subscriber
    services.newsletter_confirm(subscriber=subscriber)
    services.newsletter_unsubscribe(subscriber=subscriber)
    assert services.newsletter_subscribe(email="jo@example.org").email_sent


# Personal data export --------------------------------------------------------------------------


def test_the_personal_data_export_has_everything_about_one_address(sales_team):
    email = "jo.patel@example.org"
    lead = services.enquiry_submit(data=enquiry_data(0, email=email, name="Jo Patel"), now=london(2026, 3, 10, 9, 0))
    services.lead_add_note(lead=lead, text="Wants May dates.")
    services.enquiry_submit(data=enquiry_data(1), now=london(2026, 3, 10, 9, 5))  # someone else
    session = make_session(capacity=10)
    booked = make_booking(session, contact_email=email, contact_name="Jo Patel")
    places = make_booking(session, delegates=[DelegateData(name="Jo Patel", email=email, job_role="Ward manager")])
    services.newsletter_subscribe(email=email, name="Jo")

    export = services.personal_data_export(email=email.upper())

    assert [item["reference"] for item in export["leads"]] == [lead.reference]
    [exported] = export["leads"]
    assert exported["email"] == email and exported["name"] == "Jo Patel"
    assert exported["consent_at"] and exported["privacy_notice_version"]
    assert any(entry["text"] == "Wants May dates." for entry in exported["timeline"])
    assert [b["reference"] for b in export["bookings_made"]] == [booked.reference]
    assert [p["booking"] for p in export["places_as_delegate"]] == [places.reference]
    assert [n["status"] for n in export["newsletter"]] == [SubscriberStatus.PENDING]
    kinds = sorted(e["kind"] for e in export["emails_sent"])
    assert kinds == sorted(
        [
            "lead_acknowledgement",
            "booking_confirmation",
            "booking_manage_link",
            "joining_instructions",
            "invoice_issued",
            "newsletter_confirm",
        ]
    )
    assert "lead_alert" not in kinds  # that went to the sales team


def test_the_export_does_not_include_emails_to_other_addresses_containing_this_one(sales_team):
    services.enquiry_submit(data=enquiry_data(0, email="banjo@example.org"), now=london(2026, 3, 10, 9, 0))
    assert services.personal_data_export(email="jo@example.org")["emails_sent"] == []


def test_an_anonymised_lead_can_no_longer_be_worked(sales_team):
    lead = services.enquiry_submit(data=enquiry_data(0), now=london(2024, 1, 10, 9, 0))
    services.lead_change_status(lead=lead, status=LeadStatus.WON)
    Lead.objects.filter(pk=lead.pk).update(closed_at=london(2024, 1, 11, 9, 0))
    assert services.leads_anonymise_closed() == 1
    for change in (
        lambda: services.lead_add_note(lead=lead, text="Called again"),
        lambda: services.lead_change_status(lead=lead, status=LeadStatus.QUALIFIED),
        lambda: services.lead_assign(lead=lead, owner=None),
    ):
        with pytest.raises(ValidationError, match="retention policy"):
            change()


def test_a_booking_by_someone_with_an_open_lead_is_linked_to_it(sales_team):
    from tests.factories import make_booking, make_session

    lead = services.enquiry_submit(data=enquiry_data(0, email="sam.booker@example.org"))
    closed = services.enquiry_submit(data=enquiry_data(1, email="sam.booker@example.org", organisation="Other"))
    services.lead_change_status(lead=closed, status=LeadStatus.LOST, lost_reason="Went elsewhere")
    booking = make_booking(make_session(), count=2, contact_email="Sam.Booker@example.org")
    assert list(lead.bookings.all()) == [booking]
    assert not closed.bookings.exists()
    assert lead.activities.filter(text__startswith=f"Booked {booking.reference}").exists()
