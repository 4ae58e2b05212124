"""The operators hear once when emails stop getting through: one alert to OPS_EMAIL, none while
it still waits to go out, at most one an hour, and never one about an alert."""

from datetime import timedelta

import pytest
from django.utils import timezone

from outbox import alerts, services
from outbox.models import EmailStatus, OutboundEmail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def ops(settings):
    settings.OPS_EMAIL = "ops@example.com"
    settings.SITE_URL = "https://training.example.com"


def problem(key, status=EmailStatus.FAILED, error="451 4.3.0 Try again later"):
    services.email_queue(
        services.Email(
            kind="waitlist_joined",
            to=[f"{key}@example.org"],
            unique_key=key,
            placeholders={"reference": "K7PX3M9Q", "course": "De-escalation Skills", "booker_name": "Sam"},
        )
    )
    OutboundEmail.objects.filter(unique_key=key).update(status=status, last_error=error)


def alert_rows():
    return list(OutboundEmail.objects.filter(kind=alerts.KIND.name).order_by("pk"))


def test_one_alert_covers_the_emails_that_failed_and_is_not_repeated():
    problem("a")
    problem("b", EmailStatus.UNKNOWN, "Interrupted while sending")
    assert alerts.ops_alert() == 2
    [alert] = alert_rows()
    assert alert.to == ["ops@example.com"]
    assert "Failed: You are on the waiting list" in alert.body_text and "(to a@example.org)" in alert.body_text
    assert "Delivery unknown:" in alert.body_text and "Interrupted while sending" in alert.body_text
    assert "https://training.example.com/admin/outbox/outboundemail/?status__in=failed,unknown" in alert.body_text
    # The next sweep finds nothing new: no second alert.
    assert alerts.ops_alert() == 0
    assert len(alert_rows()) == 1


def test_no_new_alert_while_the_last_one_waits_to_go_out():
    problem("a")
    alerts.ops_alert()
    problem("b")  # the mail server is still down; the first alert is still queued
    assert alerts.ops_alert() == 1  # covered by the waiting alert
    assert len(alert_rows()) == 1


def test_after_the_alert_went_out_a_new_failure_alerts_again_but_at_most_once_an_hour():
    now = timezone.now()
    problem("a")
    alerts.ops_alert(now=now)
    OutboundEmail.objects.filter(kind=alerts.KIND.name).update(status=EmailStatus.SENT)
    problem("b")
    alerts.ops_alert(now=now)  # the same hour: folded into the alert already sent
    assert len(alert_rows()) == 1
    problem("c")
    alerts.ops_alert(now=now + timedelta(hours=1))
    [_first, second] = alert_rows()
    assert "c@example.org" in second.body_text and "b@example.org" not in second.body_text


def test_a_failed_alert_is_never_alerted_about():
    problem("a")
    alerts.ops_alert()
    OutboundEmail.objects.filter(kind=alerts.KIND.name).update(status=EmailStatus.FAILED)
    assert alerts.ops_alert(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(alert_rows()) == 1


def test_an_email_resent_and_failing_again_alerts_again():
    problem("a")
    alerts.ops_alert()
    OutboundEmail.objects.filter(kind=alerts.KIND.name).update(status=EmailStatus.SENT)
    services.email_resend(emails=list(OutboundEmail.objects.filter(unique_key="a")))
    problem("a")  # failed again
    assert alerts.ops_alert(now=timezone.now() + timedelta(hours=1)) == 1
    assert len(alert_rows()) == 2


def test_the_sweep_alerts(smtp_server, django_capture_on_commit_callbacks):
    problem("a")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep()["alerted"] == 1
    [message] = smtp_server.to("ops@example.com")
    assert message["Subject"] == "Emails are not getting through: please check the outbox"
