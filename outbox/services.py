"""The outbox: queue emails as rows inside the caller's transaction, send each at most once.

- email_queue_many() writes rows in bulk (one INSERT) and, when the transaction commits, queues
  one send task per row on the `mail` queue. If the broker is down the rows simply wait.
- email_send() claims a row under a lock (queued -> sending), sends it, and marks it sent, so a
  task run twice sends once. Transient SMTP errors go back to queued for a retry with backoff
  for EMAIL_RETRY_FOR_HOURS, then the row is failed. A message sent in full whose reply never
  came is "unknown": it may have arrived, so it is not retried blindly.
- outbox_sweep() (beat, every minute) re-queues rows that have waited too long: nothing is lost.
  It also marks rows stuck mid-send unknown and alerts the operators (outbox/alerts.py).
"""

import ipaddress
import logging
import smtplib
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import make_msgid, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from . import alerts, backends, registry, rendering
from .backends import DeliveryUnknown
from .models import PROBLEM_STATUSES, EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

# Worth another try later: the server or the network, not the message.
TRANSIENT_ERRORS = (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, socket.timeout, ConnectionError, OSError)


@dataclass
class Email:
    """One email to queue: the kind and placeholders are rendered when it is queued."""

    kind: str
    to: list
    unique_key: str
    placeholders: dict
    html_context: dict = field(default_factory=dict)
    attachments: list = field(default_factory=list)
    booking: object = None
    lead: object = None
    reply_to: list = field(default_factory=list)
    headers: dict = field(default_factory=dict)


def _row(email, wordings):
    subject, text, html = rendering.render(
        email.kind, email.placeholders, email.html_context, wording=wordings.get(email.kind)
    )
    return OutboundEmail(
        kind=email.kind,
        unique_key=email.unique_key[:200],
        to=list(email.to),
        recipients=", ".join(email.to)[:1000],
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=list(email.reply_to),
        subject=subject[:300],
        body_text=text,
        body_html=html,
        attachments=email.attachments,
        booking=email.booking,
        lead=email.lead,
        headers=email.headers,
    )


def email_queue_many(emails):
    """Write the emails' rows now (skipping any whose key exists) and send them after commit.

    Returns the number of new rows.
    """
    unique = {}
    for email in emails:
        if email.to:
            unique.setdefault(email.unique_key[:200], email)
    if not unique:
        return 0
    emails, keys = list(unique.values()), list(unique)
    existing = set(OutboundEmail.objects.filter(unique_key__in=keys).values_list("unique_key", flat=True))
    wordings = rendering.active_wording(email.kind for email in emails)
    rows = [_row(email, wordings) for email in emails if email.unique_key[:200] not in existing]
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    new_keys = [row.unique_key for row in rows]
    if new_keys:
        transaction.on_commit(lambda: _enqueue_keys(new_keys))
    return len(rows)


def email_queue(email):
    return email_queue_many([email])


# Send tasks are handed to the broker by one background thread, so a hung broker (Redis stopped
# with SIGSTOP accepts connections and never answers) never holds a web request: the rows are
# already committed, and the sweep sends whatever does not get through.
_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-publish")


def _enqueue_keys(keys):
    ids = list(
        OutboundEmail.objects.filter(unique_key__in=keys, status=EmailStatus.QUEUED).values_list("pk", flat=True)
    )
    enqueue_soon(ids)


def enqueue_soon(ids):
    """enqueue() without waiting for the broker; in-process (make run, no broker) at once."""
    from config.celery import app

    if app.conf.task_always_eager:
        enqueue(ids)
    elif ids:
        _publisher.submit(enqueue, ids)


def enqueue(ids):
    """Hand the rows to the mail workers. A broker that is down loses nothing: the sweep retries."""
    from .tasks import send_email

    for pk in ids:
        try:
            send_email.apply_async(args=[pk], queue="mail")
        except Exception as exc:  # broker unreachable: leave the rows for the sweep
            logger.warning("Could not queue email %s (%s); the outbox sweep will send it.", pk, exc)
            return


class SendResult:
    SENT = "sent"
    SKIPPED = "skipped"  # already sent, or being sent by another worker
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


def message_id_domain():
    """The site's host name, or else the sender's domain: never "localhost" or an IP address,
    which receiving servers may take for a forgery."""
    host = urlsplit(settings.SITE_URL).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if "." in host:
            return host
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "outbox.invalid"


def _claim(pk):
    """queued -> sending under a row lock; None if another run has it or it is done."""
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
        if row is None or row.status != EmailStatus.QUEUED:
            return None
        row.status = EmailStatus.SENDING
        row.attempts += 1
        row.last_attempt_at = timezone.now()
        if row.attempts == 1:
            row.first_attempt_at = row.last_attempt_at
        if not row.message_id:
            row.message_id = make_msgid(domain=message_id_domain())
        row.save(update_fields=["status", "attempts", "last_attempt_at", "first_attempt_at", "message_id"])
        return row


class _Message(EmailMultiAlternatives):
    """An email whose calendar, if any, is an iMIP body part (RFC 6047): text/calendar with its
    METHOD beside the text and HTML in multipart/alternative, which Outlook and Gmail show as a
    meeting request. The same content is attached as a file too, for clients that want one."""

    def __init__(self, *args, calendar_method="REQUEST", **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar_method = calendar_method

    def _create_mime_attachment(self, content, mimetype):
        if mimetype == "text/calendar":
            part = SafeMIMEText(content, "calendar", "utf-8")
            part.set_param("method", self.calendar_method)
            return part
        return super()._create_mime_attachment(content, mimetype)


def _message(row, connection):
    calendars = [a for a in row.attachments if a.get("mimetype") == "text/calendar"]
    if len(calendars) > 1:
        # Calendar clients read one METHOD a message; booking/notifications.py sends one a day.
        raise ValueError(f"email {row.pk} has {len(calendars)} calendar parts; one at most")
    calendar = calendars[0] if calendars else None
    message = _Message(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email,
        to=row.to,
        reply_to=row.reply_to or None,
        connection=connection,
        headers={"X-Outbox-Id": str(row.pk), "X-Email-Kind": row.kind, **row.headers, "Message-ID": row.message_id},
        calendar_method=(calendar or {}).get("method", "REQUEST"),
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    if calendar:
        message.attach_alternative(calendar["content"], "text/calendar")
        # The file copy as application/ics, as Google sends it, so no client takes it for a
        # second invite.
        message.attach(calendar["filename"], calendar["content"].encode("utf-8"), "application/ics")
    for attachment in row.attachments:
        if attachment is calendar:
            continue
        if "document" in attachment:
            # A stored document (an invoice's PDF, say), fetched when sent, not copied into the row.
            content = registry.document_content(attachment["document"])
        else:
            content = attachment["content"]
        message.attach(attachment["filename"], content, attachment.get("mimetype"))
    return message


def _is_transient(exc):
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _msg in exc.recipients.values())
    return isinstance(exc, TRANSIENT_ERRORS)


def retry_delay(attempts):
    """Exponential backoff: base, 2x base, 4x base ..., capped at EMAIL_RETRY_MAX_SECONDS."""
    return min(settings.EMAIL_RETRY_BASE_SECONDS * (2 ** max(attempts - 1, 0)), settings.EMAIL_RETRY_MAX_SECONDS)


def _may_retry(row):
    """A mail server down for hours must not fail the emails: retry for EMAIL_RETRY_FOR_HOURS
    from the first attempt, with EMAIL_MAX_ATTEMPTS only as a backstop."""
    retrying_for = timezone.now() - (row.first_attempt_at or row.last_attempt_at)
    return row.attempts < settings.EMAIL_MAX_ATTEMPTS and retrying_for < timedelta(hours=settings.EMAIL_RETRY_FOR_HOURS)


MARK_TRIES = 5


def _mark(pk, **fields):
    """Record a send's outcome. The email has gone (or not) and only this row says so: if the
    database connection broke meanwhile (a restart, a failover), open a fresh one and try again,
    rather than leave the row "sending" and have it taken for undelivered."""
    for attempt in range(1, MARK_TRIES + 1):
        try:
            return OutboundEmail.objects.filter(pk=pk).update(**fields)
        except (InterfaceError, OperationalError) as exc:
            if attempt == MARK_TRIES or db_connection.in_atomic_block:  # a transaction cannot reconnect
                raise
            logger.warning("Email %s: could not record %s (%s); reconnecting.", pk, fields.get("status"), exc)
            db_connection.close()
            time.sleep(0.5 * attempt)


def email_send(pk, *, connection=None):
    """Send one row at most once. Returns a SendResult value."""
    row = _claim(pk)
    if row is None:
        return SendResult.SKIPPED
    try:
        _message(row, connection or backends.get_connection()).send()
    except DeliveryUnknown as exc:
        _mark(row.pk, status=EmailStatus.UNKNOWN, last_error=f"{exc}. It may have been delivered."[:2000])
        logger.error("Email %s: delivery unknown: %s", row.pk, exc)
        return SendResult.UNKNOWN
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if _is_transient(exc) and _may_retry(row):
            next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(row.attempts))
            _mark(row.pk, status=EmailStatus.QUEUED, last_error=error, next_attempt_at=next_attempt_at)
            return SendResult.RETRY
        _mark(row.pk, status=EmailStatus.FAILED, last_error=error)
        logger.error("Email %s failed after %s attempt(s): %s", row.pk, row.attempts, error)
        return SendResult.FAILED
    _mark(row.pk, status=EmailStatus.SENT, sent_at=timezone.now(), last_error="")
    return SendResult.SENT


@transaction.atomic
def email_resend(*, emails, unknown_too=False):
    """Staff's "resend": failed rows go back to the queue with fresh attempts, and rows whose
    delivery is unknown too when staff have accepted that the recipient may get it twice.
    The Message-ID stays the same, so a copy can be recognised."""
    statuses = PROBLEM_STATUSES if unknown_too else [EmailStatus.FAILED]
    ids = list(
        OutboundEmail.objects.filter(pk__in=[e.pk for e in emails], status__in=statuses).values_list("pk", flat=True)
    )
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=EmailStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), ops_alerted=False
    )
    transaction.on_commit(lambda: enqueue_soon(ids))
    return len(ids)


INTERRUPTED = "Interrupted while sending: it may or may not have been delivered. Check, then resend if needed."


def outbox_sweep(*, now=None):
    """Re-queue rows that should have gone by now; mark rows stuck mid-send unknown; tell the
    operators about new problems.

    A row still "sending" long after its attempt may or may not have reached the server (the
    worker died, or lost its database before recording the outcome); to keep "at most once" it
    is marked unknown for staff to check and resend, never resent blindly.
    """
    now = now or timezone.now()
    stuck = OutboundEmail.objects.filter(
        status=EmailStatus.SENDING, last_attempt_at__lt=now - timedelta(seconds=settings.EMAIL_SENDING_TIMEOUT_SECONDS)
    ).update(status=EmailStatus.UNKNOWN, last_error=INTERRUPTED)
    alerted = alerts.ops_alert(now=now)
    due = list(
        OutboundEmail.objects.filter(
            status=EmailStatus.QUEUED, next_attempt_at__lt=now - timedelta(seconds=settings.EMAIL_SWEEP_GRACE_SECONDS)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    enqueue(due)
    return {"requeued": len(due), "stuck": stuck, "alerted": alerted}
