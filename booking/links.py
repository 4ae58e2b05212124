"""The booker's manage link: signed, unguessable, only good until the session ends, and revoked
when a new one is sent (the booking's manage_key is part of it)."""

import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import Booking

SALT = "booking.manage"


def manage_token(booking):
    return signing.Signer(salt=SALT).sign(f"{booking.reference}.{booking.manage_key}")


def manage_url(booking):
    return settings.SITE_URL + reverse("booking:manage", args=[manage_token(booking)])


CONFIRM_SALT = "booking.confirm-email"
PENDING_SALT = "booking.pending"


def pending_token(booking):
    """For the page the booker sees after submitting: it shows the booking's state, never the
    manage link, which goes only to the confirmed address."""
    return signing.Signer(salt=PENDING_SALT).sign(booking.reference)


def booking_from_pending_token(token, queryset=None):
    try:
        reference = signing.Signer(salt=PENDING_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()


def confirm_token(booking):
    return signing.Signer(salt=CONFIRM_SALT).sign(f"{booking.reference}.{booking.manage_key}")


def confirm_url(booking):
    return settings.SITE_URL + reverse("booking:confirm_email", args=[confirm_token(booking)])


def booking_from_confirm_token(token, queryset=None):
    """The booking a confirmation link names, or None; unlike a manage token it stays readable
    after the booking lapsed, so the page can say so."""
    return _from_signed(token, CONFIRM_SALT, queryset)


def _from_signed(token, salt, queryset):
    try:
        reference, _, key = signing.Signer(salt=salt).unsign(token).partition(".")
    except signing.BadSignature:
        return None
    booking = (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()
    if booking is None or not key or not constant_time_compare(key, booking.manage_key):
        return None
    return booking


def booking_from_token(token, queryset=None):
    """The booking for a valid, unexpired token, or None. Reveals nothing about why not."""
    booking = _from_signed(token, SALT, queryset)
    if booking is None or booking.session.ends_at <= timezone.now():
        return None
    return booking


# A manage or confirm link in the text of an email: /bookings/<token>/ or /bookings/confirm/<token>/.
_TOKEN_IN_URL = re.compile(r"(/bookings/(?:confirm/)?)([A-Z0-9]{6,12}\.[\w-]+:[\w-]+)(/)")


def mask_tokens(text):
    """The text with every manage or confirm token replaced, for staff who may read emails but
    not act as the booker (Sales)."""
    return _TOKEN_IN_URL.sub(r"\1[private link hidden]\3", text or "")
