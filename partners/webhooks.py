"""Webhooks: which change sends which event, to whom, and how a receiver checks the signature.

Events and the booking history kinds (booking/models.py BookingEvent.Kind) that send them:

- booking.created: created (seats held, or confirmed when staff book), waitlisted.
- booking.confirmed: email_confirmed (the booker confirmed their address: confirmed, or
  awaiting_po), and po_added when the PO turned an awaiting_po booking into a confirmed one.
- booking.changed: po_added (otherwise), delegate_added, delegate_removed, delegate_substituted.
- booking.cancelled: cancelled, lapsed (email not confirmed in time), po_expired (the PO hold
  was released, which cancels the booking), session_cancelled.
- booking.waitlist_promoted: promoted.
- session.changed: a session moved or its venue changed, once per change (not per booking).
- session.cancelled: a session cancelled, once (each booking on it also sends booking.cancelled).
- session.seats_changed: seats held moved: a seat-holding booking made, cancelled or lapsed,
  delegates added to or removed from one, a promotion, a capacity change. One per change.

Nothing else (new manage or registration links, session_changed per booking) is sent.

Who receives: a booking's events go to the endpoints of the partner key that made it and to the
office's endpoints (no partner key); a session's events go to every endpoint for public sessions
and to the office's only for in-house or unpublished ones. Endpoints must be active, their
partner key not revoked, and subscribed to the event.

The body: {"id": uuid, "type": "booking.created", "created_at": ISO time, "change": the booking
history kind (or moved / venue_changed / capacity_changed / cancelled for sessions), "data": the
booking as GET /api/v1/bookings/{reference}/ answers it (manage_url null), or the session as
GET /api/v1/sessions/{id}/ does}.

webhooks_emit() writes one WebhookDelivery row per endpoint in the caller's transaction and
queues them when it commits (partners/delivery.py sends, retries and sweeps), so a change that
rolls back sends nothing.

Each request carries `Webhook-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with
the endpoint's secret>`, as Stripe signs; signature_verify() is the reference for receivers.
"""

import hashlib
import hmac
import json
import time
import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import TEST_EVENT, EventType, WebhookDelivery, WebhookEndpoint

SIGNATURE_TOLERANCE_SECONDS = 300


# Signatures ----------------------------------------------------------------------------------


def _mac(secret, timestamp, body):
    if isinstance(body, str):
        body = body.encode()
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret, body, *, timestamp=None):
    """The Webhook-Signature value for this body, signed now (or at `timestamp`, Unix seconds)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def signature_verify(secret, header, body, tolerance=SIGNATURE_TOLERANCE_SECONDS, *, now=None):
    """True if `header` (Webhook-Signature) signs `body` (the raw bytes received) with `secret`
    and its time is within `tolerance` seconds of now (a replayed old request is refused).

    Receivers: compare against the raw body before parsing it; JSON re-encoded is other bytes.
    """
    timestamp, signatures = None, []
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value.isascii():
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected.encode(), signature.encode()) for signature in signatures)


# Emitting ------------------------------------------------------------------------------------


def _recipients(event_type, *, booking=None, session=None):
    endpoints = WebhookEndpoint.objects.filter(active=True).filter(
        Q(partner_key=None) | Q(partner_key__revoked_at=None)
    )
    if booking is not None:
        # Privacy: a partner hears only of the bookings made with its own key.
        endpoints = endpoints.filter(Q(partner_key=None) | Q(partner_key_id=booking.partner_key_id))
    elif session is not None and (session.is_in_house or not session.course.is_published):
        endpoints = endpoints.filter(partner_key=None)  # not listed to partners: the office's only
    # Few rows: filtered here because SQLite has no JSON "contains".
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def webhooks_emit(event_type, data, *, booking=None, session=None, change="", endpoints=None):
    """Write a delivery per subscribed endpoint in the current transaction; they are queued when it
    commits. `data` may be a callable, called only if someone receives the event. Returns the
    event id, or None when no endpoint receives it."""
    if event_type not in EventType.values and event_type != TEST_EVENT:
        raise ValueError(f"Unknown webhook event type {event_type!r}")
    if endpoints is None:
        endpoints = _recipients(event_type, booking=booking, session=session)
    if not endpoints:
        return None
    event_id = uuid.uuid4()
    body = {
        "id": str(event_id),
        "type": event_type,
        "created_at": timezone.localtime().isoformat(),
        "change": change,
        "data": data() if callable(data) else data,
    }
    body = json.dumps(body, cls=DjangoJSONEncoder, separators=(",", ":"))
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=event_id,
            event_type=event_type,
            body=body,
            booking=booking,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    ids = [row.pk for row in rows]
    from .delivery import enqueue_soon  # delivery imports this module

    transaction.on_commit(lambda: enqueue_soon(ids))
    return event_id


def booking_data(booking):
    """The booking as the API answers it, read afresh so the caller's instance is left alone."""
    from booking.api.views import booking_body
    from booking.models import Booking

    return booking_body(Booking.objects.get(pk=booking.pk), manage_url=False)


def session_data(session):
    """The session as GET /api/v1/sessions/{id}/ answers it, seat counts as they stand now."""
    from booking import selectors
    from booking.api.serializers import SessionSerializer

    return SessionSerializer(selectors.session_list().get(pk=session.pk)).data


def webhooks_session_event(event_type, session, *, change):
    """One session-level event (changed, cancelled, seats_changed)."""
    from booking.notifications import is_suppressed

    if is_suppressed():  # the demo data loader: nobody outside hears of it
        return None
    return webhooks_emit(event_type, lambda: session_data(session), session=session, change=change)


def _booking_event_type(event):
    from booking.models import BookingEvent, BookingStatus

    Kind = BookingEvent.Kind
    if event.kind == Kind.PO_ADDED:
        # The PO confirms an awaiting_po booking; otherwise it is a correction. The status before
        # is the one the latest status-setting event left (a PO added earlier leaves confirmed).
        earlier = (
            BookingEvent.objects.filter(
                booking_id=event.booking_id, kind__in=[Kind.CREATED, Kind.PROMOTED, Kind.EMAIL_CONFIRMED, Kind.PO_ADDED]
            )
            .exclude(pk=event.pk)
            .order_by("-created_at", "-pk")
            .first()
        )
        was_awaiting_po = (
            earlier is not None
            and earlier.kind != Kind.PO_ADDED
            and earlier.data.get("status") == BookingStatus.AWAITING_PO
        )
        confirmed = was_awaiting_po and event.booking.status == BookingStatus.CONFIRMED
        return EventType.BOOKING_CONFIRMED if confirmed else EventType.BOOKING_CHANGED
    if event.kind == Kind.EMAIL_CONFIRMED and event.booking.status == BookingStatus.WAITLISTED:
        # The address is confirmed but there is still no place: not "confirmed" to an integrator.
        return EventType.BOOKING_CHANGED
    return {
        Kind.CREATED: EventType.BOOKING_CREATED,
        Kind.WAITLISTED: EventType.BOOKING_CREATED,
        Kind.EMAIL_CONFIRMED: EventType.BOOKING_CONFIRMED,
        Kind.DELEGATE_ADDED: EventType.BOOKING_CHANGED,
        Kind.DELEGATE_REMOVED: EventType.BOOKING_CHANGED,
        Kind.DELEGATE_SUBSTITUTED: EventType.BOOKING_CHANGED,
        Kind.CANCELLED: EventType.BOOKING_CANCELLED,
        Kind.LAPSED: EventType.BOOKING_CANCELLED,
        Kind.PO_EXPIRED: EventType.BOOKING_CANCELLED,
        Kind.SESSION_CANCELLED: EventType.BOOKING_CANCELLED,
        Kind.PROMOTED: EventType.BOOKING_WAITLIST_PROMOTED,
    }.get(event.kind)


def _seats_moved(event):
    """Whether this change altered the seats held on the session."""
    from booking.models import SEAT_HOLDING, BookingEvent

    Kind = BookingEvent.Kind
    if event.kind == Kind.CREATED:
        return event.data.get("status") in SEAT_HOLDING
    if event.kind == Kind.PROMOTED:
        return True
    if event.kind in (Kind.DELEGATE_ADDED, Kind.DELEGATE_REMOVED):
        return event.booking.status in SEAT_HOLDING
    if event.kind in (Kind.CANCELLED, Kind.LAPSED, Kind.PO_EXPIRED):
        return event.data.get("previous_status") in SEAT_HOLDING
    return False  # session_cancelled: session.cancelled says it


def webhooks_on_booking_event(event):
    """Called by booking/services/seats.py record() for every change, inside its transaction."""
    from booking.notifications import is_suppressed

    if is_suppressed():
        return
    booking = event.booking
    event_type = _booking_event_type(event)
    if event_type is not None:
        webhooks_emit(event_type, lambda: booking_data(booking), booking=booking, change=event.kind)
    if _seats_moved(event):
        webhooks_session_event(EventType.SESSION_SEATS_CHANGED, booking.session, change=event.kind)
