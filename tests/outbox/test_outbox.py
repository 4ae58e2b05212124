"""The outbox in one process: rows first, sent after commit to a real SMTP server on loopback,
at most once, retried on transient refusals, failed and resent by staff."""

import math
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from outbox import services
from outbox.models import EmailStatus, OutboundEmail
from outbox.tasks import send_email

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def an_email(key="test:1", to="delegate@example.org"):
    return services.Email(
        kind="waitlist_joined",
        to=[to],
        unique_key=key,
        placeholders={"reference": "K7PX3M9Q", "course": "De-escalation Skills", "booker_name": "Sam"},
    )


def test_rows_are_written_in_the_transaction_and_sent_after_commit(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        services.email_queue(an_email())
        row = OutboundEmail.objects.get()
        assert row.status == EmailStatus.QUEUED
        assert smtp_server.messages == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT
    assert row.sent_at is not None
    [received] = smtp_server.messages
    assert received["rcpt"] == ["delegate@example.org"]
    assert "K7PX3M9Q" in received["message"]["Subject"] or "K7PX3M9Q" in received["message"].as_string()


def test_a_rolled_back_change_sends_nothing(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                services.email_queue(an_email())
                raise RuntimeError("the booking failed")
        except RuntimeError:
            pass
    assert not OutboundEmail.objects.exists()
    assert smtp_server.messages == []


def test_the_same_notification_is_never_created_twice(smtp_server):
    assert services.email_queue_many([an_email("same"), an_email("same")]) == 1
    assert services.email_queue(an_email("same")) == 0
    assert OutboundEmail.objects.count() == 1


def test_the_send_task_run_twice_sends_once(smtp_server):
    services.email_queue(an_email())
    row = OutboundEmail.objects.get()
    send_email.apply(args=[row.pk])
    send_email.apply(args=[row.pk])
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_smtp_refusing_retries_then_fails_and_staff_resend_delivers(
    smtp_server, settings, admin_client, django_capture_on_commit_callbacks
):
    settings.EMAIL_MAX_ATTEMPTS = 3
    smtp_server.refuse_with = "451 4.3.0 Mailbox busy, try again later"
    services.email_queue(an_email())
    row = OutboundEmail.objects.get()
    results = [services.email_send(row.pk)]
    for _ in range(2):
        OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        results.append(services.email_send(row.pk))
    assert results == [services.SendResult.RETRY, services.SendResult.RETRY, services.SendResult.FAILED]
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED
    assert row.attempts == 3
    assert "451" in row.last_error

    # Staff see it among the failures, with the reason.
    changelist = admin_client.get(reverse("admin:outbox_outboundemail_changelist"), {"status__exact": "failed"})
    assert "delegate@example.org" in changelist.content.decode()
    detail = admin_client.get(reverse("admin:outbox_outboundemail_change", args=[row.pk]))
    assert "Mailbox busy" in detail.content.decode()

    smtp_server.refuse_with = None
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:outbox_outboundemail_changelist"),
            {"action": "resend", "_selected_action": [row.pk]},
        )
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT
    assert len(smtp_server.messages) == 1


def test_a_permanent_refusal_fails_at_once(smtp_server):
    smtp_server.refuse_with = "550 5.1.1 No such user"
    services.email_queue(an_email())
    row = OutboundEmail.objects.get()
    assert services.email_send(row.pk) == services.SendResult.FAILED
    row.refresh_from_db()
    assert row.status == EmailStatus.FAILED
    assert row.attempts == 1
    assert "550" in row.last_error


def test_retry_backoff_grows_and_is_capped(settings):
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    assert [services.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert services.retry_delay(20) == 3600


def test_sweep_sends_what_waited_too_long_and_marks_what_was_interrupted_unknown(
    smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.OPS_EMAIL = "ops@example.com"
    services.email_queue(an_email("waiting"))
    services.email_queue(an_email("interrupted", to="other@example.org"))
    smtp_server.messages.clear()
    old = timezone.now() - timedelta(hours=1)
    OutboundEmail.objects.filter(unique_key="waiting").update(status=EmailStatus.QUEUED, next_attempt_at=old)
    OutboundEmail.objects.filter(unique_key="interrupted").update(status=EmailStatus.SENDING, last_attempt_at=old)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.outbox_sweep()
    assert result == {"requeued": 1, "stuck": 1, "alerted": 1}
    assert OutboundEmail.objects.get(unique_key="waiting").status == EmailStatus.SENT
    interrupted = OutboundEmail.objects.get(unique_key="interrupted")
    # Not failed: it may have gone, so it is never resent blindly, and staff are told so.
    assert interrupted.status == EmailStatus.UNKNOWN
    assert interrupted.get_status_display() == "Delivery unknown"
    assert "Interrupted while sending" in interrupted.last_error
    # The operators hear of it; the interrupted email itself is not sent again.
    assert sorted(m["rcpt"][0] for m in smtp_server.messages) == ["delegate@example.org", "ops@example.com"]


def test_many_emails_are_one_insert(smtp_server):
    emails = [an_email(f"bulk:{n}", to=f"d{n}@example.org") for n in range(50)]
    with CaptureQueriesContext(connection) as queries:
        services.email_queue_many(emails)
    inserts = [
        q for q in queries.captured_queries if q["sql"].startswith("INSERT") and '"outbox_outboundemail"' in q["sql"]
    ]
    # One bulk insert (SQLite splits it into batches by its parameter limit; PostgreSQL does not).
    fields = [f for f in OutboundEmail._meta.concrete_fields if not f.primary_key]
    assert len(inserts) == math.ceil(50 / min(500, connection.ops.bulk_batch_size(fields, [None] * 50)))
    assert OutboundEmail.objects.count() == 50
