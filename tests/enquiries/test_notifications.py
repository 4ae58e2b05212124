"""Who gets which lead and newsletter email, as outbox rows (sending is tested in tests/outbox and
test_email_delivery.py): the acknowledgement and the new-lead alert, overdue callback alerts, the
owners' morning digests and the newsletter's unsubscribe headers. Overdue alerts, escalations
and digests are in test_sales_desk.py."""

import pytest
from django.urls import reverse

from enquiries import links, services
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
