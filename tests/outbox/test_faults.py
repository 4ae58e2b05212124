"""Faults a real mail worker meets, end to end: a real Celery worker on Redis, PostgreSQL and an
SMTP server on loopback. A slow mail server, a database that drops its connections mid-send, a
mail server down for "two hours", and emails failing for good.

These need PostgreSQL (the worker shares the test database) and Redis; without them they are
skipped with the reason printed. Times are scaled down: one hour of the real settings is one
second here.
"""

import asyncio
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from outbox import alerts, services
from outbox.models import PROBLEM_STATUSES, EmailStatus, OutboundEmail
from tests.conftest import SmtpSink
from tests.servers import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

RECIPIENTS = ["ann@example.org", "bob@example.org"]


def queue(*recipients):
    """One email to each recipient; the commit hands them to the worker."""
    services.email_queue_many(
        [
            services.Email(
                kind="waitlist_joined",
                to=[to],
                unique_key=f"fault:{to}",
                placeholders={"reference": "K7PX3M9Q", "course": "De-escalation Skills", "booker_name": "Sam"},
            )
            for to in recipients
        ]
    )
    return list(OutboundEmail.objects.filter(unique_key__in=[f"fault:{to}" for to in recipients]))


def wait_until(predicate, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def statuses(rows):
    return {row.to[0]: OutboundEmail.objects.get(pk=row.pk).status for row in rows}


def all_in(rows, status):
    return lambda: set(statuses(rows).values()) == {status}


def before_answering(sink, action):
    """The server keeps each message it receives, then runs `action` before it answers "250"."""
    keep = sink.handle_DATA

    async def handle_DATA(server, session, envelope):
        answer = await keep(server, session, envelope)
        await action()
        return answer

    sink.handle_DATA = handle_DATA


def assert_each_received_once_with_its_message_id(sink, rows):
    for row in rows:
        row.refresh_from_db()
        copies = sink.to(row.to[0])
        assert len(copies) == 1, f"{row.to[0]} got {len(copies)} copies"
        assert copies[0]["Message-ID"] == row.message_id


def test_a_slow_answer_to_the_data_is_waited_for_each_email_arrives_once_and_is_sent(
    require_postgres, start_worker, smtp_server
):
    # Connect within 2 s; the server takes 4 s to answer each message, within the long timeout.
    before_answering(smtp_server, lambda: asyncio.sleep(4))
    start_worker(EMAIL_URL=smtp_server.url, EMAIL_TIMEOUT="2", EMAIL_REPLY_TIMEOUT="30", EMAIL_RETRY_BASE_SECONDS="0.2")
    rows = queue(*RECIPIENTS)
    assert wait_until(all_in(rows, EmailStatus.SENT), timeout=40), statuses(rows)
    time.sleep(1)  # nothing more arrives
    assert_each_received_once_with_its_message_id(smtp_server, rows)
    assert {row.attempts for row in rows} == {1}


def test_no_answer_even_after_the_long_timeout_is_unknown_and_the_email_is_not_sent_again(
    require_postgres, start_worker, smtp_server
):
    # The server keeps the message but answers after 4 s; the worker stops waiting after 2 s.
    before_answering(smtp_server, lambda: asyncio.sleep(4))
    start_worker(EMAIL_URL=smtp_server.url, EMAIL_TIMEOUT="1", EMAIL_REPLY_TIMEOUT="2", EMAIL_RETRY_BASE_SECONDS="0.2")
    rows = queue(*RECIPIENTS)
    assert wait_until(all_in(rows, EmailStatus.UNKNOWN), timeout=40), statuses(rows)

    # Not retried by the worker, nor by the sweep, however late.
    services.outbox_sweep(now=timezone.now() + timedelta(hours=2))
    time.sleep(3)
    assert_each_received_once_with_its_message_id(smtp_server, rows)
    assert set(statuses(rows).values()) == {EmailStatus.UNKNOWN}
    assert all("may have been delivered" in row.last_error for row in rows)


def test_database_connections_dropped_between_sending_and_marking_leave_no_delivered_email_failed(
    require_postgres, start_worker, smtp_server
):
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        this_test = cursor.fetchone()[0]  # the test's own connection is spared, to keep checking

    async def drop_the_workers_connections():
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"], autocommit=True
        ) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
                [this_test],
            ).fetchall()
        smtp_server.killed = getattr(smtp_server, "killed", 0) + len(killed)

    before_answering(smtp_server, drop_the_workers_connections)
    start_worker(EMAIL_URL=smtp_server.url, EMAIL_RETRY_BASE_SECONDS="0.2")
    rows = queue(*RECIPIENTS, "cat@example.org")
    assert wait_until(all_in(rows, EmailStatus.SENT), timeout=40), statuses(rows)
    assert smtp_server.killed >= len(rows)  # the worker's connection went with every email

    # However late the sweep runs, nothing is failed, unknown or sent again.
    services.outbox_sweep(now=timezone.now() + timedelta(hours=2))
    time.sleep(1)
    assert set(statuses(rows).values()) == {EmailStatus.SENT}
    assert_each_received_once_with_its_message_id(smtp_server, rows)


def test_a_mail_server_down_for_two_hours_still_gets_every_email(require_postgres, start_worker):
    from aiosmtpd.controller import Controller

    # One hour is one second: first retry after 30 s -> 1/120 s, doubling to a cap of 1 s,
    # for 24 s. With six attempts, as before, the emails failed within a quarter of a second.
    port = free_port()
    start_worker(
        EMAIL_URL=f"smtp://127.0.0.1:{port}",
        EMAIL_RETRY_BASE_SECONDS=str(30 / 3600),
        EMAIL_RETRY_MAX_SECONDS="1",
        EMAIL_RETRY_FOR_HOURS=str(24 / 3600),
    )
    rows = queue(*RECIPIENTS)  # nothing is listening on the port
    time.sleep(2)  # the outage
    assert set(statuses(rows).values()) == {EmailStatus.QUEUED}
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert wait_until(all_in(rows, EmailStatus.SENT), timeout=30), statuses(rows)
        assert_each_received_once_with_its_message_id(sink, rows)
        assert all(OutboundEmail.objects.get(pk=row.pk).attempts > 6 for row in rows)
    finally:
        controller.stop()


def test_the_operators_are_alerted_once_when_emails_fail(require_postgres, start_worker, smtp_server, settings):
    settings.OPS_EMAIL = "ops@example.com"

    async def refuse_nowhere(server, session, envelope, address, rcpt_options):
        if address.endswith("@nowhere.example"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    smtp_server.handle_RCPT = refuse_nowhere
    start_worker(EMAIL_URL=smtp_server.url)
    failing = queue("ann@nowhere.example", "bob@nowhere.example")
    assert wait_until(all_in(failing, EmailStatus.FAILED)), statuses(failing)

    services.outbox_sweep()  # beat runs it every minute
    assert len(smtp_server.wait_for(1)) == 1
    [alert] = smtp_server.to("ops@example.com")
    assert "ann@nowhere.example" in alert.as_string() and "bob@nowhere.example" in alert.as_string()

    # More failures in the same incident, and more sweeps: no second alert.
    more = queue("cat@nowhere.example")
    assert wait_until(all_in(more, EmailStatus.FAILED)), statuses(more)
    services.outbox_sweep()
    services.outbox_sweep()
    time.sleep(2)
    assert len(smtp_server.to("ops@example.com")) == 1
    assert OutboundEmail.objects.filter(kind=alerts.KIND.name).count() == 1
    assert not OutboundEmail.objects.filter(status__in=PROBLEM_STATUSES, ops_alerted=False).exists()
