"""Signed links after the course: the trainer's attendance page, a certificate's PDF, a
delegate's feedback form and the booker's organisation training record. None needs a login;
each is signed with its own salt, so one kind of link never opens another kind of page."""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from booking.models import Booking, CourseSession, Delegate

from .models import Certificate

ATTENDANCE_SALT = "records.attendance"
CERTIFICATE_SALT = "records.certificate"
FEEDBACK_SALT = "records.feedback"
RECORD_SALT = "records.training-record"


def _url(name, token):
    return settings.SITE_URL + reverse(name, args=[token])


def _unsign(token, salt):
    try:
        return signing.Signer(salt=salt).unsign(token)
    except signing.BadSignature:
        return None


def _pk_and_key(value):
    pk, _, key = (value or "").partition(".")
    if not (pk.isascii() and pk.isdigit()) or not key:
        return None, None
    return int(pk), key


def attendance_token(session):
    """The trainer's link; a new attendance_key on the session revokes it."""
    return signing.Signer(salt=ATTENDANCE_SALT).sign(f"{session.pk}.{session.attendance_key}")


def attendance_url(session):
    return _url("records:attendance", attendance_token(session))


def session_from_attendance_token(token):
    pk, key = _pk_and_key(_unsign(token, ATTENDANCE_SALT))
    if pk is None:
        return None
    session = CourseSession.objects.select_related("course", "venue", "trainer").filter(pk=pk).first()
    if session is None or not constant_time_compare(key, session.attendance_key):
        return None
    return session


def certificate_token(certificate):
    return signing.Signer(salt=CERTIFICATE_SALT).sign(certificate.number)


def certificate_url(certificate):
    return _url("records:certificate_pdf", certificate_token(certificate))


def certificate_from_token(token):
    number = _unsign(token, CERTIFICATE_SALT)
    return Certificate.objects.filter(number=number).first() if number else None


def verify_url(certificate=None):
    url = settings.SITE_URL + reverse("records:verify")
    return f"{url}?number={certificate.number}" if certificate else url


def feedback_token(delegate):
    # The booking's manage key is part of it: the delegate's place, not just their row number.
    return signing.Signer(salt=FEEDBACK_SALT).sign(f"{delegate.pk}.{delegate.booking.manage_key}")


def feedback_url(delegate):
    return _url("records:feedback", feedback_token(delegate))


def delegate_from_feedback_token(token):
    pk, key = _pk_and_key(_unsign(token, FEEDBACK_SALT))
    if pk is None:
        return None
    delegate = Delegate.objects.select_related("booking__session__course", "booking__session__trainer").filter(pk=pk)
    delegate = delegate.first()
    if delegate is None or not constant_time_compare(key, delegate.booking.manage_key):
        return None
    return delegate


def training_record_token(booking):
    """The booker's link to their organisation's training record. It does not expire with the
    course (certificates last years); a new manage link for the booking revokes it."""
    return signing.Signer(salt=RECORD_SALT).sign(f"{booking.reference}.{booking.manage_key}")


def training_record_url(booking):
    return _url("records:training_record", training_record_token(booking))


def booking_from_training_record_token(token):
    reference, _, key = (_unsign(token, RECORD_SALT) or "").partition(".")
    if not reference or not key:
        return None
    booking = Booking.objects.filter(reference=reference).first()
    if booking is None or not constant_time_compare(key, booking.manage_key):
        return None
    return booking
