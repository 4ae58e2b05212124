"""Completed courses for the feedback tests, made through the real services: a session, its
bookings, and attendance taken for every day after the day (which completes the session)."""

from datetime import timedelta

from booking import notifications
from records.models import AttendanceStatus
from records.services import attendance_mark, session_delegates
from tests.factories import CourseFactory, make_booking, make_session

_next_start = iter(range(20, 2000, 5))


def make_trainer(course, name="Alex Trainer"):
    from trainers.models import Trainer

    trainer = Trainer.objects.create(name=name, email=f"{name.split()[0].lower()}@example.org")
    trainer.courses.add(course)
    return trainer


def completed_session(*, course=None, trainer=None, people=1, marks=None, emails=False, **booking_fields):
    """A one-day session of `course` whose `people` delegates (one booking) were marked attended,
    or as `marks` says ({index: status}); completed. Returns (session, delegates)."""
    course = course or CourseFactory()
    session = make_session(course=course, trainer=trainer, starts_in_days=next(_next_start))
    make_booking(session, count=people, **booking_fields)
    return session, take_attendance(session, marks=marks, emails=emails)


def take_attendance(session, *, marks=None, emails=False):
    delegates = list(session_delegates(session))
    statuses = {d.pk: (marks or {}).get(n, AttendanceStatus.ATTENDED) for n, d in enumerate(delegates)}
    for day in session.days.all():
        now = day.starts_at + timedelta(hours=8)
        if emails:
            attendance_mark(session=session, day=day, marks=statuses, actor="Alex Trainer", now=now)
        else:
            with notifications.suppressed():
                attendance_mark(session=session, day=day, marks=statuses, actor="Alex Trainer", now=now)
    session.refresh_from_db()
    return delegates


def answers(**overrides):
    return {
        "content_rating": 5,
        "trainer_rating": 4,
        "relevance_rating": 5,
        "will_do_differently": "Step back and lower my voice before I say anything.",
        "comment": "",
        "may_quote": False,
        **overrides,
    }
