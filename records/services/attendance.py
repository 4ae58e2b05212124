"""Attendance per delegate per day, and the session's completion.

The trainer's phone page and the office's admin page both call attendance_mark(). When every
delegate has a mark for every day, the session is completed, in the same transaction:
certificates for those who attended every day, the booker told who attended, the
attendees asked for feedback. Corrections after that issue any certificate now earned.
"""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from booking.models import DELEGATES_INFORMED, CourseSession, Delegate, SessionStatus, new_manage_key

from .. import emails
from ..models import Attendance, AttendanceStatus
from .certificates import certificate_issue


def session_delegates(session):
    """The people on the session: delegates of bookings that hold their places."""
    return (
        Delegate.objects.filter(booking__session=session, booking__status__in=DELEGATES_INFORMED)
        .select_related("booking")
        .order_by("name", "pk")
    )


def attendance_marks(session):
    """{(delegate_id, day_id): status} for the session."""
    return {
        (delegate_id, day_id): status
        for delegate_id, day_id, status in Attendance.objects.filter(day__session=session).values_list(
            "delegate_id", "day_id", "status"
        )
    }


def attendance_link_renew(*, session):
    """A new key for the trainer's link: the link given out before stops working."""
    session.attendance_key = new_manage_key()
    session.save(update_fields=["attendance_key", "updated_at"])
    return session


def day_can_be_marked(day, now=None):
    """From the start of the day's date (UK time): not before anyone could have come."""
    return timezone.localdate(now) >= timezone.localtime(day.starts_at).date()


def attendance_open_sessions(sessions, now=None):
    """The sessions whose first day can be marked (day_can_be_marked's rule): those starting
    before midnight tonight, UK time, so a 09:30 start is open from the early morning on."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    midnight = timezone.make_aware(datetime.combine(tomorrow, time.min))
    return sessions.filter(starts_at__lt=midnight)


def attendance_missing(session):
    """[(day, [delegates without a mark])] for days with anyone unmarked."""
    marks, delegates = attendance_marks(session), list(session_delegates(session))
    missing = []
    for day in session.days.all():
        unmarked = [delegate for delegate in delegates if (delegate.pk, day.pk) not in marks]
        if unmarked:
            missing.append((day, unmarked))
    return missing


@transaction.atomic
def attendance_mark(*, session, day, marks, actor, now=None):
    """Record {delegate_id: status} for one day of the session. Refused whole, with a message
    per problem, when anything is wrong; returns the certificates the change issued."""
    session = CourseSession.objects.select_for_update().get(pk=session.pk)
    now = now or timezone.now()
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError("This course was cancelled: there is no attendance to take.")
    if day.session_id != session.pk:
        raise ValidationError("That day is not part of this course.")
    if not day_can_be_marked(day, now):
        raise ValidationError(f"Attendance for {day} can be taken from that day.")
    delegates = {delegate.pk: delegate for delegate in session_delegates(session)}
    errors = []
    for delegate_id, status in marks.items():
        if delegate_id not in delegates:
            errors.append("Someone on the list is no longer booked on this course: reload the page.")
        elif status not in AttendanceStatus.values:
            errors.append(f"Choose attended, absent or left early for {delegates[delegate_id].name}.")
        elif status != AttendanceStatus.ATTENDED and hasattr(delegates[delegate_id], "certificate"):
            errors.append(
                f"{delegates[delegate_id].name} already has certificate {delegates[delegate_id].certificate.number}: "
                "call the office to withdraw it first."
            )
    if not marks:
        errors.append("Mark at least one person.")
    if errors:
        raise ValidationError(sorted(set(errors), key=errors.index))
    existing = {row.delegate_id: row for row in Attendance.objects.filter(day=day, delegate_id__in=list(marks))}
    for delegate_id, status in marks.items():
        row = existing.get(delegate_id)
        if row is None:
            Attendance.objects.create(delegate_id=delegate_id, day=day, status=status, marked_by=actor, marked_at=now)
        elif row.status != status:
            row.status, row.marked_by, row.marked_at = status, actor, now
            row.save(update_fields=["status", "marked_by", "marked_at"])
    return _complete_if_ready(session, list(delegates.values()), now)


def _complete_if_ready(session, delegates, now):
    days = list(session.days.all())
    marks = attendance_marks(session)
    if not days or any((delegate.pk, day.pk) not in marks for delegate in delegates for day in days):
        return []
    first_time = session.completed_at is None
    if first_time:
        session.completed_at = now
        session.save(update_fields=["completed_at", "updated_at"])
    completed_on = timezone.localtime(days[-1].starts_at).date()
    issued = [
        certificate_issue(delegate=delegate, session=session, completed_on=completed_on)
        for delegate in delegates
        if not hasattr(delegate, "certificate")
        and all(marks[delegate.pk, day.pk] == AttendanceStatus.ATTENDED for day in days)
    ]
    emails.queue_completion(session, delegates, marks, issued, first_time=first_time)
    return issued
