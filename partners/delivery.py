"""Sending webhook deliveries: at most once per attempt, retried with backoff, swept, resent.

- delivery_send() claims a due pending row under a lock and, in the same short transaction,
  counts the attempt and moves next_attempt_at on to when the next one is due. Any copy of the
  task that arrives meanwhile (the sweep, a broker redelivery) finds it not due and does nothing,
  so the receiver gets one request per attempt. Then it POSTs the body, signed, with a timeout;
  2xx is sent, anything else waits for the next attempt, or fails once WEBHOOK_RETRY_DELAYS
  are used up. A worker that dies mid-request leaves the row pending: it is tried again when
  due, and receivers drop a repeat by its Webhook-Id.
- Retries due within the hour are queued with a countdown; later ones (and any lost on the
  way) are the sweep's, every minute, so no long countdown waits in the broker.
- Rows are handed to the broker by one background thread, as the outbox does: a hung or dead
  broker never holds the web request; the rows are committed and the sweep sends them.
"""

import contextlib
import http.client
import logging
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    private_addresses_allowed,
    public_address,
    validate_webhook_url,
)
from .webhooks import signature_header, webhooks_emit

logger = logging.getLogger(__name__)

# After the first attempt fails: 1 minute, 5 minutes, 30 minutes, 2, 6 and 12 hours; then give up.
RETRY_DELAYS = [60, 300, 1800, 7200, 21600, 43200]
TIMEOUT_SECONDS = 5
USER_AGENT = "TrainingBookings-Webhooks/1.0"
COUNTDOWN_MAX_SECONDS = 3600  # past the Redis visibility timeout a countdown task is redelivered
SWEEP_GRACE_SECONDS = 120  # the on-commit queueing and countdowns come first
KEEP_DAYS = 30  # sent and failed deliveries (with a booking's personal details) are removed after
# The last attempt has no next one: a worker that died during it leaves the row due after this.
LAST_ATTEMPT_LEASE_SECONDS = 300
# A task due "now" may arrive a moment early by the worker's clock.
DUE_SLACK = timedelta(seconds=2)


def retry_delays():
    return list(getattr(settings, "WEBHOOK_RETRY_DELAYS", RETRY_DELAYS))


def max_attempts():
    return len(retry_delays()) + 1


# Queueing ------------------------------------------------------------------------------------

_publisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-publish")


def enqueue_soon(ids):
    """enqueue() without waiting for the broker; in-process when there is none (eager)."""
    from config.celery import app

    if app.conf.task_always_eager:
        enqueue(ids)
    elif ids:
        _publisher.submit(enqueue, list(ids))


def enqueue(ids, *, countdown=None):
    """Hand deliveries to the webhook workers. A broker that is down loses nothing: the sweep retries."""
    from .tasks import deliver_webhook

    for pk in ids:
        try:
            deliver_webhook.apply_async(args=[pk], countdown=countdown)
        except Exception as exc:  # broker unreachable: the rows wait for the sweep
            logger.warning("Could not queue webhook delivery %s (%s); the sweep will send it.", pk, exc)
            return


# Sending -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    result: str  # sent, retry, failed, skipped
    retry_in: float | None = None


def _claim(pk, now):
    with transaction.atomic():
        row = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint__partner_key", "booking")
            .filter(pk=pk)
            .first()
        )
        if row is None or row.status != DeliveryStatus.PENDING:
            return None
        if row.next_attempt_at and row.next_attempt_at > now + DUE_SLACK:
            return None  # another copy has this attempt, or it is not due yet
        delays = retry_delays()
        if row.attempts >= len(delays) + 1:  # the last attempt was interrupted
            row.status, row.next_attempt_at = DeliveryStatus.FAILED, None
            row.save(update_fields=["status", "next_attempt_at"])
            return None
        row.attempts += 1
        row.last_attempt_at = now
        # Also a lease: while this attempt runs no other copy finds the row due.
        delay = delays[row.attempts - 1] if row.attempts <= len(delays) else LAST_ATTEMPT_LEASE_SECONDS
        row.next_attempt_at = now + timedelta(seconds=delay)
        row.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
        return row


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx is the answer: a receiver is registered at its final address


class _Deadline:
    """Cuts the connections of an attempt still running when its time is up. The socket timeout
    bounds each read, not the whole: a receiver that answers a byte every few seconds would hold
    a worker for as long as it liked. Shutting down a duplicate of the socket wakes the blocked
    read, before or after TLS wraps the original. (Resolving the name comes before any socket:
    the resolver's own timeout bounds that.)"""

    _current = threading.local()  # the attempt this thread is making

    def __init__(self, seconds):
        self.seconds, self.passed, self._over = seconds, False, False
        self._ends = time.monotonic() + seconds
        self._sockets, self._lock = [], threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self):
        _Deadline._current.attempt = self
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        _Deadline._current.attempt = None
        with self._lock:
            self._over = True  # a timer firing now finds nothing to cut
            for sock in self._sockets:
                sock.close()

    def left(self):
        return max(self._ends - time.monotonic(), 0.01)

    def watch(self, sock):
        copy = sock.dup()
        with self._lock:
            self._sockets.append(copy)
            if self.passed:
                self._shutdown(copy)

    def _cut(self):
        with self._lock:
            if self._over:
                return
            self.passed = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock):
        with contextlib.suppress(OSError):  # not connected yet, or already closed
            sock.shutdown(socket.SHUT_RDWR)

    @classmethod
    def create_connection(cls, address, timeout, source_address=None):
        """socket.create_connection, each socket watched from the start and given no longer to
        connect than the attempt has left; no further address is tried once time is up."""
        attempt = getattr(cls._current, "attempt", None)
        host, port = address
        error = None
        for family, kind, proto, _name, where in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
            if attempt and attempt.passed:
                break
            sock = socket.socket(family, kind, proto)
            try:
                if attempt:
                    attempt.watch(sock)
                sock.settimeout(min(timeout, attempt.left()) if attempt else timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(where)
                sock.settimeout(timeout)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
        raise error or OSError(f"No address of {host} could be reached in time.")


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _Deadline.create_connection


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _Deadline.create_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_HTTPConnection, req, **kwargs)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_HTTPSConnection, req, **kwargs)


# No proxies from the environment: the request goes straight to the registered address.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects, _HTTPHandler, _HTTPSHandler)


def post(url, body, secret, event_id, event_type):
    """POST the body, signed; returns (HTTP status or None, error text or "")."""
    data = body.encode()
    try:
        validate_webhook_url(url)  # https, or http to loopback: never file: or another scheme
    except ValidationError:
        return None, "Not an https:// address to a public host."
    host = urllib.parse.urlsplit(url).hostname or ""
    if not private_addresses_allowed() and not public_address(host):
        # Checked as it is sent, so a name that now points inside the network gets nothing.
        return None, f"{host} is not a public address: not sent."
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked just above)
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(event_id),
            "Webhook-Event": event_type,
            "Webhook-Signature": signature_header(secret, data),
        },
    )
    with _Deadline(settings.WEBHOOK_DEADLINE_SECONDS) as deadline:
        answer = _exchange(request)
    if deadline.passed:
        # Whatever was read: a connection shut mid-answer can look like a whole (short) one.
        return None, f"No whole answer within {deadline.seconds:g} s: cut off."
    return answer


def _exchange(request):
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(1024)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(200).decode("utf-8", "replace") if exc.fp else ""
        except Exception:  # reset, or cut off, while reading what went wrong
            text = ""
        exc.close()
        if 300 <= exc.code < 400:
            return exc.code, f"HTTP {exc.code}: redirect to {exc.headers.get('Location', '?')} not followed."
        return exc.code, f"HTTP {exc.code}: {text}".strip()
    except Exception as exc:  # refused, timed out, reset, bad TLS, a malformed answer
        return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"


def delivery_send(pk, *, now=None):
    """One attempt at one delivery, if it is due. Returns an Outcome."""
    now = now or timezone.now()
    row = _claim(pk, now)
    if row is None:
        return Outcome("skipped")
    endpoint = row.endpoint
    if not settings.WEBHOOK_DELIVERIES_ENABLED:
        return Outcome("skipped")  # claimed, so it waits for its next attempt; nothing leaves
    if not endpoint.receives:
        WebhookDelivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Endpoint inactive or its key revoked."
        )
        return Outcome("failed")
    if row.booking_id and endpoint.partner_key_id and row.booking.partner_key_id != endpoint.partner_key_id:
        # Checked again at send time, whatever changed since the row was written.
        WebhookDelivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Not this partner's booking: not sent."
        )
        return Outcome("failed")
    status, error = post(endpoint.url, row.body, endpoint.secret, row.event_id, row.event_type)
    if status is not None and 200 <= status < 300:
        WebhookDelivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            next_attempt_at=None,
            last_response_status=status,
            last_error="",
        )
        return Outcome("sent")
    fields = {"last_response_status": status, "last_error": error[:500]}
    if row.attempts >= max_attempts():
        WebhookDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.FAILED, next_attempt_at=None, **fields)
        logger.warning("Webhook delivery %s failed after %s attempts: %s", row.pk, row.attempts, error)
        return Outcome("failed")
    WebhookDelivery.objects.filter(pk=row.pk).update(**fields)
    return Outcome("retry", retry_in=max((row.next_attempt_at - timezone.now()).total_seconds(), 0))


# The office's tools --------------------------------------------------------------------------


def webhook_sweep(*, now=None):
    """Queue pending deliveries that are overdue (their task was lost or is far off); remove
    finished ones older than WEBHOOK_DELIVERY_KEEP_DAYS."""
    now = now or timezone.now()
    grace = timedelta(seconds=getattr(settings, "WEBHOOK_SWEEP_GRACE_SECONDS", SWEEP_GRACE_SECONDS))
    due = list(
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:1000]
    )
    enqueue(due)
    keep = timedelta(days=getattr(settings, "WEBHOOK_DELIVERY_KEEP_DAYS", KEEP_DAYS))
    purged, _ = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED], created_at__lt=now - keep
    ).delete()
    return {"requeued": len(due), "purged": purged}


@transaction.atomic
def delivery_resend(*, deliveries):
    """Send sent or failed deliveries again, now, with a fresh set of attempts (same event id and
    body: a receiver that had it drops the repeat). Pending ones are left on their schedule.
    Returns the number resent."""
    ids = list(
        WebhookDelivery.objects.filter(
            pk__in=[d.pk for d in deliveries], status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED]
        ).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), sent_at=None
    )
    transaction.on_commit(lambda: enqueue_soon(ids))
    return len(ids)


@transaction.atomic
def endpoint_send_test(*, endpoint):
    """A webhook.test event to this endpoint alone, whatever it subscribes to."""
    from .models import TEST_EVENT

    return webhooks_emit(
        TEST_EVENT,
        {"endpoint": endpoint.pk, "message": "A test event from the office. Check its signature."},
        change="test",
        endpoints=[endpoint],
    )


@transaction.atomic
def endpoint_roll_secret(*, endpoint):
    """A new signing secret, used from the next attempt on (pending retries included)."""
    from .models import new_webhook_secret

    endpoint.secret = new_webhook_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=endpoint.secret)
    return endpoint
