"""How each attempt ends, in one process against an SMTP server on loopback: sent, retried,
failed, or unknown (the message went out but its answer never came), and that an outcome
survives a broken database connection. The same faults with a real worker: test_faults.py."""

import asyncio
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.db.models import QuerySet
from django.utils import timezone

from outbox import services
from outbox.models import EmailStatus, OutboundEmail

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def an_email(key="test:1", to="delegate@example.org"):
    return services.Email(
        kind="waitlist_joined",
        to=[to],
        unique_key=key,
        placeholders={"reference": "K7PX3M9Q", "course": "De-escalation Skills", "booker_name": "Sam"},
    )


@pytest.fixture
def smtp(smtp_server):
    """The SMTP server; `slow_data` seconds pass after it receives a message before it answers."""
    keep = smtp_server.handle_DATA
    smtp_server.slow_data = 0

    async def handle_DATA(server, session, envelope):
        answer = await keep(server, session, envelope)  # received and kept: the server has it
        await asyncio.sleep(smtp_server.slow_data)
        return answer

    smtp_server.handle_DATA = handle_DATA
    return smtp_server


def first_attempt(key="test:1"):
    """Queue an email and run its send task, as the on-commit hand-off would; returns the row."""
    services.email_queue(an_email(key))
    row = OutboundEmail.objects.get(unique_key=key)
    services.email_send(row.pk)
    row.refresh_from_db()
    return row


def message_ids(sink):
    return [m["message"]["Message-ID"] for m in sink.messages]


@pytest.mark.parametrize(
    ("site_url", "from_email", "domain"),
    [
        ("https://training.example.com", "Bookings <bookings@example.org>", "training.example.com"),
        ("http://127.0.0.1:8000", "Bookings <bookings@example.org>", "example.org"),
        ("http://localhost:8000", "bookings@calm.example", "calm.example"),
    ],
)
def test_the_message_id_domain_is_the_site_or_the_sender_never_localhost(settings, site_url, from_email, domain):
    settings.SITE_URL, settings.DEFAULT_FROM_EMAIL = site_url, from_email
    assert services.message_id_domain() == domain


def test_every_attempt_carries_the_same_message_id(smtp, settings):
    settings.SITE_URL = "https://training.example.com"
    smtp.refuse_with = "451 4.3.0 Try again later"
    row = first_attempt()  # refused
    assert row.status == EmailStatus.QUEUED
    assert row.message_id.startswith("<") and row.message_id.endswith("@training.example.com>")

    smtp.refuse_with = None
    OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert services.email_send(row.pk) == services.SendResult.SENT
    assert message_ids(smtp) == [row.message_id]
    row.refresh_from_db()
    assert row.attempts == 2


def test_a_slow_answer_to_the_data_is_waited_for_and_the_email_arrives_once(smtp, settings):
    # Connecting may take 0.5 s; the answer to the message may take 3 s, and takes 1.
    settings.EMAIL_TIMEOUT, settings.EMAIL_REPLY_TIMEOUT = 0.5, 3
    smtp.slow_data = 1
    row = first_attempt()
    assert row.status == EmailStatus.SENT
    assert row.attempts == 1
    assert len(smtp.messages) == 1


def test_no_answer_after_the_message_went_out_is_unknown_and_never_retried(smtp, settings):
    settings.EMAIL_TIMEOUT, settings.EMAIL_REPLY_TIMEOUT = 0.5, 0.5
    smtp.slow_data = 1.5
    row = first_attempt()
    assert row.status == EmailStatus.UNKNOWN
    assert "may have been delivered" in row.last_error
    assert row.attempts == 1

    # Neither the sweep nor the task run again sends it a second time.
    services.outbox_sweep(now=timezone.now() + timedelta(hours=1))
    assert services.email_send(row.pk) == services.SendResult.SKIPPED
    smtp.wait_for(3, timeout=2)
    # The one copy the server got (and kept) before it answered too late; the other is the ops alert.
    assert len(smtp.to("delegate@example.org")) == 1
    row.refresh_from_db()
    assert row.status == EmailStatus.UNKNOWN


def test_no_answer_before_the_message_went_out_is_retried(smtp, settings):
    settings.EMAIL_TIMEOUT, settings.EMAIL_REPLY_TIMEOUT = 0.5, 0.5

    async def slow_rcpt(server, session, envelope, address, rcpt_options):
        await asyncio.sleep(1.5)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp.handle_RCPT = slow_rcpt
    row = first_attempt()
    assert row.status == EmailStatus.QUEUED  # nothing was sent: safe to try again
    assert "SMTPServerDisconnected" in row.last_error
    assert smtp.messages == []


def test_transient_errors_are_retried_for_hours_not_a_few_attempts(smtp, settings):
    settings.EMAIL_RETRY_FOR_HOURS, settings.EMAIL_MAX_ATTEMPTS = 24, 100
    smtp.refuse_with = "451 4.3.0 Try again later"
    row = first_attempt()
    for _ in range(9):  # the old limit was 6 attempts
        OutboundEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        assert services.email_send(row.pk) == services.SendResult.RETRY
    # 24 hours after the first attempt it gives up.
    OutboundEmail.objects.filter(pk=row.pk).update(first_attempt_at=timezone.now() - timedelta(hours=24, seconds=1))
    assert services.email_send(row.pk) == services.SendResult.FAILED
    row.refresh_from_db()
    assert (row.status, row.attempts) == (EmailStatus.FAILED, 11)


def test_the_backoff_doubles_to_its_cap_and_24_hours_is_about_30_attempts(settings):
    settings.EMAIL_RETRY_BASE_SECONDS, settings.EMAIL_RETRY_MAX_SECONDS = 30, 3600
    assert [services.retry_delay(n) for n in (1, 2, 7, 8, 30)] == [30, 60, 1920, 3600, 3600]
    waited, attempts = 0, 1
    while waited < 24 * 3600:
        waited += services.retry_delay(attempts)
        attempts += 1
    assert 25 <= attempts <= 35 < settings.EMAIL_MAX_ATTEMPTS


def test_a_resend_keeps_the_message_id_and_starts_a_new_24_hours(smtp, django_capture_on_commit_callbacks):
    smtp.refuse_with = "550 5.1.1 No such user"
    row = first_attempt()
    first_attempt_at, message_id = row.first_attempt_at, row.message_id
    smtp.refuse_with = None
    with django_capture_on_commit_callbacks(execute=True):
        assert services.email_resend(emails=[row]) == 1
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT
    assert row.message_id == message_id and row.first_attempt_at > first_attempt_at
    assert message_ids(smtp) == [message_id]


def test_unknown_emails_are_resent_only_when_staff_accept_a_second_copy(smtp, django_capture_on_commit_callbacks):
    row = first_attempt()
    OutboundEmail.objects.filter(pk=row.pk).update(status=EmailStatus.UNKNOWN)
    assert services.email_resend(emails=[row]) == 0
    assert OutboundEmail.objects.get(pk=row.pk).status == EmailStatus.UNKNOWN
    with django_capture_on_commit_callbacks(execute=True):
        assert services.email_resend(emails=[row], unknown_too=True) == 1
    assert OutboundEmail.objects.get(pk=row.pk).status == EmailStatus.SENT
    assert len(smtp.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_a_broken_database_connection_after_sending_does_not_lose_the_outcome(smtp, monkeypatch):
    """The "sent" update meets a dropped connection once: it reconnects and records it."""
    update, broken = QuerySet.update, []

    def drops_once(queryset, **fields):
        if fields.get("status") == EmailStatus.SENT and not broken:
            broken.append(fields)
            raise OperationalError("server closed the connection unexpectedly")
        return update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", drops_once)
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    services.email_queue(an_email())  # sent at once: this test commits, so on-commit work runs
    row = OutboundEmail.objects.get()
    assert broken  # the first try failed ...
    row.refresh_from_db()
    assert row.status == EmailStatus.SENT  # ... and the second recorded it
    assert len(smtp.messages) == 1
