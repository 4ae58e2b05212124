"""API keys for partner organisations, and their webhook endpoints and deliveries (issue 13).

A key is shown once, when it is made; only its first characters (the prefix, to find it and to
show in the admin) and a SHA-256 hash of the whole key are stored. Keys are high-entropy random
tokens, so a plain hash is enough (no slow password hash is needed). Keys are revoked, never
deleted: bookings and leads made with one keep pointing at it.
"""

import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


def default_bookings_per_hour():
    return settings.PARTNER_BOOKINGS_PER_HOUR


def default_leads_per_hour():
    return settings.PARTNER_LEADS_PER_HOUR


class PartnerKey(models.Model):
    organisation = models.CharField(max_length=200, help_text="The partner organisation this key is for.")
    contact_email = models.EmailField(help_text="Who to tell about this key (changes, revocation).")
    prefix = models.CharField(max_length=8, unique=True, editable=False, help_text="The key's first 8 characters.")
    key_hash = models.CharField(max_length=64, editable=False)
    bookings_per_hour = models.PositiveIntegerField(
        default=default_bookings_per_hour,
        validators=[MinValueValidator(1)],
        help_text="Bookings this key may make each clock hour.",
    )
    leads_per_hour = models.PositiveIntegerField(
        default=default_leads_per_hour,
        validators=[MinValueValidator(1)],
        help_text="Enquiries, callback requests and newsletter sign-ups this key may send each clock hour.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["organisation", "-created_at"]
        verbose_name = "partner API key"

    def __str__(self):
        return f"{self.organisation} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None

    @property
    def actor(self):
        """How changes made with this key are recorded in a booking's history."""
        return f"partner:{self.prefix} (API)"


# Webhooks -----------------------------------------------------------------------------------


class EventType(models.TextChoices):
    """What an endpoint may subscribe to (partners/webhooks.py says which change sends which)."""

    BOOKING_CREATED = "booking.created", "booking.created: booked, or joined the waiting list"
    BOOKING_CONFIRMED = "booking.confirmed", "booking.confirmed: booker's email confirmed, or the PO confirmed it"
    BOOKING_CHANGED = "booking.changed", "booking.changed: delegates or purchase order changed"
    BOOKING_CANCELLED = "booking.cancelled", "booking.cancelled: cancelled, lapsed, PO hold released"
    BOOKING_WAITLIST_PROMOTED = "booking.waitlist_promoted", "booking.waitlist_promoted: a place came free"
    SESSION_CHANGED = "session.changed", "session.changed: moved or its venue changed"
    SESSION_CANCELLED = "session.cancelled", "session.cancelled"
    SESSION_SEATS_CHANGED = "session.seats_changed", "session.seats_changed: seats remaining moved"


# Sent only by "Send test event" in the admin, whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def private_addresses_allowed():
    """Receivers on this machine or the private network: only for development and tests."""
    return settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def validate_webhook_url(value):
    """https to a public address; plain http only to this machine, and only where private
    addresses are allowed (a receiver under test). delivery.py checks what the name resolves to
    when it sends."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        if not private_addresses_allowed() and not public_address(host, resolve=False):
            raise ValidationError("Use an address on the internet, not a private, loopback or local one.")
        return
    if parts.scheme == "http" and host in LOOPBACK_HOSTS and private_addresses_allowed():
        return
    raise ValidationError("Use an https:// address.")


def public_address(host, *, resolve=True):
    """False for a literal private, loopback, link-local or reserved IP address, or for a name
    any of whose addresses is one (when `resolve`); True otherwise."""
    try:
        addresses = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        if host.lower() in LOOPBACK_HOSTS or host.lower().endswith((".localhost", ".local", ".internal")):
            return False
        if not resolve:
            return True
        try:
            infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            return False
        addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    return bool(addresses) and all(address.is_global for address in addresses)


def validate_event_types(value):
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.")
    unknown = sorted({str(item) for item in value} - set(EventType.values))
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}.")


def new_webhook_secret():
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL that receives signed event notices. With a partner key, only that partner's bookings'
    events (and public sessions' events); without one, the office's own integration: everything."""

    partner_key = models.ForeignKey(
        PartnerKey,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"revoked_at": None},
        related_name="webhook_endpoints",
        help_text="Whose endpoint this is. Leave empty for the office's own integration, which receives "
        "the events of every booking and session.",
    )
    url = models.URLField("URL", max_length=500, validators=[validate_webhook_url])
    events = models.JSONField(default=list, validators=[validate_event_types])
    secret = models.CharField(
        "signing secret",
        max_length=100,
        default=new_webhook_secret,
        editable=False,
        help_text="Give it to the partner.",
    )
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return f"{self.partner_key.organisation if self.partner_key_id else 'Office'}: {self.url}"

    @property
    def receives(self):
        """Active, and its partner's key (if any) not revoked."""
        return self.active and (self.partner_key is None or self.partner_key.revoked_at is None)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of the change, sent after it."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(help_text="The event's id (Webhook-Id): the same for every endpoint and attempt.")
    event_type = models.CharField(max_length=40, db_index=True)
    # The JSON exactly as sent and signed, so every attempt and resend carries the same bytes.
    body = models.TextField()
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="webhook_deliveries"
    )
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event_type} {self.event_id} to {self.endpoint.url}"
