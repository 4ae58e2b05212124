"""Signed links after the course: the trainer's attendance page, a certificate's PDF, a
delegate's feedback form and the booker's organisation training record. None needs a login;
each is signed with its own salt, so one kind of link never opens another kind of page."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from booking.links import booking_from_signed
from booking.models import DELEGATES_INFORMED, Booking, CourseSession, Delegate
from core.signed import pk_and_key, unsign

from .models import Certificate

ATTENDANCE_SALT = "records.attendance"
CERTIFICATE_SALT = "records.certificate"
FEEDBACK_SALT = "records.feedback"
RECORD_SALT = "records.training-record"


def _url(name, token):
    return settings.SITE_URL + reverse(name, args=[token])


def attendance_token(session):
    """The trainer's link. It names the trainer: when the session gets another trainer, the old
    one's link stops working; a new attendance_key (attendance_link_renew) revokes it too."""
    return signing.Signer(salt=ATTENDANCE_SALT).sign(f"{session.pk}.{session.attendance_key}.{session.trainer_id or 0}")


def attendance_url(session):
    return _url("records:attendance", attendance_token(session))


def attendance_link_closes(session):
    """After this the link no longer opens: later corrections are made by the office."""
    return session.ends_at + timedelta(days=settings.ATTENDANCE_LINK_DAYS_AFTER)


def session_from_attendance_token(token, now=None):
    parts = (unsign(token, ATTENDANCE_SALT) or "").split(".")
    if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in (parts[0], parts[2])):
        return None
    pk, key, trainer_id = int(parts[0]), parts[1], int(parts[2]) or None
    session = CourseSession.objects.select_related("course", "venue", "trainer").filter(pk=pk).first()
    if (
        session is None
        or not constant_time_compare(key, session.attendance_key)
        or session.trainer_id != trainer_id
        or (now or timezone.now()) > attendance_link_closes(session)
    ):
        return None
    return session


def certificate_token(certificate):
    return signing.Signer(salt=CERTIFICATE_SALT).sign(certificate.number)


def certificate_url(certificate):
    return _url("records:certificate_pdf", certificate_token(certificate))


def certificate_from_token(token):
    number = unsign(token, CERTIFICATE_SALT)
    return Certificate.objects.filter(number=number).first() if number else None


def verify_url(certificate=None):
    url = settings.SITE_URL + reverse("records:verify")
    return f"{url}?number={certificate.number}" if certificate else url


def feedback_token(delegate):
    # The delegate's place on the booking, signed: no key of the booker's goes to the delegate,
    # and the booker renewing their manage link leaves the survey link working.
    return signing.Signer(salt=FEEDBACK_SALT).sign(f"{delegate.pk}.{delegate.booking.reference}")


def feedback_url(delegate):
    return _url("records:feedback", feedback_token(delegate))


def delegate_from_feedback_token(token):
    pk, key = pk_and_key(unsign(token, FEEDBACK_SALT))
    if pk is None:
        return None
    delegate = Delegate.objects.select_related("booking__session__course", "booking__session__trainer").filter(pk=pk)
    delegate = delegate.first()
    if delegate is None or not constant_time_compare(key, delegate.booking.reference):
        return None
    return delegate


def training_record_token(booking):
    """The booker's link to their organisation's training record. It does not expire with the
    course (certificates last years); a new manage link for the booking revokes it."""
    return signing.Signer(salt=RECORD_SALT).sign(f"{booking.reference}.{booking.manage_key}")


def training_record_url(booking):
    return _url("records:training_record", training_record_token(booking))


def booking_from_training_record_token(token):
    """Only for a booking that held its places: a booking cancelled, released or never
    confirmed opens no organisation's record."""
    return booking_from_signed(token, RECORD_SALT, Booking.objects.filter(status__in=DELEGATES_INFORMED))
