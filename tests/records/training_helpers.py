"""Trained people for the reminder and training record tests: a real booking through the
booking service, moved into the past, attendance rows and a real certificate."""

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from booking.models import CourseSession, SessionDay
from records.models import Attendance, AttendanceStatus, Certificate
from records.services import certificate_issue
from tests.factories import make_booking, make_session


def finish(session, *, days_ago=400):
    """Move the session (booked while it was upcoming) `days_ago` days into the past, completed."""
    shift = (session.starts_at - timezone.now()) + timedelta(days=days_ago)
    CourseSession.objects.filter(pk=session.pk).update(
        starts_at=F("starts_at") - shift,
        ends_at=F("ends_at") - shift,
        booking_closes_at=F("booking_closes_at") - shift,
        completed_at=timezone.now(),
    )
    SessionDay.objects.filter(session=session).update(starts_at=F("starts_at") - shift, ends_at=F("ends_at") - shift)
    session.refresh_from_db()
    return session


def trained(
    course,
    *,
    people=1,
    expires_on=None,
    attended=True,
    days=1,
    days_ago=400,
    session=None,
    **booking_fields,
):
    """A booking of `people` on a completed session of the course; each attended every day (and
    has a certificate, expiring on `expires_on` when given) or, with attended="part", one day only
    (no certificate). Returns (booking, [certificates])."""
    session = session or make_session(course=course, starts_in_days=5, days=days)
    booking = make_booking(session, count=people, **booking_fields)
    finish(session, days_ago=days_ago)
    session_days = list(session.days.all())
    certificates = []
    for delegate in booking.delegates.all():
        for number, day in enumerate(session_days):
            absent = attended is False or (attended == "part" and number > 0)
            status = AttendanceStatus.ABSENT if absent else AttendanceStatus.ATTENDED
            Attendance.objects.create(delegate=delegate, day=day, status=status, marked_by="Test Trainer")
        if attended is True:
            completed_on = timezone.localtime(session_days[-1].starts_at).date()
            certificate = certificate_issue(delegate=delegate, session=session, completed_on=completed_on)
            if expires_on is not None:
                Certificate.objects.filter(pk=certificate.pk).update(expires_on=expires_on)
                certificate.refresh_from_db()
            certificates.append(certificate)
    return booking, certificates
