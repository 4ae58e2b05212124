"""The booker's manage link: signed, unguessable, and only good until the session ends."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from .models import Booking

SALT = "booking.manage"


def manage_token(booking):
    return signing.Signer(salt=SALT).sign(booking.reference)


def manage_url(booking):
    return settings.SITE_URL + reverse("booking:manage", args=[manage_token(booking)])


def booking_from_token(token, queryset=None):
    """The booking for a valid, unexpired token, or None. Reveals nothing about why not."""
    try:
        reference = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    booking = (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()
    if booking is None or booking.session.ends_at <= timezone.now():
        return None
    return booking
