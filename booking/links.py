"""The booker's manage link: signed, unguessable, only good until the session ends, and revoked
when a new one is sent (the booking's manage_key is part of it)."""

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


def booking_from_token(token, queryset=None):
    """The booking for a valid, unexpired token, or None. Reveals nothing about why not."""
    try:
        reference, _, key = signing.Signer(salt=SALT).unsign(token).partition(".")
    except signing.BadSignature:
        return None
    booking = (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()
    if booking is None or not key or not constant_time_compare(key, booking.manage_key):
        return None
    if booking.session.ends_at <= timezone.now():
        return None
    return booking
