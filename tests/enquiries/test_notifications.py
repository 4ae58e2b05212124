"""Who gets which lead and newsletter email, as outbox rows (sending is tested in tests/outbox and
test_email_delivery.py): the acknowledgement and the new-lead alert, overdue callback alerts, the
owners' morning digests and the newsletter's unsubscribe headers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from enquiries import links, notifications, services, tasks
from enquiries.models import LeadStatus
from outbox.models import OutboundEmail
from outbox.services import email_send
from tests.enquiries.test_services import callback_data, enquiry_data, sales_user
from tests.factories import london

pytestmark = pytest.mark.django_db

SALES_EMAIL = "sales@calm-response.example"
SITE_URL = "https://training.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SALES_EMAIL = SALES_EMAIL
    settings.SITE_URL = SITE_URL
    settings.LEADS_ROUND_ROBIN = True


@pytest.fixture
def sales_team():
    return [sales_user("amy"), sales_user("ben"), sales_user("cat")]


def rows(kind=None, to=None):
    emails = OutboundEmail.objects.order_by("pk")
    if kind:
        emails = emails.filter(kind=kind)
    if to:
        emails = emails.filter(recipients__icontains=to)
    return list(emails)


def admin_url(lead):
    return SITE_URL + reverse("admin:enquiries_lead_change", args=[lead.pk])


# A new lead ---------------------------------------------------------------------------------------


def test_an_enquiry_is_acknowledged_and_alerted_to_sales_and_the_owner(sales_team):
    data = enquiry_data(0, name="Jordan Ellis", message="Our ward staff need refresher training.")
    lead = services.enquiry_submit(data=data, now=london(2026, 3, 10, 9, 0))
    lead.refresh_from_db()
    assert {row.kind for row in rows()} == {"lead_acknowledgement", "lead_alert"}

    [ack] = rows("lead_acknowledgement")
    assert ack.to == ["enquirer0@example.org"] and ack.reply_to == [SALES_EMAIL]
    assert ack.lead == lead
    assert ack.subject == f"Thank you for your enquiry (ref {lead.reference})"
    for text in ["Dear Jordan Ellis,", "in touch by 17:00 today", lead.reference, "Staff to train: 24",
                 "Your message is with our team."]:  # fmt: skip
        assert text in ack.body_text, text
    assert "admin" not in ack.body_text and "admin" not in ack.body_html  # nothing internal
    # The free text typed goes to the sales team, never back out to an unverified address.
    assert "Our ward staff need refresher training." not in ack.body_text + ack.body_html

    [alert] = rows("lead_alert")
    assert alert.to == [SALES_EMAIL, lead.owner.email]
    assert "Our ward staff need refresher training." in alert.body_text
    assert alert.reply_to == ["enquirer0@example.org"] and alert.lead == lead
    assert alert.subject == f"New enquiry from Jordan Ellis, Ipswich Hospital 0 (ref {lead.reference})"
    for text in [f"Owner: {lead.owner.first_name}", "Due: Tue 10 March 2026, 17:00", "Phone: 01473 555100",
                 "Email: enquirer0@example.org", admin_url(lead)]:  # fmt: skip
        assert text in alert.body_text, text
    assert f'href="{admin_url(lead)}"' in alert.body_html
    assert "duplicate" not in alert.body_text.lower() and "duplicate" not in alert.body_html.lower()
    assert "\n\n\n" not in alert.body_text and "\n\n\n" not in ack.body_text


def test_a_callback_without_an_email_gets_no_acknowledgement_but_is_alerted(sales_team):
    lead = services.callback_submit(data=callback_data(0, name="Alex Reid"), now=london(2026, 3, 10, 20, 0))
    lead.refresh_from_db()
    assert rows("lead_acknowledgement") == []
    [alert] = rows("lead_alert")
    assert alert.to == [SALES_EMAIL, lead.owner.email] and alert.reply_to == []
    assert alert.subject == f"New callback request from Alex Reid (ref {lead.reference})"
    for text in ["Due: Wed 11 March 2026, 11:00", "by 11:00 tomorrow", "Phone: 07911 123100", admin_url(lead)]:
        assert text in alert.body_text, text


def test_the_alert_goes_to_the_sales_inbox_once_when_the_owner_is_the_sales_inbox(settings):
    sales_user("inbox", email=SALES_EMAIL.upper())
    services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))
    [alert] = rows("lead_alert")
    assert alert.to == [SALES_EMAIL]


def test_an_unassigned_lead_is_alerted_to_the_sales_inbox(settings):
    settings.LEADS_ROUND_ROBIN = False
    services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))
    [alert] = rows("lead_alert")
    assert alert.to == [SALES_EMAIL]
    assert "Owner: nobody yet" in alert.body_text


def test_a_possible_duplicate_is_flagged_in_the_alert(sales_team):
    first = services.enquiry_submit(data=enquiry_data(0), now=london(2026, 3, 10, 9, 0))
    second = services.callback_submit(data=callback_data(1, phone="01473 555100"), now=london(2026, 3, 10, 9, 5))
    alert = OutboundEmail.objects.get(kind="lead_alert", lead=second)
    assert "(possible duplicate)" in alert.subject
    assert f"This may be the same as open lead {first.reference}: merge or keep apart." in alert.body_text
    assert first.reference in alert.body_html


def test_what_the_enquirer_wrote_is_plain_text_in_the_html(sales_team):
    data = enquiry_data(0, message='<b>Urgent</b> & "soon"', organisation="Smith & Sons <Care>")
    services.enquiry_submit(data=data, now=london(2026, 3, 10, 9, 0))
    for row in rows():
        assert "<b>Urgent" not in row.body_html
        assert "Smith &amp; Sons &lt;Care&gt;" in row.body_html
    [alert] = rows("lead_alert")  # the message itself goes only to the sales team
    assert "&lt;b&gt;Urgent&lt;/b&gt;" in alert.body_html
    assert '<b>Urgent</b> & "soon"' in alert.body_text


# Overdue callbacks ---------------------------------------------------------------------------------


def _overdue_alerts():
    return rows("lead_overdue")


def test_an_overdue_callback_is_alerted_to_its_owner_once(sales_team):
    lead = services.callback_submit(data=callback_data(0), now=timezone.now() - timedelta(days=7))
    lead.refresh_from_db()

    assert tasks.send_overdue_alerts.apply().get() == 1
    assert tasks.send_overdue_alerts.apply().get() == 0
    [alert] = _overdue_alerts()
    assert alert.to == [lead.owner.email] and alert.lead == lead
    assert alert.subject == f"Overdue callback: Alex Reid 0 (ref {lead.reference})"
    for text in ["07911 123100", admin_url(lead), lead.reference]:
        assert text in alert.body_text, text
    assert 'href="tel:07911123100"' in alert.body_html

    # A new due time: nothing until it passes, then one new alert.
    services.lead_set_next_action(lead=lead, next_action="Call back", due_at=timezone.now() + timedelta(hours=1))
    assert tasks.send_overdue_alerts.apply().get() == 0
    later = timezone.now() + timedelta(hours=2)
    due = list(services.leads_due_for_overdue_alert(now=later))
    assert due == [lead]
    assert notifications.overdue_alerts_queue(due, now=later) == 1
    assert notifications.overdue_alerts_queue(list(services.leads_due_for_overdue_alert(now=later)), now=later) == 0
    assert len(_overdue_alerts()) == 2


def test_an_unanswered_callback_is_alerted_again_when_its_retry_time_passes(sales_team):
    lead = services.callback_submit(data=callback_data(0), now=timezone.now() - timedelta(days=7))
    tasks.send_overdue_alerts.apply()
    retry_at = timezone.now() + timedelta(minutes=30)
    services.lead_log_call(lead=lead, outcome="no_answer", retry_at=retry_at)
    later = retry_at + timedelta(minutes=1)
    assert notifications.overdue_alerts_queue(list(services.leads_due_for_overdue_alert(now=later)), now=later) == 1
    assert len(_overdue_alerts()) == 2


def test_only_open_owned_callbacks_past_their_due_time_get_overdue_alerts(sales_team, settings):
    week_ago = timezone.now() - timedelta(days=7)
    overdue = services.callback_submit(data=callback_data(0), now=week_ago)
    services.enquiry_submit(data=enquiry_data(1), now=week_ago)  # enquiries are in the morning digest
    closed = services.callback_submit(data=callback_data(2), now=week_ago)
    services.lead_change_status(lead=closed, status=LeadStatus.WON)
    services.callback_submit(data=callback_data(3), now=timezone.now())  # due in the future
    settings.LEADS_ROUND_ROBIN = False
    services.callback_submit(data=callback_data(4), now=week_ago)  # no owner to tell
    assert tasks.send_overdue_alerts.apply().get() == 1
    assert [row.lead for row in _overdue_alerts()] == [overdue]


# Morning digests -----------------------------------------------------------------------------------

WEDNESDAY = london(2026, 3, 11, 8, 0)


@pytest.fixture
def worked_leads(sales_team, settings):
    """Amy: two overdue, one due today, one due tomorrow, one closed. Ben: one due today. Cat: none."""
    settings.LEADS_ROUND_ROBIN = False
    amy, ben, _cat = sales_team
    plan = [
        (amy, london(2026, 3, 10, 15, 0), "overdue"),
        (amy, london(2026, 3, 11, 7, 30), "overdue"),
        (amy, london(2026, 3, 11, 10, 0), "today"),
        (amy, london(2026, 3, 12, 9, 30), "tomorrow"),
        (amy, london(2026, 3, 10, 9, 30), "closed"),
        (ben, london(2026, 3, 11, 16, 30), "today"),
    ]
    leads = {}
    for n, (owner, due_at, label) in enumerate(plan):
        lead = services.enquiry_submit(data=enquiry_data(n), now=london(2026, 3, 9, 9, 0))
        services.lead_assign(lead=lead, owner=owner)
        services.lead_set_next_action(lead=lead, next_action=f"Next step {n}", due_at=due_at)
        if label == "closed":
            services.lead_change_status(lead=lead, status=LeadStatus.LOST, lost_reason="No budget")
        leads.setdefault((owner.username, label), []).append(lead)
    return leads


def test_each_owner_gets_one_digest_of_overdue_and_due_today_leads(worked_leads, sales_team):
    amy, ben, cat = sales_team
    assert notifications.digests_queue(now=WEDNESDAY) == 2
    assert notifications.digests_queue(now=WEDNESDAY + timedelta(hours=1)) == 0  # once a day

    [for_amy] = rows("lead_digest", to=amy.email)
    assert for_amy.to == [amy.email]
    assert for_amy.subject == "Your leads today: 2 overdue, 1 due today"
    overdue_part, today_part = for_amy.body_text.split("DUE TODAY (1)")
    assert "OVERDUE (2)" in overdue_part
    for lead in worked_leads[("amy", "overdue")]:
        assert lead.reference in overdue_part
    [today] = worked_leads[("amy", "today")]
    assert today.reference in today_part and "due Wed 11 March 2026, 10:00: Next step 2" in today_part
    for label in ("tomorrow", "closed"):
        assert worked_leads[("amy", label)][0].reference not in for_amy.body_text
    assert SITE_URL + reverse("admin:enquiries_lead_changelist") in for_amy.body_text

    [for_ben] = rows("lead_digest", to=ben.email)
    assert for_ben.subject == "Your leads today: 0 overdue, 1 due today"
    assert "Nothing overdue." in for_ben.body_text
    assert rows("lead_digest", to=cat.email) == []


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(london(2026, 3, 14, 8, 0), id="saturday"),
        pytest.param(london(2026, 3, 15, 8, 0), id="sunday"),
        pytest.param(london(2026, 4, 3, 8, 0), id="good-friday"),
        pytest.param(london(2026, 4, 6, 8, 0), id="easter-monday"),
    ],
)
def test_no_digests_on_weekends_or_bank_holidays(worked_leads, day):
    assert notifications.digests_queue(now=day) == 0
    assert rows("lead_digest") == []


def test_the_next_working_day_brings_new_digests(worked_leads, sales_team):
    amy, ben, _cat = sales_team
    notifications.digests_queue(now=WEDNESDAY)
    assert notifications.digests_queue(now=WEDNESDAY + timedelta(days=1)) == 2
    assert rows("lead_digest", to=amy.email)[-1].subject == "Your leads today: 3 overdue, 1 due today"
    assert rows("lead_digest", to=ben.email)[-1].subject == "Your leads today: 1 overdue, 0 due today"
    assert "Nothing else is due today." in rows("lead_digest", to=ben.email)[-1].body_text


# The newsletter ------------------------------------------------------------------------------------


def test_newsletter_emails_carry_one_click_unsubscribe_headers(mailoutbox):
    subscriber = services.newsletter_subscribe(email="jo@example.org", name="Jo").subscriber
    services.newsletter_confirm(subscriber=subscriber)
    unsubscribe = links.unsubscribe_url(subscriber)
    expected = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}

    [confirm] = rows("newsletter_confirm")
    [welcome] = rows("newsletter_welcome")
    for row in (confirm, welcome):
        assert row.to == ["jo@example.org"]
        assert row.headers == expected
        assert unsubscribe in row.body_text and f'href="{unsubscribe}"' in row.body_html
    assert links.subscriber_from_unsubscribe_token(unsubscribe.rstrip("/").rsplit("/", 1)[1]) == subscriber
    confirm_link = next(line for line in confirm.body_text.splitlines() if "/newsletter/confirm/" in line)
    assert links.subscriber_from_confirm_token(confirm_link.rstrip("/").rsplit("/", 1)[1]) == subscriber
    assert f'href="{confirm_link}"' in confirm.body_html
    assert "If this wasn't you, please ignore this email" in confirm.body_text

    # The headers reach the message that is sent.
    email_send(confirm.pk)
    [message] = mailoutbox
    sent = message.message()
    assert sent["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_lead_emails_are_not_marketing_and_have_no_unsubscribe_headers(sales_team):
    services.enquiry_submit(data=enquiry_data(), now=london(2026, 3, 10, 9, 0))
    assert rows() and all(row.headers == {} for row in rows())
