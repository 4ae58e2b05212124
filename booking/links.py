"""The booker's manage link: signed, unguessable, only good until the session ends, and revoked
when a new one is sent (the booking's manage_key is part of it). Also the private registration
link of an in-house session (the session's registration_key is part of it)."""

import re

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.signed import pk_and_key, unsign

from .models import Booking, CourseSession, Delegate

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
    reference = unsign(token, PENDING_SALT)
    if reference is None:
        return None
    return (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()


def confirm_token(booking):
    return signing.Signer(salt=CONFIRM_SALT).sign(f"{booking.reference}.{booking.manage_key}")


def confirm_url(booking):
    return settings.SITE_URL + reverse("booking:confirm_email", args=[confirm_token(booking)])


def booking_from_confirm_token(token, queryset=None):
    """The booking a confirmation link names, or None; unlike a manage token it stays readable
    after the booking lapsed, so the page can say so."""
    return booking_from_signed(token, CONFIRM_SALT, queryset)


def booking_from_signed(token, salt, queryset=None):
    """The booking a "<reference>.<manage key>" token signed with `salt` names, or None; a new
    manage key revokes every such token. Other rooms' links (records) use it with their salt."""
    reference, _, key = (unsign(token, salt) or "").partition(".")
    booking = (queryset if queryset is not None else Booking.objects.all()).filter(reference=reference).first()
    if booking is None or not key or not constant_time_compare(key, booking.manage_key):
        return None
    return booking


def booking_from_token(token, queryset=None, *, after_the_course=False):
    """The booking for a valid, unexpired token, or None. Reveals nothing about why not. A manage
    link expires when the course ends; `after_the_course` keeps it working for what is still
    needed then (the booking's invoices)."""
    booking = booking_from_signed(token, SALT, queryset)
    if booking is None or (booking.session.ends_at <= timezone.now() and not after_the_course):
        return None
    return booking


REGISTER_SALT = "booking.register"


def registration_token(session):
    """For an in-house session's private registration link, which the coordinator shares with
    their staff. A new registration_key on the session revokes every link given out before."""
    return signing.Signer(salt=REGISTER_SALT).sign(f"{session.pk}.{session.registration_key}")


def registration_url(session):
    return settings.SITE_URL + reverse("booking:register", args=[registration_token(session)])


def session_from_registration_token(token, queryset=None):
    """The in-house session a registration link names, or None for a bad, tampered or revoked
    token. The page itself says when registration has closed."""
    pk, key = pk_and_key(unsign(token, REGISTER_SALT))
    if pk is None:
        return None
    queryset = queryset if queryset is not None else CourseSession.objects.all()
    session = queryset.filter(pk=pk, is_in_house=True).first()
    if session is None or not constant_time_compare(key, session.registration_key):
        return None
    return session


# A manage or confirm link in the text of an email: /bookings/<token>/ or /bookings/confirm/<token>/;
# and an in-house registration link, /register/<token>/.
_TOKEN_IN_URL = re.compile(r"(/bookings/(?:confirm/)?)([A-Z0-9]{6,12}\.[\w-]+:[\w-]+)(/)")
_REGISTER_TOKEN_IN_URL = re.compile(r"(/register/)([0-9]+\.[\w-]+:[\w-]+)(/)")


def mask_tokens(text):
    """The text with every manage, confirm or registration token replaced, for staff who may
    read emails but not act as the booker (Sales)."""
    text = _TOKEN_IN_URL.sub(r"\1[private link hidden]\3", text or "")
    return _REGISTER_TOKEN_IN_URL.sub(r"\1[private link hidden]\3", text)


# A booking form pre-filled from a link in an email (a refresher reminder, the training record):
# the delegate and the booker's organisation, for the person to check and change. The link carries
# only a reference (the delegate's id, and whether to fill in the booker), signed so it cannot be
# made up or altered, and timed, as the details go stale; the page looks the details up. No name,
# address or organisation is in the URL (server logs, browser history, proxies).
PREFILL_SALT = "booking.prefill"
PREFILL_MAX_AGE = 180 * 24 * 60 * 60


def prefill_token(delegate, *, with_contact=True):
    """A signed, timed reference to `delegate`; `with_contact` also fills in the booker."""
    return signing.TimestampSigner(salt=PREFILL_SALT).sign(f"{delegate.pk}.{int(with_contact)}")


def prefill_values(token):
    """The values a valid token stands for: the delegate's name, email and job role and their
    booking's organisation (and its booker, when the token says so). {} for a bad, tampered,
    expired or foreign token, or one naming a delegate no longer there."""
    try:
        value = signing.TimestampSigner(salt=PREFILL_SALT).unsign(token or "", max_age=PREFILL_MAX_AGE)
    except (signing.BadSignature, ValueError):
        return {}
    pk, _, with_contact = value.partition(".")
    if not (pk.isascii() and pk.isdigit()) or with_contact not in {"0", "1"}:
        return {}
    delegate = Delegate.objects.select_related("booking").filter(pk=int(pk)).first()
    if delegate is None:
        return {}
    booking = delegate.booking
    values = {
        "name": delegate.name,
        "email": delegate.email,
        "job_role": delegate.job_role,
        "organisation": booking.organisation,
        "organisation_type": booking.organisation_type,
        "ods_code": booking.ods_code,
    }
    if with_contact == "1":
        values.update(contact_name=booking.contact_name, contact_email=booking.contact_email)
    return {name: value for name, value in values.items() if value}


def prefill_url(session, delegate, *, with_contact=True):
    """The session's booking form, pre-filled with `delegate` (see prefill_token)."""
    token = prefill_token(delegate, with_contact=with_contact)
    return settings.SITE_URL + reverse("booking:book", args=[session.pk]) + "?prefill=" + token
