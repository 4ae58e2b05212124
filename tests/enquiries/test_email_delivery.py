"""Lead emails end to end: an enquiry through the real service, a real Celery worker on Redis and
an SMTP server on loopback receive the acknowledgement and the sales alert.

Needs PostgreSQL (the worker shares the test database) and Redis; without them it is skipped
with the reason printed.
"""

import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from enquiries import services
from outbox.models import EmailStatus, OutboundEmail
from tests.factories import london

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def owner(settings):
    """The only sales person, so the round robin gives them the lead."""
    settings.LEADS_ROUND_ROBIN = True
    user = get_user_model().objects.create_user("amy", email="amy.sales@example.com", first_name="Amy")
    # A transactional test may run after another has flushed the migration's group away.
    user.groups.add(Group.objects.get_or_create(name=services.SALES_GROUP)[0])
    return user


def test_an_enquiry_delivers_the_acknowledgement_and_the_sales_alert(
    require_postgres, start_worker, smtp_server, owner
):
    start_worker(EMAIL_URL=smtp_server.url)
    data = {
        "name": "Jordan Ellis",
        "job_title": "Practice Educator",
        "organisation": "Ipswich Hospital",
        "email": "jordan.ellis@example.org",
        "phone": "01473 555 100",
        "staff_count": 24,
        "message": "Our ward staff need refresher training before winter.",
        "consent": True,
    }
    lead = services.enquiry_submit(data=data, now=london(2026, 3, 10, 9, 0))

    messages = smtp_server.wait_for(2)
    assert len(messages) == 2, [m["rcpt"] for m in messages]

    [ack] = smtp_server.to("jordan.ellis@example.org")
    assert ack["Subject"] == f"Thank you for your enquiry (ref {lead.reference})"
    assert ack["Reply-To"] == settings.SALES_EMAIL
    text = ack.get_body(("plain",)).get_content()
    for expected in ["Dear Jordan Ellis,", "in touch by 17:00 today", lead.reference, "Staff to train: 24"]:
        assert expected in text, expected
    assert "/admin/" not in text
    assert ack.get_body(("html",)) is not None

    [alert] = smtp_server.to(settings.SALES_EMAIL)
    assert smtp_server.to(owner.email) == [alert]  # one message to both
    assert "jordan.ellis@example.org" not in next(m["rcpt"] for m in messages if m["message"] is alert)
    assert alert["Subject"] == f"New enquiry from Jordan Ellis, Ipswich Hospital (ref {lead.reference})"
    assert alert["Reply-To"] == "jordan.ellis@example.org"
    admin_url = settings.SITE_URL + reverse("admin:enquiries_lead_change", args=[lead.pk])
    text = alert.get_body(("plain",)).get_content()
    for expected in ["Owner: Amy", "Due: Tue 10 March 2026, 17:00", "Phone: 01473 555100", admin_url]:
        assert expected in text, expected
    assert f'href="{admin_url}"' in alert.get_body(("html",)).get_content()

    # The worker marks each row sent just after the server accepts it.
    deadline = time.monotonic() + 10
    while OutboundEmail.objects.exclude(status=EmailStatus.SENT).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(OutboundEmail.objects.values_list("kind", "status")) == [
        ("lead_acknowledgement", EmailStatus.SENT),
        ("lead_alert", EmailStatus.SENT),
    ]
